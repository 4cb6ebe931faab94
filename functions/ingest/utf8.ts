import { isUtf8 } from 'node:buffer';

/**
 * Stands for one byte that is not part of valid UTF-8, followed by the byte in two hex digits.
 * U+FFFF is a noncharacter, never meant for interchange, so a row holding one (written or
 * standing for a bad byte) is rejected as `invalid_encoding` either way; a genuine U+FFFD, the
 * replacement character a producer may well have written, is data like any other.
 */
export const INVALID_BYTE = '\uFFFF';

/**
 * Decodes UTF-8 as Buffer#toString does, except that each byte of an invalid sequence becomes
 * INVALID_BYTE and its hex digits rather than U+FFFD, so that the row can be told apart from
 * one holding a real U+FFFD, and its raw text keep the byte (see `escapeInvalidBytes`).
 * Node decodes natively; only text that came out with a U+FFFD and is not valid UTF-8 takes
 * the slow path, byte by byte (TextDecoder can only replace or throw).
 */
export function decodeUtf8(bytes: Buffer, start = 0, end = bytes.length): string {
  const text = bytes.toString('utf8', start, end);
  if (!text.includes('\uFFFD') || isUtf8(bytes.subarray(start, end))) return text;
  let out = '';
  let run = start;
  let i = start;
  while (i < end) {
    const length = validSequenceAt(bytes, i, end);
    if (length > 0) {
      i += length;
      continue;
    }
    out += bytes.toString('utf8', run, i);
    out += INVALID_BYTE + (bytes[i] as number).toString(16).padStart(2, '0');
    i++;
    run = i;
  }
  return out + bytes.toString('utf8', run, end);
}

/** The raw text of a record for the quarantine: each invalid byte as `\xNN`. */
export function escapeInvalidBytes(text: string): string {
  return text.includes(INVALID_BYTE)
    ? text.replace(/\uFFFF([0-9a-f]{2})?/g, (_, hex: string | undefined) =>
        hex ? `\\x${hex}` : '\\uFFFF',
      )
    : text;
}

/** Length of the valid UTF-8 sequence at `i` (RFC 3629: no overlongs, surrogates or > U+10FFFF), or 0. */
function validSequenceAt(b: Buffer, i: number, end: number): number {
  const b0 = b[i] as number;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const v = i + k < end ? (b[i + k] as number) : -1;
    return v >= lo && v <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
