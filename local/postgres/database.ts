import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../shared/free-port.ts';
import { type PostgresServer, startPostgres } from './server.ts';

export interface LocalDatabaseEvents {
  /** One line for the operator: the server ended on its own, is back. */
  readonly progress?: (line: string) => void;
  /** The server ended and could not be started again: the cloud must not run on without it. */
  readonly fatal?: (error: Error) => void;
}

/** How long a server that ended on its own is retried: old backends may still hold its memory. */
const RESTART_ATTEMPTS = 30;

/**
 * The stand-in for AWS::RDS::DBInstance: one embedded PostgreSQL whose superuser is the
 * instance's master user, on a port kept across restarts so the secret stays right. A server
 * that ends on its own (killed, crashed) is started again on the same port and data, as RDS
 * recovers an instance; the connections it had fail, and their messages are retried.
 */
export class LocalDatabase {
  private server: PostgresServer | null = null;
  private readonly dir: string;
  private readonly events: LocalDatabaseEvents;
  private stopped = false;

  constructor(stateDir: string, events: LocalDatabaseEvents = {}) {
    this.dir = join(stateDir, 'postgres');
    this.events = events;
  }

  get running(): PostgresServer | null {
    return this.server;
  }

  async ensure(options: {
    user: string;
    password: string;
    database: string;
    port?: number;
    onLog?: (line: string) => void;
  }) {
    if (!this.server) {
      const port =
        options.port !== undefined && (await isFree(options.port))
          ? options.port
          : await freePort();
      this.server = await startPostgres({
        dataDir: this.dir,
        port,
        user: options.user,
        password: options.password,
        onLog: options.onLog,
        onExit: (how) => void this.recover(how),
      });
    }
    const client = new pg.Client({ connectionString: this.server.url('postgres') });
    await client.connect();
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        options.database,
      ]);
      if (exists.rowCount === 0)
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(options.database)}`);
    } finally {
      await client.end();
    }
    return { host: this.server.host, port: this.server.port };
  }

  /** From now on an ending server is expected (the cloud is stopping): no restart. */
  halt(): void {
    this.stopped = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.server?.stop();
    this.server = null;
  }

  private async recover(how: string): Promise<void> {
    const server = this.server;
    if (!server || this.stopped) return;
    this.events.progress?.(`PostgreSQL ended unexpectedly (${how}); starting it again`);
    let last: Error | undefined;
    for (let attempt = 1; attempt <= RESTART_ATTEMPTS && !this.stopped; attempt++) {
      try {
        await server.restart();
        this.events.progress?.(`PostgreSQL is back on port ${server.port}`);
        return;
      } catch (error) {
        last = error as Error;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    if (this.stopped) return;
    this.server = null;
    this.events.fatal?.(
      new Error(
        `PostgreSQL ended (${how}) and could not be started again: ${last?.message ?? 'unknown error'}`,
      ),
    );
  }
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
