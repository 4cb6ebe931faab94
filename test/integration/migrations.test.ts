import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EditedMigrationError } from '../../functions/migrate/errors.ts';
import { loadMigrations } from '../../functions/migrate/load.ts';
import { toMigration } from '../../functions/migrate/plan.ts';
import { ensureWriterLogin } from '../../functions/migrate/roles.ts';
import { runMigrations } from '../../functions/migrate/runner.ts';
import { createTestDatabase, SQL_DIR, type TestDatabase } from '../helpers/database.ts';

describe('migration runner on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db.drop());

  it('applies sql/ once, even when two runners start together', async () => {
    const migrations = await loadMigrations(SQL_DIR);
    const [c1, c2] = await Promise.all([db.pool.connect(), db.pool.connect()]);
    try {
      const [r1, r2] = await Promise.all([
        runMigrations(c1, migrations),
        runMigrations(c2, migrations),
      ]);
      const applied = [...r1.applied, ...r2.applied].sort();
      expect(applied).toEqual(migrations.map((m) => m.name));
    } finally {
      c1.release();
      c2.release();
    }
    const { rows } = await db.pool.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'active_users',
      'activity_deltas',
      'activity_per_minute',
      'analytics_pending',
      'analytics_rollups',
      'events',
      'events_by_type',
      'events_per_minute',
      'export_lag',
      'funnel_per_hour',
      'inferred_sessions',
      'ingested_files',
      'ingestion_latency',
      'latency_deltas',
      'page_view_deltas',
      'page_views_per_minute',
      'pipeline_settings',
      'pipeline_watermark',
      'rejected_rows',
      'revenue_by_category',
      'schema_migrations',
      'session_deltas',
      'session_dirty_users',
      'sessions',
      'user_minutes',
    ]);
  });

  it('does nothing the second time', async () => {
    const client = await db.pool.connect();
    try {
      const migrations = await loadMigrations(SQL_DIR);
      const result = await runMigrations(client, migrations);
      expect(result.applied).toEqual([]);
      expect(result.alreadyApplied).toBe(migrations.length);
      expect(migrations.length).toBeGreaterThanOrEqual(9);
    } finally {
      client.release();
    }
  });

  it('refuses an edited migration and leaves the schema alone', async () => {
    const migrations = await loadMigrations(SQL_DIR);
    const [first, ...rest] = migrations;
    if (!first) throw new Error('no migrations');
    const edited = toMigration(first.name, `${first.sql}\nCREATE TABLE sneaky ();`);
    const client = await db.pool.connect();
    try {
      await expect(runMigrations(client, [edited, ...rest])).rejects.toThrow(EditedMigrationError);
    } finally {
      client.release();
    }
    const { rowCount } = await db.pool.query(`SELECT 1 FROM pg_tables WHERE tablename = 'sneaky'`);
    expect(rowCount).toBe(0);
  });

  it('rolls back a failing migration whole and records nothing', async () => {
    const migrations = await loadMigrations(SQL_DIR);
    const broken = toMigration(
      '9999_broken.sql',
      'CREATE TABLE half (); SELECT no_such_function();',
    );
    const client = await db.pool.connect();
    try {
      await expect(runMigrations(client, [...migrations, broken])).rejects.toThrow(
        /no_such_function/,
      );
    } finally {
      client.release();
    }
    const half = await db.pool.query(`SELECT 1 FROM pg_tables WHERE tablename = 'half'`);
    const ledger = await db.pool.query(
      `SELECT 1 FROM schema_migrations WHERE name = '9999_broken.sql'`,
    );
    expect(half.rowCount).toBe(0);
    expect(ledger.rowCount).toBe(0);
  });
});

describe("ingest's login role", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('adds files, events and rejected rows, and changes or removes nothing stored', async () => {
    const w = db.writerPool;
    const { rows } = await w.query<{ id: string }>(
      `INSERT INTO ingested_files (bucket, key, etag, status) VALUES ('b', 'k', 'e', 'loaded')
       RETURNING id`,
    );
    const fileId = rows[0]?.id;
    await w.query(
      `INSERT INTO events (event_id, event_time, event_type, user_id, product_id, file_id, line_number)
       VALUES ('e1', now(), 'view', 'u1', 'p1', $1, 2)`,
      [fileId],
    );
    await w.query(
      `INSERT INTO rejected_rows (file_id, line_number, raw_record, reasons) VALUES ($1, 3, 'x', '{bad}')`,
      [fileId],
    );
    await w.query(`UPDATE ingested_files SET rows_total = 0 WHERE id = $1`, [fileId]);
    // The sweep's gauges read three views (sql/0009); reading is all.
    for (const view of ['pipeline_watermark', 'activity_per_minute', 'export_lag'])
      await w.query(`SELECT * FROM ${view} LIMIT 1`);
    for (const statement of [
      `UPDATE events SET user_id = 'u2'`,
      'DELETE FROM events',
      'DELETE FROM ingested_files',
      'DELETE FROM rejected_rows',
      'TRUNCATE activity_deltas',
      'DROP TABLE events',
      'CREATE TABLE mine (x int)',
      'ALTER TABLE events ADD COLUMN x int',
      `INSERT INTO schema_migrations (name, checksum) VALUES ('x', 'y')`,
      'SELECT * FROM funnel_per_hour',
    ])
      await expect(w.query(statement), statement).rejects.toThrow(
        /permission denied|must be owner/,
      );
    const { rows: count } = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events',
    );
    expect(count[0]?.n).toBe(1);
  });

  it('takes the password of its secret on every run, and never the master user', async () => {
    const client = await db.pool.connect();
    try {
      const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
      await expect(
        ensureWriterLogin(client, { username: rows[0]?.user as string, password: 'x' }),
      ).rejects.toThrow(/names the master user/);
      const username = `${db.name}_rotated`;
      expect(await ensureWriterLogin(client, { username, password: 'first-password' })).toBe(
        'created',
      );
      expect(await ensureWriterLogin(client, { username, password: 'second-password' })).toBe(
        'updated',
      );
      const as = (password: string) => {
        const url = new URL(db.url);
        url.username = username;
        url.password = password;
        return new pg.Client({ connectionString: url.href });
      };
      await expect(as('first-password').connect()).rejects.toThrow(/password authentication/);
      const second = as('second-password');
      await second.connect();
      const { rows: member } = await second.query<{ ok: boolean }>(
        `SELECT pg_has_role('shopstream_writer', 'USAGE') AS ok`,
      );
      expect(member[0]?.ok).toBe(true);
      await second.end();
      await client.query(`DROP ROLE ${username}`);
    } finally {
      client.release();
    }
  });
});
