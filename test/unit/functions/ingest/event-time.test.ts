import { describe, expect, it } from 'vitest';
import { parseEventTime } from '../../../../functions/ingest/event-time.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const parse = (text: string) => parseEventTime(text, NOW);

describe('parseEventTime', () => {
  it.each([
    ['2026-11-20T10:00:00Z', '2026-11-20T10:00:00.000Z'],
    ['2026-11-20t10:00:00z', '2026-11-20T10:00:00.000Z'],
    ['2026-11-20T10:00:00.123Z', '2026-11-20T10:00:00.123Z'],
    ['2026-11-20T10:00:00.123456Z', '2026-11-20T10:00:00.123456Z'],
    ['2026-11-20T10:00:00.123456789Z', '2026-11-20T10:00:00.123456Z'],
    ['2026-11-20T12:00:00+02:00', '2026-11-20T10:00:00.000Z'],
    ['2026-11-20T05:30:00-0430', '2026-11-20T10:00:00.000Z'],
    ['2026-11-20T12:00:00+02', '2026-11-20T10:00:00.000Z'],
    ['2026-11-20T10:00', '2026-11-20T10:00:00.000Z'],
  ])('reads ISO 8601 %s', (text, expected) => {
    expect(parse(text)).toBe(expected);
  });

  it.each([
    ['2026-11-20T10:00:00', '2026-11-20T10:00:00.000Z'],
    ['2026-11-20 10:00:00', '2026-11-20T10:00:00.000Z'],
    ['2026-11-20 10:00:00.5', '2026-11-20T10:00:00.500Z'],
    ['2026/11/20 10:00:00', '2026-11-20T10:00:00.000Z'],
  ])('takes %s without a zone as UTC', (text, expected) => {
    expect(parse(text)).toBe(expected);
  });

  it('reads Unix epoch seconds (10 digits) and milliseconds (13 digits)', () => {
    expect(parse('1795000000')).toBe(new Date(1_795_000_000_000).toISOString());
    expect(parse('1795000000123')).toBe(new Date(1_795_000_000_123).toISOString());
    expect(parse('179500000')).toBeNull();
    expect(parse('17950000001234')).toBeNull();
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-11-20T24:00:00Z',
    '2026-11-20T10:60:00Z',
    '2026-11-20T10:00:60Z',
    '2026-11-20T10:00:00+15:00',
  ])('rejects the impossible %s', (text) => {
    expect(parse(text)).toBeNull();
  });

  it('accepts 29 February in a leap year', () => {
    expect(parse('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
  });

  it.each(['2026-11-20', 'yesterday', '20/11/2026 10:00', '2026-11/20 10:00:00', '', 'T10:00:00Z'])(
    'rejects the unsupported form %j',
    (text) => {
      expect(parse(text)).toBeNull();
    },
  );

  it('rejects years before 2000 and accepts 2000 itself', () => {
    expect(parse('1999-12-31T23:59:59Z')).toBeNull();
    expect(parse('2000-01-01T00:00:00Z')).toBe('2000-01-01T00:00:00.000Z');
    expect(parse('2000-01-01T00:30:00+01:00')).toBeNull();
  });

  it('accepts up to 24 hours ahead of ingestion, not a moment more', () => {
    expect(parse('2026-11-23T12:00:00Z')).toBe('2026-11-23T12:00:00.000Z');
    expect(parse('2026-11-23T12:00:00.001Z')).toBeNull();
  });

  it('checks the canonical form as strictly as the others', () => {
    expect(parse('2026-11-20T10:00:00.123Z')).toBe('2026-11-20T10:00:00.123Z');
    expect(parse('2026-02-30T10:00:00.000Z')).toBeNull();
    expect(parse('2026-11-20T24:00:00.000Z')).toBeNull();
    expect(parse('2026-11-20T10:00:00.12xZ')).toBeNull();
    expect(parse('1999-12-31T23:59:59.999Z')).toBeNull();
    expect(parse('2026-11-23T12:00:00.000Z')).toBe('2026-11-23T12:00:00.000Z');
    expect(parse('2026-11-23T12:00:00.001Z')).toBeNull();
    expect(parse('2024-02-29T00:00:00.000Z')).toBe('2024-02-29T00:00:00.000Z');
  });
});
