import { afterEach, describe, expect, it } from 'vitest';
import { relationAndReference } from '../helpers/analytics-reference.ts';
import type { S3ObjectFacts } from '../helpers/events.ts';
import { IngestHarness } from '../helpers/ingest-harness.ts';

const HEADER =
  'event_id,event_time,event_type,user_id,session_id,product_id,category,price,quantity';
const RELATIONS = [
  'activity_per_minute',
  'page_views_per_minute',
  'active_users',
  'sessions',
  'funnel_per_hour',
  'pipeline_watermark',
  'events_by_type',
  'revenue_by_category',
  'events_per_minute',
];

/** A small seeded generator (mulberry32): the same seed, the same files and delivery order. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
  };
}

const TYPES = ['view', 'view', 'view', 'add_to_cart', 'remove_from_cart', 'purchase'];

/**
 * Files of one seed: event times over about forty minutes two hours ago, a third of the rows
 * without a session id, ids repeated within and across files, rows that are rejected, and
 * late files whose events are ten to twenty minutes behind the rest.
 */
function files(seed: number): string[] {
  const r = random(seed);
  const base = Date.now() - 2 * 3_600_000;
  const used: string[] = [];
  const out: string[] = [];
  for (let f = 0; f < 14; f++) {
    const late = f >= 10;
    const lines = [HEADER];
    for (let i = 0, n = r.int(20, 90); i < n; i++) {
      if (used.length > 0 && r.next() < 0.05) {
        lines.push(r.pick(used)); // a duplicate of a row already sent
        continue;
      }
      const offset = late ? r.int(5 * 60_000, 20 * 60_000) : r.int(25 * 60_000, 45 * 60_000);
      // Every so often exactly on a minute boundary.
      const at = r.next() < 0.1 ? Math.floor((base + offset) / 60_000) * 60_000 : base + offset;
      const type = r.pick(TYPES);
      const user = `u${r.int(1, 12)}`;
      const session = r.next() < 0.35 ? '' : `s-${user}-${r.int(1, 3)}`;
      const line = [
        `e${seed}-${f}-${i}`,
        new Date(at).toISOString(),
        r.next() < 0.03 ? 'teleport' : type,
        user,
        session,
        `p${r.int(1, 15)}`,
        r.next() < 0.2 ? '' : `c${r.int(1, 4)}`,
        type === 'view' ? '' : `${r.int(1, 200)}.${r.int(0, 99)}`,
        type === 'view' ? '' : String(r.int(1, 3)),
      ].join(',');
      lines.push(line);
      used.push(line);
    }
    out.push(`${lines.join('\n')}\n`);
  }
  return out;
}

describe('stream analytics after random, concurrent, duplicated delivery', () => {
  let h: IngestHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  for (const seed of [11, 42, 2026]) {
    it(`equal their reference queries over events, row for row (seed ${seed})`, async () => {
      h = await IngestHarness.start();
      const harness = h;
      const r = random(seed);
      const bodies = files(seed);
      const facts: S3ObjectFacts[] = [];
      for (const [i, body] of bodies.entries())
        facts.push(await harness.put(`incoming/seed-${seed}/file-${i}.csv`, body));
      // The bulk first, then the late files; a third of the files delivered twice; batches of
      // one to three messages, four at a time.
      const early = facts.slice(0, 10).sort(() => r.next() - 0.5);
      const late = facts.slice(10).sort(() => r.next() - 0.5);
      const deliveries = [...early, ...late];
      for (const f of facts)
        if (r.next() < 0.33) deliveries.splice(r.int(0, deliveries.length), 0, f);
      const batches: S3ObjectFacts[][] = [];
      for (let i = 0; i < deliveries.length; ) {
        const size = r.int(1, 3);
        batches.push(deliveries.slice(i, i + size));
        i += size;
      }
      // Rollups run now and then among the deliveries, as the ingest function runs them.
      const db = harness.db.pool;
      for (let i = 0; i < batches.length; i += 4) {
        const rollup = r.next() < 0.5 ? [db.query('SELECT analytics_rollup()')] : [];
        const results = await Promise.all([
          ...batches.slice(i, i + 4).map((batch) => harness.deliver(...batch)),
          ...rollup,
        ]);
        for (const result of results.slice(0, -rollup.length || undefined))
          expect((result as { batchItemFailures: unknown[] }).batchItemFailures).toEqual([]);
      }

      const { rows: dirty } = await db.query('SELECT count(*)::int AS n FROM session_dirty_users');
      expect(dirty[0].n).toBe(0);
      const expectEqualToReference = async () => {
        for (const relation of RELATIONS) {
          const { actual, expected } = await relationAndReference(db, relation);
          expect(actual.length, relation).toBeGreaterThan(0);
          expect(actual, relation).toEqual(expected);
        }
      };
      await expectEqualToReference();
      // A last rollup folds every key into one row and changes no figure.
      await db.query('SELECT analytics_rollup()');
      const folded = await db.query(
        `SELECT (SELECT count(*) FROM activity_deltas WHERE NOT rolled)
              + (SELECT count(*) FROM page_view_deltas WHERE NOT rolled)
              + (SELECT count(*) FROM user_minutes WHERE NOT rolled)
              + (SELECT count(*) FROM session_deltas WHERE NOT rolled)
              + (SELECT count(*) FROM latency_deltas WHERE NOT rolled) AS fresh,
                (SELECT count(*) FROM activity_deltas)
              - (SELECT count(*) FROM (SELECT DISTINCT window_start, event_type, category
                                         FROM activity_deltas) k) AS repeated_keys,
                (SELECT count(*) FROM session_deltas)
              - (SELECT count(DISTINCT session_id) FROM session_deltas) AS repeated_sessions`,
      );
      expect(folded.rows[0]).toEqual({ fresh: '0', repeated_keys: '0', repeated_sessions: '0' });
      await expectEqualToReference();
      // What the seed exercised: late corrections, both kinds of session, rejected rows.
      const { rows } = await db.query(
        `SELECT (SELECT sum(late_events) FROM activity_per_minute)::int AS late,
                (SELECT count(*) FROM sessions WHERE inferred)::int AS inferred,
                (SELECT count(*) FROM sessions WHERE NOT inferred)::int AS explicit,
                (SELECT count(*) FROM rejected_rows)::int AS rejected,
                (SELECT sum(rows_duplicate) FROM ingested_files)::int AS duplicates`,
      );
      expect(rows[0].late).toBeGreaterThan(0);
      expect(rows[0].inferred).toBeGreaterThan(0);
      expect(rows[0].explicit).toBeGreaterThan(0);
      expect(rows[0].rejected).toBeGreaterThan(0);
      expect(rows[0].duplicates).toBeGreaterThan(0);
      const latency = await db.query('SELECT sum(events)::int AS n FROM ingestion_latency');
      expect(latency.rows[0].n).toBe(await harness.count('events'));
    });
  }
});
