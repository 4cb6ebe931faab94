import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { inject } from 'vitest';
import { loadMigrations } from '../../functions/migrate/load.ts';
import { ensureWriterLogin } from '../../functions/migrate/roles.ts';
import { runMigrations } from '../../functions/migrate/runner.ts';

export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** The master user's, as migrations and operators connect. */
  readonly pool: pg.Pool;
  /**
   * Ingest's least-privilege login (a role of this database's own), as the deployed ingest
   * function connects; only on a migrated database.
   */
  readonly writerPool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh database on the run's PostgreSQL, migrated unless told otherwise. */
export async function createTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const serverUrl = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = serverUrl.replace(/\/[^/]*$/, `/${name}`);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const writer = { username: `${name}_ingest`, password: randomBytes(16).toString('hex') };
  if (options.migrate !== false) {
    const client = await pool.connect();
    try {
      await runMigrations(client, await loadMigrations(SQL_DIR));
      await ensureWriterLogin(client, writer);
    } finally {
      client.release();
    }
  }
  const writerUrl = new URL(url);
  writerUrl.username = writer.username;
  writerUrl.password = writer.password;
  const writerPool = new pg.Pool({ connectionString: writerUrl.href, max: 4 });
  return {
    name,
    url,
    pool,
    writerPool,
    async drop() {
      await Promise.all([closePool(pool), closePool(writerPool)]);
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${writer.username}`);
      await c.end();
    },
  };
}

/**
 * Ends a pool once its connections have closed. pg-pool's end() resolves as soon as it has
 * let go of its clients, before their connections close; a `DROP DATABASE ... WITH (FORCE)`
 * right after it can terminate one still closing, whose FATAL then reaches the pool as an
 * unhandled 'error'.
 */
async function closePool(pool: pg.Pool): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      open -= 1;
      if (open === 0) resolve();
    });
  });
  await pool.end();
  await closed;
}
