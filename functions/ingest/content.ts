import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const SNIFF_BYTES = 4096;

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
 * binary formats, or NUL bytes near the start, mean the file is not CSV at all.
 */
export async function openContent(body: Readable): Promise<Content> {
  // One look serves both checks: the gzip magic is in the same first bytes as any other.
  let sniff = await peek(body, SNIFF_BYTES);
  let gzip = false;
  if (sniff.bytes[0] === 0x1f && sniff.bytes[1] === 0x8b) {
    gzip = true;
    const gunzip = createGunzip();
    sniff.stream.on('error', (error) => gunzip.destroy(error));
    sniff = await peek(sniff.stream.pipe(gunzip), SNIFF_BYTES);
  }
  const reason = notCsvReason(sniff.bytes);
  if (reason) {
    sniff.stream.destroy();
    return { kind: 'not_csv', reason };
  }
  return { kind: 'text', stream: sniff.stream, gzip };
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
