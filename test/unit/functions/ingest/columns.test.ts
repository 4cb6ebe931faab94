import { describe, expect, it } from 'vitest';
import { resolveHeader } from '../../../../functions/ingest/columns.ts';

describe('resolveHeader', () => {
  it('matches names case-insensitively after trimming and a BOM, in any order', () => {
    const h = resolveHeader(['\uFEFF Product_ID ', 'USER_ID', 'Event_Type', 'event_time']);
    expect(h.index.product_id).toBe(0);
    expect(h.index.user_id).toBe(1);
    expect(h.index.event_type).toBe(2);
    expect(h.index.event_time).toBe(3);
    expect(h.index.price).toBe(-1);
    expect(h.missing).toEqual([]);
  });

  it('accepts every alias', () => {
    const h = resolveHeader([
      'id',
      'ts',
      'action',
      'user',
      'session',
      'product',
      'product_name',
      'product_category',
      'amount',
      'qty',
      'device',
    ]);
    expect(Object.values(h.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const alias of ['event_timestamp', 'timestamp']) {
      expect(resolveHeader([alias]).index.event_time).toBe(0);
    }
    expect(resolveHeader(['event']).index.event_type).toBe(0);
  });

  it('lists missing required columns and ignored unknown ones', () => {
    const h = resolveHeader(['event_time', 'colour', 'timestamp', 'price']);
    expect(h.missing).toEqual(['event_type', 'user_id', 'product_id']);
    expect(h.ignored).toEqual(['colour', 'timestamp']);
    expect(h.index.event_time).toBe(0);
  });
});
