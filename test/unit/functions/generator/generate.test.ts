import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../../../functions/generator/catalogue.ts';
import { COLUMNS, type FileSpec, generateRows } from '../../../../functions/generator/generate.ts';
import { objectKey } from '../../../../functions/generator/run.ts';
import { resolveHeader } from '../../../../functions/ingest/columns.ts';
import { validateRecord } from '../../../../functions/ingest/validate.ts';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const spec = (overrides: Partial<FileSpec> = {}): FileSpec => ({
  rows: 5_000,
  dirtyRate: 0,
  duplicateRate: 0,
  lateRate: 0,
  seed: 42,
  now: NOW,
  ...overrides,
});
const collect = (s: FileSpec) => {
  const { rows, stats } = generateRows(s);
  return { rows: [...rows], stats };
};

describe('generator', () => {
  it('is deterministic for a seed and different across seeds', () => {
    expect(collect(spec()).rows).toEqual(collect(spec()).rows);
    expect(collect(spec({ seed: 43 })).rows[0]).not.toEqual(collect(spec()).rows[0]);
  });

  it('keeps each product at one price and category, whatever the seed', () => {
    const catalogue = new Map(buildCatalogue(500).map((p) => [p.id, p]));
    for (const seed of [1, 2, 3]) {
      for (const row of collect(spec({ seed, rows: 2_000 })).rows) {
        const product = catalogue.get(row.product_id);
        expect(product?.category).toBe(row.category);
        expect(product?.name).toBe(row.product_name);
        if (row.price !== '') expect(row.price).toBe(product?.price);
      }
    }
  });

  it('follows a funnel: views far more than carts, carts more than purchases', () => {
    const counts = new Map<string, number>();
    for (const row of collect(spec({ rows: 20_000 })).rows) {
      counts.set(row.event_type, (counts.get(row.event_type) ?? 0) + 1);
    }
    const views = counts.get('view') ?? 0;
    const carts = counts.get('add_to_cart') ?? 0;
    const purchases = counts.get('purchase') ?? 0;
    expect(views).toBeGreaterThan(3 * carts);
    expect(carts).toBeGreaterThan(purchases);
    expect(purchases).toBeGreaterThan(0);
    expect(counts.get('remove_from_cart')).toBeGreaterThan(0);
  });

  it('puts event times in the minute before now, except late events', () => {
    const { rows, stats } = collect(spec({ lateRate: 0.1 }));
    const times = rows.map((r) => Date.parse(r.event_time));
    const late = times.filter((t) => t < NOW - 60_000);
    expect(late.length).toBe(stats.late);
    expect(stats.late).toBeGreaterThan(300);
    // Minutes behind: past the watermark's two minutes, within a quarter of an hour.
    expect(late.every((t) => t <= NOW - 3 * 60_000 && t >= NOW - 16 * 60_000)).toBe(true);
  });

  it('leaves the session id off about the share of sessions asked for', () => {
    const { rows } = collect(spec({ sessionlessRate: 0.3 }));
    const without = rows.filter((r) => r.session_id === '').length / rows.length;
    expect(without).toBeGreaterThan(0.2);
    expect(without).toBeLessThan(0.4);
    expect(collect(spec()).rows.every((r) => r.session_id !== '')).toBe(true);
  });

  it('makes exactly the announced number of invalid rows and duplicates, as the ingest rules see them', () => {
    const { rows, stats } = collect(
      spec({ rows: 20_000, dirtyRate: 0.1, duplicateRate: 0.02, lateRate: 0.05 }),
    );
    const header = resolveHeader([...COLUMNS]);
    const ctx = {
      columns: header.index,
      now: NOW + 60_000,
      deriveId: (line: number) => `l${line}`,
    };
    const seen = new Set<string>();
    let invalid = 0;
    let duplicates = 0;
    rows.forEach((row, i) => {
      const result = validateRecord(
        COLUMNS.map((c) => row[c]),
        i + 2,
        ctx,
      );
      if (!result.ok) invalid++;
      else if (seen.has(result.row.eventId)) duplicates++;
      else seen.add(result.row.eventId);
    });
    expect(stats.rows).toBe(20_000);
    expect(invalid).toBe(stats.invalid);
    expect(duplicates).toBe(stats.duplicates);
    expect(stats.invalid).toBeGreaterThan(500);
    expect(stats.repaired).toBeGreaterThan(500);
    expect(stats.duplicates).toBeGreaterThan(200);
  });

  it('names files by date partition, with a unique suffix', () => {
    const at = new Date('2026-11-22T04:35:12.345Z');
    const key = objectKey('incoming/', at, false);
    expect(key).toMatch(/^incoming\/2026\/11\/22\/04\/20261122T043512Z-[0-9a-f]{8}\.csv$/);
    expect(objectKey('incoming/', at, true)).toMatch(/\.csv\.gz$/);
    expect(objectKey('incoming/', at, false)).not.toBe(key);
  });
});
