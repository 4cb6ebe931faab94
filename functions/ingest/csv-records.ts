import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import type { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { type OversizedRecord, RecordGuard } from './record-guard.ts';
import { decodeUtf8 } from './utf8.ts';

/** Records over this size are quarantined whole rather than parsed. */
export const MAX_RECORD_BYTES = 1024 * 1024;

export type CsvItem =
  | {
      readonly kind: 'record';
      readonly line: number;
      readonly cells: string[];
      readonly raw: string;
    }
  | {
      readonly kind: 'bad';
      readonly line: number;
      readonly raw: string;
      readonly reasons: string[];
    };

const SKIP_REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'unclosed_quote',
  CSV_INVALID_CLOSING_QUOTE: 'invalid_quote',
  CSV_INVALID_OPENING_QUOTE: 'invalid_quote',
};

const LF = 0x0a;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Parses a CSV byte stream, calling `onItem` synchronously for every record, with the line it
 * starts on and its raw text. Records that cannot be taken (wrong field count, quote left
 * open, over 1 MiB) come as `bad` items, so one broken row never stops the rest. Empty lines,
 * and lines whose every cell is blank, are not records.
 *
 * Nothing is emitted per record: `onItem` may call `emit` to pass something downstream (a
 * batch of rows, say), which the returned stream yields with backpressure. Per-record
 * promises cost more than the parsing itself at these rates.
 */
export function parseCsv<T>(
  bytes: Readable,
  onItem: (item: CsvItem, emit: (value: T) => void) => void,
  maxRecordBytes = MAX_RECORD_BYTES,
): AsyncIterable<T> {
  const emit = (value: T) => {
    splitter.push(value);
  };
  const guard = new RecordGuard(maxRecordBytes, (record: OversizedRecord) =>
    onItem(fromOversized(record), emit),
  );
  const splitter = new RecordSplitter((item) => onItem(item, emit));
  pipeline(bytes, guard, splitter, () => {});
  return splitter as AsyncIterable<T>;
}

/** Every record as an item, one at a time: for tools and tests; ingestion uses parseCsv. */
export async function* readCsvRecords(
  bytes: Readable,
  maxRecordBytes = MAX_RECORD_BYTES,
): AsyncGenerator<CsvItem> {
  yield* parseCsv<CsvItem>(bytes, (item, emit) => emit(item), maxRecordBytes);
}

/**
 * Cuts the guard's output (line ends already LF) into records and records into cells. A record
 * with no quote character is its text between commas, which is all RFC 4180 makes of it, so
 * it is split here; each run of records that hold quotes goes to csv-parse, with relax_quotes.
 * On the benchmark's machine csv-parse took about 12 µs a row, more than PostgreSQL's COPY of
 * it, and the split about 2 (docs/performance.md). A test holds both ways to the items
 * csv-parse gives for the whole stream.
 *
 * What csv-parse checked across records is checked here for both ways, as it did: the field
 * count of the first record read is the one every later record must have (a blank record
 * whose count differs is dropped), and a record whose every cell is blank is skipped.
 */
class RecordSplitter extends Transform {
  private readonly onItem: (item: CsvItem) => void;
  /** The line the next record starts on. */
  private cursor = 1;
  private expectedFields: number | undefined;
  private started = false;
  /** Bytes of a record that has not ended yet. */
  private rest: Buffer | null = null;

