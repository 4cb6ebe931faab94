import type { ClientBase } from 'pg';
import { type AppliedMigration, type Migration, planMigrations } from './plan.ts';

/** Any stable 64-bit number; every runner of this schema takes the same lock. */
const LOCK_KEY = 7_245_310_115_001n;

export interface MigrationResult {
  readonly applied: string[];
  readonly alreadyApplied: number;
}

/**
 * Applies pending migrations in name order, each in its own transaction with its ledger
 * row. A session advisory lock serialises concurrent runners (two deploys, two test
 * workers): the second waits, then finds nothing left to do.
 */
export async function runMigrations(
  client: ClientBase,
  migrations: readonly Migration[],
  log: (message: string) => void = () => {},
): Promise<MigrationResult> {
  await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY.toString()]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name       text PRIMARY KEY,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<AppliedMigration>(
      'SELECT name, checksum FROM schema_migrations ORDER BY name',
    );
    const pending = planMigrations(migrations, rows);
    for (const migration of pending) {
      log(`applying ${migration.name}`);
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return { applied: pending.map((m) => m.name), alreadyApplied: rows.length };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY.toString()]);
  }
}
