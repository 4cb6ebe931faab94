import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DEFAULTS } from '#shared/contract.ts';

const SNIFF_BYTES = 4096;
/**
 * A gzip body's first bytes are read this far before any row moves, so that a decompression
 * bomb is refused before the database sees a row of it.
 */
const RATIO_FLOOR = 8 * 1024 * 1024;
/** Compressed bytes go to gunzip in slices this small, so the ratio measured stays close. */
const SLICE_BYTES = 4 * 1024;

/** What one file may expand to; over any of them the file is rejected, never retried. */
export interface FileLimits {
  /** Bytes of CSV after decompression. */
  readonly maxBytes: number;
  /** Records, header excluded. */
  readonly maxRows: number;
  /** Decompressed bytes per compressed byte of a gzip body (CSV compresses about 4 to 1). */
  readonly maxCompressionRatio: number;
}

export const DEFAULT_LIMITS: FileLimits = {
  maxBytes: DEFAULTS.maxFileBytes,
  maxRows: DEFAULTS.maxFileRows,
  maxCompressionRatio: DEFAULTS.maxCompressionRatio,
};

/** A file over one of its limits; `reason` is what the ledger records. */
export class FileLimitError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = 'FileLimitError';
    this.reason = reason;
  }
}

/** Formats that are certainly not CSV, by their first bytes. */
const SIGNATURES: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['pdf', [0x25, 0x50, 0x44, 0x46]],
  ['png', [0x89, 0x50, 0x4e, 0x47]],
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['parquet', [0x50, 0x41, 0x52, 0x31]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf]],
];

export type Content =
  | { readonly kind: 'text'; readonly stream: Readable; readonly gzip: boolean }
  | { readonly kind: 'not_csv'; readonly reason: string };

/**
 * Looks at an object's first bytes: gzip (1f 8b) is unwrapped whatever the key says; known
 * binary formats, or NUL bytes near the start, mean the file is not CSV at all. The text is
 * metered against `limits`: past one, the stream fails with a FileLimitError (a gzip body
 * expanding past the ratio does so here, before any row is read).
 */
export async function openContent(
  body: Readable,
  limits: FileLimits = DEFAULT_LIMITS,
): Promise<Content> {
  // One look serves both checks: the gzip magic is in the same first bytes as any other.
  let sniff = await peek(body, SNIFF_BYTES);
  let gzip = false;
  if (sniff.bytes[0] === 0x1f && sniff.bytes[1] === 0x8b) {
    gzip = true;
    const compressed = sliced(sniff.stream);
    const meter = new Meter(limits, compressed);
    const text = pipeline(compressed.stream, createGunzip(), meter, () => {});
    sniff = await peek(text, RATIO_FLOOR);
  } else {
    const meter = new Meter(limits, null);
    sniff = { bytes: sniff.bytes, stream: pipeline(sniff.stream, meter, () => {}) };
  }
  const reason = notCsvReason(sniff.bytes.subarray(0, SNIFF_BYTES));
  if (reason) {
    sniff.stream.destroy();
    return { kind: 'not_csv', reason };
  }
  return { kind: 'text', stream: sniff.stream, gzip };
}

interface Counted {
  readonly stream: Readable;
  readonly bytes: number;
}

/**
 * The compressed bytes in small slices, each counted as gunzip pulls it: what was counted is
 * at most a few slices and gunzip's input buffer ahead of what it has expanded.
 */
function sliced(source: Readable): Counted {
  const counted = { bytes: 0 } as { bytes: number; stream: Readable };
  async function* slices() {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i += SLICE_BYTES) {
        const slice = chunk.subarray(i, i + SLICE_BYTES);
        counted.bytes += slice.length;
        yield slice;
      }
    }
  }
  counted.stream = Readable.from(slices(), { objectMode: false, highWaterMark: SLICE_BYTES });
  return counted;
}

/** Counts the text's bytes and fails the stream past a limit. */
class Meter extends Transform {
  private bytes = 0;
  private readonly limits: FileLimits;
  private readonly compressed: Counted | null;

  constructor(limits: FileLimits, compressed: Counted | null) {
    super();
    this.limits = limits;
    this.compressed = compressed;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.bytes += chunk.length;
    const { maxBytes, maxCompressionRatio } = this.limits;
    if (this.bytes > maxBytes) {
      callback(new FileLimitError(`too_large: more than ${maxBytes} bytes of CSV`));
      return;
    }
    if (
      this.compressed !== null &&
      this.bytes >= Math.min(RATIO_FLOOR, maxBytes) &&
      this.bytes > maxCompressionRatio * this.compressed.bytes
    ) {
      callback(
        new FileLimitError(
          `too_large: gzip expands more than ${maxCompressionRatio} to 1 (a decompression bomb?)`,
        ),
      );
      return;
    }
    callback(null, chunk);
  }
}

export function notCsvReason(bytes: Buffer): string | null {
  for (const [name, magic] of SIGNATURES) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) {
      return `not_csv: ${name} content`;
    }
  }
  if (looksBinary(bytes)) return 'not_csv: binary content';
  return null;
}

/**
 * Binary when the header line holds a NUL, or more than a tenth of the first bytes are
 * control characters. A stray NUL in a data row is that row's problem (`nul_byte`), not
 * the file's.
 */
function looksBinary(bytes: Buffer): boolean {
  const firstLineEnd = bytes.indexOf(0x0a);
  const header = firstLineEnd === -1 ? bytes : bytes.subarray(0, firstLineEnd);
  if (header.includes(0)) return true;
  let control = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x09 || (b > 0x0d && b < 0x20)) control++;
  }
  return control * 10 > bytes.length;
}

/**
 * Reads at least `n` bytes (fewer at the end of the stream) and gives back a stream that
 * still starts at the first byte.
 */
async function peek(source: Readable, n: number): Promise<{ bytes: Buffer; stream: Readable }> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < n) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const bytes = Buffer.concat(chunks);
  async function* rest() {
    if (bytes.length > 0) yield bytes;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      yield next.value as Buffer;
    }
  }
  const stream = Readable.from(rest(), { objectMode: false });
  stream.on('close', () => {
    if (!done) void iterator.return?.();
  });
  return { bytes, stream };
}
