import { describe, expect, it } from 'vitest';
import {
  ENRICHED_SCHEMA,
  type ExportRow,
  enrichedEvent,
  isoMicros,
  MAX_BATCH_BYTES,
  StreamBatcher,
} from '../../../../functions/export/enriched.ts';

const row = (i: number, type = 'view'): ExportRow => ({
  event_id: `e-${String(i).padStart(6, '0')}`,
  event_time: 1_764_547_200_123_456n + BigInt(i),
  event_type: type,
  user_id: `U${i % 50}`,
  session_id: i % 3 === 0 ? null : `S${i % 40}`,
  product_id: `P${i % 20}`,
  product_name: 'A product with a "quoted" name',
  category: 'Books',
  price: type === 'purchase' ? 1250n : null,
  quantity: 2,
  device_type: 'mobile',
  file_id: 42n,
  line_number: i + 2,
  ingested_at: 1_764_547_260_000_001n,
  revenue: type === 'purchase' ? 2500n : 0n,
  resolved_session_id: `S${i % 40}`,
  event_date: '2025-12-01',
  late: i % 7 === 0,
});

function batchesOf(n: number): ReturnType<StreamBatcher['flush']>[] {
  const batcher = new StreamBatcher('42');
  const out = [];
  for (let i = 0; i < n; i++) {
    const r = row(i, i % 5 === 0 ? 'purchase' : 'view');
    const closed = batcher.add(enrichedEvent(r, 'incoming/x.csv'), r.event_type);
    if (closed) out.push(closed);
  }
  out.push(batcher.flush());
  return out;
}

describe('isoMicros', () => {
  it('keeps all six digits of PostgreSQL time, in UTC', () => {
    expect(isoMicros(1_764_547_200_123_456n)).toBe('2025-12-01T00:00:00.123456Z');
    expect(isoMicros(0n)).toBe('1970-01-01T00:00:00.000000Z');
    expect(isoMicros(1n)).toBe('1970-01-01T00:00:00.000001Z');
    expect(isoMicros(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(isoMicros(-1500n)).toBe('1969-12-31T23:59:59.998500Z');
  });
});

describe('enrichedEvent', () => {
  it('turns cents into amounts and keeps nulls, lateness and the file', () => {
    const e = JSON.parse(enrichedEvent(row(5, 'purchase'), 'incoming/x.csv'));
    expect(e).toMatchObject({
      event_id: 'e-000005',
      price: 12.5,
      revenue: 25,
      quantity: 2,
      session_id: 'S5',
      event_date: '2025-12-01',
      file_id: '42',
      file_key: 'incoming/x.csv',
      late: false,
      ingested_at: '2025-12-01T00:01:00.000001Z',
    });
    expect(JSON.parse(enrichedEvent(row(0), 'k')).session_id).toBeNull();
    expect(JSON.parse(enrichedEvent(row(7), 'k')).late).toBe(true);
  });
});

describe('StreamBatcher', () => {
  it('cuts batches under 63 KiB with every event once, in order', () => {
    const batches = batchesOf(3000);
    expect(batches.length).toBeGreaterThan(5);
    const ids: string[] = [];
    for (const [i, b] of batches.entries()) {
      if (!b) throw new Error('an empty batch');
      expect(Buffer.byteLength(b.body)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
      // Full batches leave less than one event's room.
      if (i < batches.length - 1)
        expect(Buffer.byteLength(b.body)).toBeGreaterThan(MAX_BATCH_BYTES - 1024);
      const body = JSON.parse(b.body);
      expect(body).toMatchObject({
        schema: ENRICHED_SCHEMA,
        batch_id: b.batchId,
        file_id: '42',
        count: b.count,
      });
      expect(b.batchId).toBe(`42-${String(i + 1).padStart(5, '0')}`);
      expect(body.events).toHaveLength(b.count);
      expect(b.eventTypes).toEqual(
        [...new Set(body.events.map((e: { event_type: string }) => e.event_type))].sort(),
      );
      ids.push(...body.events.map((e: { event_id: string }) => e.event_id));
    }
    expect(ids).toEqual(Array.from({ length: 3000 }, (_, i) => row(i).event_id));
  });

  it('cuts the same events the same way every time: a retry publishes the same batch ids and bodies', () => {
    expect(batchesOf(2500)).toEqual(batchesOf(2500));
  });

  it('has nothing to flush when nothing was added', () => {
    expect(new StreamBatcher('1').flush()).toBeNull();
  });
});
