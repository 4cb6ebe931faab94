import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { removeCloudState } from '../../local/cloud.ts';
import { SHARED_DIR } from '../../local/postgres/reachable.ts';
import { startPostgres } from '../../local/postgres/server.ts';

const asRoot = userInfo().uid === 0;
if (!asRoot) console.warn('skipping the PostgreSQL-as-root test: not running as root');

/**
 * As root, the cluster runs as `postgres`, which cannot enter a 0700 folder (a checkout under
 * /root, say): its data goes where it can, linked from the state folder, and a reset removes
 * both. CI runs as root.
 */
describe.skipIf(!asRoot)('PostgreSQL under root, with the state in a 0700 folder', () => {
  it('starts, serves, and its state is removed whole', async () => {
    const home = mkdtempSync(join(tmpdir(), 'shopstream-0700-'));
    chmodSync(home, 0o700);
    const stateDir = join(home, 'checkout', '.local');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const dataDir = join(stateDir, 'postgres');
    try {
      const server = await startPostgres({ dataDir, fast: true });
      try {
        const client = new pg.Client({ connectionString: server.url() });
        await client.connect();
        const { rows } = await client.query('SELECT current_setting($1) AS dir', [
          'data_directory',
        ]);
        await client.end();
        expect(lstatSync(dataDir).isSymbolicLink()).toBe(true);
        expect(rows[0].dir).toBe(readlinkSync(dataDir));
        expect(rows[0].dir.startsWith(`${SHARED_DIR}/clusters/`)).toBe(true);
      } finally {
        await server.stop();
      }
      const cluster = readlinkSync(dataDir);
      removeCloudState(stateDir);
      expect(existsSync(cluster)).toBe(false);
      expect(existsSync(stateDir)).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
