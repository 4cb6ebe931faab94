import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const PREFIX_BYTES = 1024;

export interface OversizedRecord {
  /** Line on which the record starts. */
  readonly line: number;
  /** The record's first bytes, for the quarantine. */
  readonly prefix: Buffer;
  /** The record was still inside a quoted field when the file ended. */
  readonly unclosedQuote: boolean;
}

/**
 * Sits between the object's bytes and the record splitter (csv-records.ts), following RFC
 * 4180 quoting the way csv-parse does with relax_quotes (a quote opens a field only at its
 * start; `""` inside is a literal quote). It does two jobs csv-parse cannot:
 *
 * - caps a record at `maxBytes`: csv-parse's own max_record_size stops the whole parse,
 *   while a file's other rows must still load. An oversized record is cut out and replaced
 *   by as many blank lines as it spanned, so line numbers downstream stay true, and is
 *   reported through `onOversized`. Memory stays bounded by the cap plus one chunk.
 * - turns CRLF and lone CR record ends into LF, so every record downstream ends in LF alone
 *   whatever the producer's platform (csv-parse's line counter drifts on CRLF after blank
 *   lines). Line breaks inside quoted fields are left as written.
 *
 * It hands on whole records only: the start of one not yet ended waits for the rest, or for
 * the end of the input.
 */
export class RecordGuard extends Transform {
  private inQuotes = false;
  private atFieldStart = true;
  private pendingQuote = false;
  private pendingCR = false;
  private dropping = false;
  private line = 1;
  private recordStartLine = 1;
  private recordBytes = 0;
  private recordLines = 0;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private dropPrefix: Buffer = Buffer.alloc(0);

  private readonly maxBytes: number;
  private readonly onOversized: (record: OversizedRecord) => void;

  constructor(maxBytes: number, onOversized: (record: OversizedRecord) => void) {
    super();
    this.maxBytes = maxBytes;
    this.onOversized = onOversized;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out = Buffer.allocUnsafe(chunk.length + 2);
    const ready: Buffer[] = [];
    let o = 0;
    // out[regionStart, boundary) holds whole records not yet handed on; out[recordStart, o) the
    // current record's bytes in this chunk (recordStart = -1 when it began in `held`).
    let regionStart = 0;
    let boundary = 0;
    let recordStart = this.held.length > 0 || this.recordBytes > 0 ? -1 : 0;

    const write = (byte: number) => {
      this.recordBytes++;
      if (!this.dropping) out[o++] = byte;
    };
    const endRecord = () => {
      if (!this.dropping && this.recordBytes > this.maxBytes) {
        const start = recordStart < 0 ? regionStart : recordStart;
        this.dropPrefix = prefixOf([...this.held, out.subarray(start, o)]);
        this.held = [];
        this.heldBytes = 0;
        o = start;
        this.dropping = true;
      }
      if (this.dropping) {
        if (o > regionStart) ready.push(out.subarray(regionStart, o));
        ready.push(Buffer.alloc(this.recordLines + 1, LF));
        this.report(false);
        regionStart = o;
      } else {
        out[o++] = LF;
      }
      boundary = o;
      recordStart = o;
      this.line++;
      this.recordStartLine = this.line;
      this.recordBytes = 0;
      this.recordLines = 0;
      this.atFieldStart = true;
      if (this.held.length > 0 && regionStart === 0 && !this.dropping) {
        ready.push(...this.held);
        this.held = [];
        this.heldBytes = 0;
      }
      this.dropping = false;
    };

    // Where the next LF, CR and quote are, from indexOf, found again only once passed.
    let nextLF = -1;
    let nextCR = -1;
    let nextQuote = -1;
    const end = chunk.length;

    for (let i = 0; i < end; i++) {
      const byte = chunk[i] as number;
      if (this.pendingCR) {
        this.pendingCR = false;
        endRecord();
        if (byte === LF) continue;
      }
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (byte === QUOTE) {
          write(QUOTE);
          write(QUOTE);
          continue;
        }
        write(QUOTE);
        this.inQuotes = false;
      }
      // A run of bytes that change no state goes across in one copy. Only LF and quotes matter
      // inside quotes, LF, CR and quotes outside, where a comma's only effect is that the next
      // byte starts a field: the run's last byte decides that.
      if (byte !== LF && byte !== QUOTE && (this.inQuotes || byte !== CR)) {
        if (nextLF < i) nextLF = indexOr(chunk, LF, i, end);
        if (nextQuote < i) nextQuote = indexOr(chunk, QUOTE, i, end);
        let stop = Math.min(nextLF, nextQuote);
        if (!this.inQuotes) {
          if (nextCR < i) nextCR = indexOr(chunk, CR, i, end);
          stop = Math.min(stop, nextCR);
          this.atFieldStart = chunk[stop - 1] === COMMA;
        }
        if (!this.dropping) o += chunk.copy(out, o, i, stop);
        this.recordBytes += stop - i;
        i = stop - 1;
        continue;
      }
      // What is left is a quote or a line end.
      if (this.inQuotes) {
        if (byte === QUOTE) {
          this.pendingQuote = true;
        } else {
          this.line++;
          this.recordLines++;
          write(byte);
        }
        continue;
      }
      if (byte === LF) {
        endRecord();
      } else if (byte === CR) {
        this.pendingCR = true;
      } else {
        if (this.atFieldStart) this.inQuotes = true;
        this.atFieldStart = false;
        write(byte);
      }
    }

    if (boundary > regionStart) ready.push(out.subarray(regionStart, boundary));
    if (!this.dropping && o > boundary) {
      this.held.push(out.subarray(boundary, o));
      this.heldBytes += o - boundary;
    }
    if (!this.dropping && this.heldBytes > this.maxBytes) {
      this.dropPrefix = prefixOf(this.held);
      this.held = [];
      this.heldBytes = 0;
      this.dropping = true;
    }
    for (const part of ready) this.push(part);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.inQuotes = false;
      this.recordBytes++;
      if (!this.dropping) this.held.push(Buffer.from('"'));
    }
    if (this.pendingCR) {
      this.pendingCR = false;
      if (!this.dropping) this.held.push(Buffer.from('\n'));
    }
    if (!this.dropping && this.recordBytes > this.maxBytes) {
      this.dropPrefix = prefixOf(this.held);
      this.held = [];
      this.dropping = true;
    }
    if (this.dropping) {
      this.push(Buffer.alloc(this.recordLines + 1, LF));
      this.report(this.inQuotes);
    } else {
      for (const part of this.held) this.push(part);
    }
    this.held = [];
    callback();
  }

  private report(unclosedQuote: boolean): void {
    this.onOversized({ line: this.recordStartLine, prefix: this.dropPrefix, unclosedQuote });
    this.dropPrefix = Buffer.alloc(0);
  }
}

function indexOr(chunk: Buffer, byte: number, from: number, end: number): number {
  const at = chunk.indexOf(byte, from);
  return at === -1 ? end : at;
}

function prefixOf(parts: readonly Buffer[]): Buffer {
  return Buffer.concat(parts).subarray(0, PREFIX_BYTES);
}
