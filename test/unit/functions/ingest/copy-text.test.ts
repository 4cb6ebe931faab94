import { describe, expect, it } from 'vitest';
import { arrayLiteral, copyField, rejectedLine } from '../../../../functions/ingest/copy-text.ts';

describe('COPY text format', () => {
  it('escapes backslash, tab, newline and carriage return, and writes null as \\N', () => {
    expect(copyField('plain')).toBe('plain');
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField(null)).toBe('\\N');
    expect(copyField('\\N')).toBe('\\\\N');
  });

  it('quotes array elements', () => {
    expect(arrayLiteral(['missing:user_id', 'a"b\\c'])).toBe('{"missing:user_id","a\\"b\\\\c"}');
  });

  it('keeps NUL out of the quarantine text', () => {
    expect(rejectedLine({ lineNumber: 3, raw: 'a\u0000b', reasons: ['nul_byte'] }, '9')).toBe(
      '9\t3\ta\u2400b\t{"nul_byte"}\n',
    );
  });
});
