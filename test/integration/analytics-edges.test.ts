import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestHarness } from '../helpers/ingest-harness.ts';

const HEADER = 'event_id,event_time,event_type,user_id,session_id,product_id';
const csv = (...rows: string[]) => `${HEADER}\n${rows.join('\n')}\n`;

describe('analytics at the edges', () => {
  let h: IngestHarness;
  let n = 0;
  beforeAll(async () => {
    h = await IngestHarness.start();
  });
  afterAll(() => h.stop());
  const load = async (...rows: string[]) => {
    const out = await h.deliver(await h.put(`incoming/edge-${n++}.csv`, csv(...rows)));
    expect(out.batchItemFailures).toEqual([]);
  };
  const query = async (sql: string, params: unknown[] = []) =>
    (await h.db.pool.query(sql, params)).rows;

  it('puts an event exactly on a minute into the window that starts there', async () => {
    await load(
      'b1,2026-11-20T10:00:59.999Z,view,ub,,p1',
      'b2,2026-11-20T10:01:00.000Z,view,ub,,p1',
    );
    const rows = await query(
      `SELECT window_start, events::int FROM activity_per_minute
        WHERE window_start >= '2026-11-20T10:00:00Z' AND window_start < '2026-11-20T10:02:00Z'
        ORDER BY 1`,
    );
    expect(rows.map((r) => [r.window_start.toISOString(), r.events])).toEqual([
      ['2026-11-20T10:00:00.000Z', 1],
      ['2026-11-20T10:01:00.000Z', 1],
    ]);
  });

  it('counts an event whose window had closed as late, in its window, and moves the watermark', async () => {
    await load('w1,2026-11-20T11:10:30Z,view,uw,,p1');
    const [mark] = await query('SELECT max_event_time, watermark FROM pipeline_watermark');
    expect(mark.max_event_time.toISOString()).toBe('2026-11-20T11:10:30.000Z');
    expect(mark.watermark.toISOString()).toBe('2026-11-20T11:08:30.000Z');
    // Window 11:07 closed at 11:08 <= 11:08:30: late. Window 11:08 ends at 11:09: on time.
    await load('w2,2026-11-20T11:07:10Z,view,uw,,p1', 'w3,2026-11-20T11:08:10Z,view,uw,,p1');
    const rows = await query(
      `SELECT window_start, events::int, late_events::int, revisions::int FROM activity_per_minute
        WHERE window_start IN ('2026-11-20T11:07:00Z', '2026-11-20T11:08:00Z') ORDER BY 1`,
    );
    expect(rows.map((r) => [r.events, r.late_events, r.revisions])).toEqual([
      [1, 1, 1],
      [1, 0, 0],
    ]);
    // An event ahead of its ingestion does not move the watermark.
    await load(`w4,${new Date(Date.now() + 3_600_000).toISOString()},view,uw,,p1`);
    const [after] = await query('SELECT max_event_time FROM pipeline_watermark');
    expect(after.max_event_time.toISOString()).toBe('2026-11-20T11:10:30.000Z');
  });

  it('merges two inferred sessions when a late event closes the gap, and splits none inside one', async () => {
    const sessions = async () =>
      (
        await query(
          `SELECT session_start, session_end, events::int FROM sessions
            WHERE user_id = 'um' AND inferred ORDER BY session_start`,
        )
      ).map((r) => [
        r.session_start.toISOString().slice(11, 16),
        r.session_end.toISOString().slice(11, 16),
        r.events,
      ]);
    await load('m1,2026-11-20T12:00:00Z,view,um,,p1', 'm2,2026-11-20T12:50:00Z,view,um,,p1');
    expect(await sessions()).toEqual([
      ['12:00', '12:00', 1],
      ['12:50', '12:50', 1],
    ]);
    await load('m3,2026-11-20T12:25:00Z,view,um,,p1');
    expect(await sessions()).toEqual([['12:00', '12:50', 3]]);
    await load('m4,2026-11-20T12:40:00Z,view,um,,p1');
    expect(await sessions()).toEqual([['12:00', '12:50', 4]]);
  });
});
