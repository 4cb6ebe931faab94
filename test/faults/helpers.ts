import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Upload } from '@aws-sdk/lib-storage';
import pg from 'pg';
import { expect } from 'vitest';
import { freePort } from '../../local/shared/free-port.ts';
import { waitFor } from '../helpers/wait.ts';

const CLI = resolve(import.meta.dirname, '../../scripts/start.ts');
const started = new Set<CloudProcess>();

/** Kills every cloud a scenario started and left running (a failed assertion, say). */
export async function killLeftovers(): Promise<void> {
  for (const cloud of started) {
    cloud.signalGroup('SIGKILL');
    await cloud.exited;
  }
  started.clear();
}
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface CloudProcessOptions {
  readonly stateDir: string;
  readonly assembly: string;
  readonly port: number;
  readonly env?: Record<string, string>;
}

/**
 * `npm start` as a user runs it, in a process group of its own (PostgreSQL and the function
 * environments with it), so a test can send a signal to the whole group as a terminal's Ctrl-C
 * or `kill -9 -PGID` does, and read what it printed.
 */
export class CloudProcess {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();
  readonly options: CloudProcessOptions;

  constructor(options: CloudProcessOptions) {
    this.options = options;
    this.child = spawn(
      process.execPath,
      [
        CLI,
        'start',
        '--port',
        String(options.port),
        '--state-dir',
        options.stateDir,
        '--assembly',
        options.assembly,
      ],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...options.env },
      },
    );
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.output.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
        for (const listener of this.listeners) listener();
      });
    }
    this.exited = new Promise((done) =>
      this.child.once('exit', (code, signal) => {
        started.delete(this);
        done({ code, signal });
      }),
    );
    started.add(this);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  /** Resolves with the first line matching, waiting for it up to `timeoutMs`. */
  line(pattern: RegExp, timeoutMs = 120_000): Promise<string> {
    return new Promise((done, fail) => {
      const check = () => {
        const found = this.output.find((l) => pattern.test(l));
        if (!found) return false;
        clearTimeout(timer);
        this.listeners.delete(check);
        done(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        fail(
          new Error(`no line matching ${pattern} in ${timeoutMs} ms:\n${this.output.join('\n')}`),
        );
      }, timeoutMs);
      if (!check()) this.listeners.add(check);
      void this.exited.then(() => {
        if (this.listeners.has(check)) {
          this.listeners.delete(check);
          clearTimeout(timer);
          fail(
            new Error(`the cloud exited before printing ${pattern}:\n${this.output.join('\n')}`),
          );
        }
      });
    });
  }

  async ready(): Promise<void> {
    await this.line(/shopstream is up on/);
  }

  /** A signal to the whole process group, as a terminal or `kill -SIG -PGID` sends it. */
  signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  outputs(): Record<string, string> {
    const all = JSON.parse(readFileSync(join(this.options.stateDir, 'outputs.json'), 'utf8'));
    return Object.values(all)[0] as Record<string, string>;
  }
}

export interface FaultRig {
  readonly stateDir: string;
  readonly assembly: string;
  readonly port: number;
  start(env?: Record<string, string>): Promise<CloudProcess>;
}

/** A fresh state folder and port for one scenario; every cloud of it shares them. */
export async function faultRig(assembly: string): Promise<FaultRig> {
  const stateDir = mkdtempSync(join(tmpdir(), 'shopstream-fault-'));
  const port = await freePort();
  return {
    stateDir,
    assembly,
    port,
    async start(env) {
      const cloud = new CloudProcess({ stateDir, assembly, port, env });
      await cloud.ready();
      return cloud;
    },
  };
}

/** A pool on the stack's database, reached through its secret as a user would. */
export async function database(cloud: CloudProcess): Promise<pg.Pool> {
  const secrets = new SecretsManagerClient({
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials,
  });
  const out = await secrets.send(
    new GetSecretValueCommand({ SecretId: cloud.outputs().DatabaseSecretArn }),
  );
  secrets.destroy();
  const secret = JSON.parse(out.SecretString ?? '{}');
  const pool = new pg.Pool({
    host: secret.host,
    port: secret.port,
    user: secret.username,
    password: secret.password,
    database: secret.dbname,
    max: 2,
    connectionTimeoutMillis: 2_000,
  });
  // The database is paused or killed on purpose: a failed poll is retried, never fatal.
  pool.on('error', () => {});
  return pool;
}

export function s3For(cloud: CloudProcess): S3Client {
  return new S3Client({
    endpoint: cloud.endpoint,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    // An upload that fails is not acknowledged; it is not retried into the next run.
    maxAttempts: 1,
  });
}

