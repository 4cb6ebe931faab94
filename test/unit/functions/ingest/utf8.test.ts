import { describe, expect, it } from 'vitest';
import { decodeUtf8, escapeInvalidBytes } from '../../../../functions/ingest/utf8.ts';

const escaped = (bytes: number[]) => escapeInvalidBytes(decodeUtf8(Buffer.from(bytes)));

describe('decodeUtf8', () => {
  it('decodes valid text as Buffer#toString does, a written U+FFFD included', () => {
    const text = 'Café ☕ 𝄞 \uFFFD';
    expect(decodeUtf8(Buffer.from(text))).toBe(text);
  });

  it('marks each byte of an invalid sequence, keeping the valid text around it', () => {
    expect(escaped([0x61, 0xe9, 0x62])).toBe('a\\xe9b');
    // Truncated three-byte sequence, then a valid one.
    expect(escaped([0xe2, 0x82, 0x41])).toBe('\\xe2\\x82A');
    // Overlong "/" and an encoded surrogate: valid to a lax decoder, not to RFC 3629.
    expect(escaped([0xc0, 0xaf])).toBe('\\xc0\\xaf');
    expect(escaped([0xed, 0xa0, 0x80])).toBe('\\xed\\xa0\\x80');
    // Above U+10FFFF.
    expect(escaped([0xf4, 0x90, 0x80, 0x80])).toBe('\\xf4\\x90\\x80\\x80');
    // Invalid at the very end.
    expect(escaped([0x41, 0xf0, 0x9f])).toBe('A\\xf0\\x9f');
  });

  it('decodes a range of the buffer only', () => {
    expect(escapeInvalidBytes(decodeUtf8(Buffer.from([0xff, 0x61, 0xff, 0x62]), 1, 3))).toBe(
      'a\\xff',
    );
  });

  it('writes a U+FFFF that was in the text as itself', () => {
    expect(escapeInvalidBytes(decodeUtf8(Buffer.from('x\uFFFFy')))).toBe('x\\uFFFFy');
  });
});
