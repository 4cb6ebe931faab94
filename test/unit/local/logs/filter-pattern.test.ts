import { describe, expect, it } from 'vitest';
import { compileFilterPattern, FilterPatternError } from '../../../../local/logs/filter-pattern.ts';

const matches = (pattern: string, message: string) => compileFilterPattern(pattern)(message);

// Examples follow the CloudWatch Logs documentation, "Filter pattern syntax for metric
// filters, subscription filters, filter log events, and Live Tail".
const TEXT_EVENTS = [
  '[ERROR 400] BAD REQUEST',
  '[ERROR 401] UNAUTHORIZED REQUEST',
  '[ERROR 419] MISSING ARGUMENTS',
  '[ERROR 420] INVALID ARGUMENTS',
  '[INFO] request accepted',
];

const hits = (pattern: string) => TEXT_EVENTS.filter((e) => matches(pattern, e));

describe('text filter patterns', () => {
  it('matches a term, case-sensitively', () => {
    expect(hits('ERROR')).toHaveLength(4);
    expect(hits('error')).toHaveLength(0);
  });

  it('needs every term', () => {
    expect(hits('ERROR ARGUMENTS')).toEqual([
      '[ERROR 419] MISSING ARGUMENTS',
      '[ERROR 420] INVALID ARGUMENTS',
    ]);
  });

  it('takes any of the ? terms', () => {
    expect(hits('?ERROR ?INFO')).toHaveLength(5);
    expect(hits('?UNAUTHORIZED ?MISSING')).toEqual([
      '[ERROR 401] UNAUTHORIZED REQUEST',
      '[ERROR 419] MISSING ARGUMENTS',
    ]);
  });

  it('excludes - terms', () => {
    expect(hits('ERROR -ARGUMENTS')).toEqual([
      '[ERROR 400] BAD REQUEST',
      '[ERROR 401] UNAUTHORIZED REQUEST',
    ]);
  });

  it('matches quoted phrases, with their spaces', () => {
    expect(hits('"INVALID ARGUMENTS"')).toEqual(['[ERROR 420] INVALID ARGUMENTS']);
    expect(hits('"ERROR 4"')).toHaveLength(4);
  });

  it('matches %regular expressions%', () => {
    expect(hits('%ERROR 4[01]\\d%')).toEqual([
      '[ERROR 400] BAD REQUEST',
      '[ERROR 401] UNAUTHORIZED REQUEST',
      '[ERROR 419] MISSING ARGUMENTS',
    ]);
  });

  it('matches everything when empty', () => {
    expect(hits('')).toHaveLength(5);
    expect(hits('""')).toHaveLength(5);
  });
});

const CLOUDTRAIL = JSON.stringify({
  eventType: 'UpdateTrail',
  sourceIPAddress: '123.123.123.123',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
  latency: 50,
  user: { id: 1, email: 'John.Doe@example.com' },
});

describe('JSON filter patterns', () => {
  it.each([
    ['{ $.eventType = "UpdateTrail" }', true],
    ['{ $.eventType = UpdateTrail }', true],
    ['{ $.eventType = "Update*" }', true],
    ['{ $.eventType != "UpdateTrail" }', false],
    ['{ $.sourceIPAddress != 123.123.* }', false],
    ['{ $.sourceIPAddress = 123.123.* }', true],
    ['{ $.arrayKey[0] = "value" }', true],
    ['{ $.arrayKey[1] = "value" }', false],
    ['{ $.objectList[1].id = 2 }', true],
    ['{ $.objectList[1].id > 1 }', true],
    ['{ $.latency >= 50 && $.latency < 51 }', true],
    ['{ $.latency > 100 || $.eventType = "UpdateTrail" }', true],
    ['{ ($.user.id = 1) && ($.user.email = "John.Doe@example.com") }', true],
    ['{ ($.user.id = 2) && ($.user.email = "John.Doe@example.com") }', false],
    ['{ $.SomeObject IS NULL }', true],
    ['{ $.eventType IS NULL }', false],
    ['{ $.SomeOtherObject NOT EXISTS }', true],
    ['{ $.SomeObject EXISTS }', true],
    ['{ $.ThisFlag IS TRUE }', true],
    ['{ $.ThisFlag IS FALSE }', false],
    ['{ $.eventType = %^Update[A-Z]% }', true],
    ['{ $.missing = "x" }', false],
    ['{ $.missing != "x" }', false],
  ])('%s -> %s', (pattern, expected) => {
    expect(matches(pattern, CLOUDTRAIL)).toBe(expected);
  });

  it('reads the JSON after a Lambda log line prefix, and never matches text', () => {
    expect(
      matches('{ $.level = "ERROR" }', '2026-11-22T10:00:00.000Z\tid\tERROR\t{"level":"ERROR"}'),
    ).toBe(true);
    expect(matches('{ $.level = "ERROR" }', 'ERROR plain text')).toBe(false);
  });

  it.each([
    '{ $.a = "x" ',
    '{ a = "x" }',
    '{ $.a > "x" }',
    '{ $.a IS MAYBE }',
    '{ $.a = "x" } trailing',
    '{ $.a = %unclosed }',
    '"unclosed',
    '[ip, user]',
  ])('refuses %s with a clear error', (pattern) => {
    expect(() => compileFilterPattern(pattern)).toThrow(FilterPatternError);
  });
});