export function csv(key: string, rows: number): string {
  const lines = ['event_id,event_time,event_type,user_id,product_id'];
  for (let i = 0; i < rows; i++)
    lines.push(`${key}#${i},2026-11-20T10:00:00Z,view,u${i % 97},p${i % 31}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Uploads files with a few in flight at once and records each key whose PutObject returned
 * 200: what S3 acknowledged is what must land. Stops at the first failed upload (the cloud was
 * killed) or when `halt` is set.
 */
export function burst(
  s3: S3Client,
  bucket: string,
  options: { readonly name: string; readonly files: number; readonly rows: number },
) {
  const acknowledged = new Map<string, number>();
  let halted = false;
  let next = 0;
  const worker = async () => {
    while (!halted && next < options.files) {
      const key = `incoming/${options.name}/file-${String(next++).padStart(5, '0')}.csv`;
      try {
        await s3.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv(key, options.rows) }),
        );
        acknowledged.set(key, options.rows);
      } catch {
        halted = true;
      }
    }
  };
  const done = Promise.all(Array.from({ length: 6 }, worker));
  return {
    acknowledged,
    done,
    halt() {
      halted = true;
    },
  };
}

export async function countLoaded(db: pg.Pool, prefix: string): Promise<number> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM ingested_files WHERE key LIKE $1 AND status = 'loaded'`,
    [`${prefix}%`],
  );
  return rows[0].n;
}

/**
 * Every acknowledged upload has exactly one ledger row, loaded, with exactly its rows in
 * `events`, within `timeoutMs`; and no file under the prefix, acknowledged or not, is in the
 * ledger twice or has other than its own rows.
 */
export async function expectEachFileOnce(
  db: pg.Pool,
  prefix: string,
  acknowledged: ReadonlyMap<string, number>,
  timeoutMs = 60_000,
): Promise<void> {
  expect(acknowledged.size).toBeGreaterThan(0);
  const keys = [...acknowledged.keys()];
  await waitFor(
    `${acknowledged.size} acknowledged uploads loaded`,
    async () => {
      const { rows } = await db.query(
        `SELECT count(DISTINCT key)::int AS n FROM ingested_files WHERE key = ANY($1) AND status = 'loaded'`,
        [keys],
      );
      return rows[0].n === keys.length;
    },
    { timeoutMs, intervalMs: 500 },
  );
  const ledger = await db.query(
    `SELECT f.key, f.status, f.rows_loaded, f.rows_rejected, f.rows_duplicate,
            (SELECT count(*)::int FROM events e WHERE e.file_id = f.id) AS stored
       FROM ingested_files f WHERE f.key LIKE $1 ORDER BY f.key`,
    [`${prefix}%`],
  );
  const seen = new Map<string, number>();
  for (const row of ledger.rows) seen.set(row.key, (seen.get(row.key) ?? 0) + 1);
  expect([...seen.entries()].filter(([, n]) => n > 1)).toEqual([]);
  for (const row of ledger.rows) {
    const expected = acknowledged.get(row.key);
    if (expected !== undefined)
      expect(row).toMatchObject({ status: 'loaded', rows_loaded: expected, stored: expected });
    else expect(row.stored).toBe(row.rows_loaded);
    expect(row.rows_rejected + row.rows_duplicate).toBe(0);
  }
  const total = await db.query(
    `SELECT count(*)::int AS n FROM events e JOIN ingested_files f ON f.id = e.file_id WHERE f.key LIKE $1`,
    [`${prefix}%`],
  );
  expect(total.rows[0].n).toBe(ledger.rows.reduce((sum, r) => sum + r.rows_loaded, 0));
}

/** Direct children of a process, from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** The processes of the cloud's PostgreSQL: the postmaster and its backends. */
export function postgresProcesses(stateDir: string): number[] {
  const pidFile = readFileSync(join(stateDir, 'postgres', 'postmaster.pid'), 'utf8');
  const postmaster = Number(pidFile.split('\n')[0]);
  return [postmaster, ...childrenOf(postmaster)];
}

/** The cloud's execution environments of one function, by the name in their environment. */
export function environmentsOf(cloud: CloudProcess, functionName: string): number[] {
  return childrenOf(cloud.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .includes(`AWS_LAMBDA_FUNCTION_NAME=${functionName}`);
    } catch {
      return false;
    }
  });
}

/** Waits until the ingest function is inside a COPY into the database. */
export function copyRunning(db: pg.Pool, timeoutMs = 60_000): Promise<true> {
  return waitFor(
    'a COPY of the ingest function',
    async () => {
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'shopstream-ingest' AND state = 'active' AND query ILIKE 'COPY%'`,
      );
      return rows[0].n > 0 || undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/**
 * Uploads a large file of `rows` rows as any S3 client sends one of that size (multipart),
 * and waits until the ingest function is inside its COPY.
 */
export async function uploadLargeAndWaitForCopy(
  s3: S3Client,
  db: pg.Pool,
  bucket: string,
  key: string,
  rows: number,
): Promise<void> {
  await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: Buffer.from(csv(key, rows)) },
    partSize: 8 * 1024 * 1024,
  }).done();
  await copyRunning(db);
}
