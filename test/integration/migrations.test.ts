import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EditedMigrationError } from '../../functions/migrate/errors.ts';
import { loadMigrations } from '../../functions/migrate/load.ts';
import { toMigration } from '../../functions/migrate/plan.ts';
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
      'events',
      'events_by_type',
      'events_per_minute',
      'ingested_files',
      'ingestion_latency',
      'rejected_rows',
      'revenue_by_category',
      'schema_migrations',
    ]);
  });

  it('does nothing the second time', async () => {
    const client = await db.pool.connect();
    try {
      const result = await runMigrations(client, await loadMigrations(SQL_DIR));
      expect(result.applied).toEqual([]);
      expect(result.alreadyApplied).toBe(4);
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
