import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../shared/free-port.ts';
import { type PostgresServer, startPostgres } from './server.ts';

/**
 * The stand-in for AWS::RDS::DBInstance: one embedded PostgreSQL whose superuser is the
 * instance's master user, on a port kept across restarts so the secret stays right.
 */
export class LocalDatabase {
  private server: PostgresServer | null = null;
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'postgres');
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

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = null;
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