  constructor(onItem: (item: CsvItem) => void) {
    // Few batches in flight: what waits here is live memory, and it survives into V8's old space.
    super({ readableObjectMode: true, readableHighWaterMark: 4 });
    this.onItem = onItem;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    let bytes = this.rest === null ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = null;
    if (!this.started) {
      if (bytes.length < BOM.length && BOM.subarray(0, bytes.length).equals(bytes)) {
        this.rest = bytes;
        callback();
        return;
      }
      this.started = true;
      if (bytes.subarray(0, BOM.length).equals(BOM)) bytes = bytes.subarray(BOM.length);
    }
    try {
      const used = this.split(bytes, false);
      if (used < bytes.length) this.rest = bytes.subarray(used);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback) {
    try {
      if (this.rest !== null) this.split(this.rest, true);
      this.rest = null;
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** Takes the whole records in `bytes`, or all of it when `final`; returns the bytes taken. */
  private split(bytes: Buffer, final: boolean): number {
    const end = bytes.length;
    let pos = 0;
    let nextQuote = bytes.indexOf(QUOTE);
    while (pos < end) {
      const lf = bytes.indexOf(LF, pos);
      const lineEnd = lf === -1 ? end : lf;
      if (nextQuote === -1 || nextQuote > lineEnd) {
        if (lf === -1 && !final) return pos;
        this.plain(decodeUtf8(bytes, pos, lineEnd));
        pos = lineEnd + 1;
        continue;
      }
      // A run of records for one csv-parse call, which costs about as much as parsing two
      // records: it goes on while another quote comes within the next three lines.
      const runStart = pos;
      let unfinished = false;
      for (;;) {
        const recordEnd = quotedRecordEnd(bytes, pos);
        if (recordEnd === -1) {
          if (final) pos = end;
          else unfinished = true;
          break;
        }
        pos = recordEnd + 1;
        if (nextQuote !== -1 && nextQuote < pos) nextQuote = bytes.indexOf(QUOTE, pos);
        // Empty lines are counted by the plain path: a run never ends on one.
        if (pos >= end || bytes[pos] === LF || !quoteWithin(bytes, pos, nextQuote, 3)) break;
      }
      if (pos > runStart) this.quoted(bytes.subarray(runStart, pos));
      if (unfinished) return pos;
    }
    return Math.min(pos, end);
  }

  private plain(text: string) {
    const line = this.cursor++;
    if (text.length > 0) this.accept(text.split(','), text, line);
  }

  private quoted(run: Buffer) {
    parse(decodeUtf8(run), {
      record_delimiter: '\n',
      raw: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_record: ({ record, raw }: { record: string[]; raw: string }) => {
        const at = this.locate(raw);
        this.accept(record, at.raw, at.line);
        return null;
      },
      on_skip: (error: CsvError | undefined, rawText: string | undefined) => {
        const at = this.locate(rawText ?? '');
        if (at.raw.trim() !== '') {
          const reason = SKIP_REASONS[error?.code ?? ''] ?? 'invalid_csv';
          this.onItem({ kind: 'bad', line: at.line, raw: at.raw, reasons: [reason] });
        }
        return undefined;
      },
    } as never);
  }

  private accept(cells: string[], raw: string, line: number) {
    this.expectedFields ??= cells.length;
    if (cells.length !== this.expectedFields) {
      if (raw.trim() !== '') this.onItem({ kind: 'bad', line, raw, reasons: ['column_count'] });
      return;
    }
    if (cells.every((cell) => cell.trim() === '')) return;
    this.onItem({ kind: 'record', line, cells, raw });
  }

  /**
   * The line a csv-parse record starts on, from its raw text, and that text without its line
   * end. csv-parse's own line counter counts a quoted CRLF twice.
   */
  private locate(rawText: string) {
    let start = 0;
    while (rawText.charCodeAt(start) === 10) start++;
    const endsWithNewline = rawText.charCodeAt(rawText.length - 1) === 10;
    const raw =
      start === 0 && !endsWithNewline
        ? rawText
        : rawText.slice(start, endsWithNewline ? -1 : undefined);
    const line = this.cursor + start;
    this.cursor = line + countNewlines(raw) + (endsWithNewline ? 1 : 0);
    return { raw, line };
  }
}

/**
 * Where the record starting at `from` ends (its LF), following quotes as the guard and
 * csv-parse with relax_quotes do: a quote opens a field only at its start, and `""` inside is
 * a literal quote. -1 when the bytes end first, or end on a quote whose meaning the next byte
 * decides.
 */
function quotedRecordEnd(bytes: Buffer, from: number): number {
  let inQuotes = false;
  let atFieldStart = true;
  for (let i = from; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inQuotes) {
      if (byte !== QUOTE) continue;
      if (i + 1 === bytes.length) return -1;
      if (bytes[i + 1] === QUOTE) i++;
      else inQuotes = false;
      atFieldStart = false;
      continue;
    }
    if (byte === LF) return i;
    if (byte === QUOTE && atFieldStart) inQuotes = true;
    else atFieldStart = byte === COMMA;
  }
  return -1;
}

/** Whether `quote` (an index, or -1) falls within the `lines` lines that start at `from`. */
function quoteWithin(bytes: Buffer, from: number, quote: number, lines: number): boolean {
  if (quote === -1) return false;
  let at = from;
  for (let k = 0; k < lines; k++) {
    const lf = bytes.indexOf(LF, at);
    if (lf === -1 || quote < lf) return true;
    at = lf + 1;
  }
  return false;
}

function fromOversized(record: OversizedRecord): CsvItem {
  const reasons = record.unclosedQuote
    ? ['record_too_large', 'unclosed_quote']
    : ['record_too_large'];
  return {
    kind: 'bad',
    line: record.line,
    raw: `${decodeUtf8(record.prefix)}…`,
    reasons,
  };
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
