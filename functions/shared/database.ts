import type { PoolConfig } from 'pg';

/** The fields of an RDS-generated (or LocalStack external) database secret that we use. */
export interface DatabaseSecret {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly dbname: string;
  /**
   * `verify-full` (default off this machine) or `disable` (default on it). RDS secrets carry
   * none, so RDS is always reached over verified TLS; a LocalStack secret says `disable`.
   */
  readonly sslmode: 'disable' | 'verify-full';
}

export class DatabaseSecretError extends Error {
  override name = 'DatabaseSecretError';
}

/** Validates a secret's JSON; errors name the field, never its value. */
export function parseDatabaseSecret(value: unknown): DatabaseSecret {
  if (typeof value !== 'object' || value === null) {
    throw new DatabaseSecretError('database secret is not a JSON object');
  }
  const v = value as Record<string, unknown>;
  const text = (field: string) => {
    if (typeof v[field] !== 'string' || v[field] === '') {
      throw new DatabaseSecretError(`database secret has no "${field}"`);
    }
    return v[field] as string;
  };
  const port = Number(v.port ?? 5432);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new DatabaseSecretError('database secret has an invalid "port"');
  }
  const host = text('host');
  const sslmode = v.sslmode ?? (isLocalHost(host) ? 'disable' : 'verify-full');
  if (sslmode !== 'disable' && sslmode !== 'verify-full') {
    throw new DatabaseSecretError(
      'database secret has an invalid "sslmode" (disable or verify-full)',
    );
  }
  return {
    host,
    port,
    username: text('username'),
    password: text('password'),
    dbname: typeof v.dbname === 'string' && v.dbname !== '' ? v.dbname : 'postgres',
    sslmode,
  };
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

export function isLocalHost(host: string): boolean {
  return LOCAL_HOSTS.has(host) || host.endsWith('.localhost');
}

/**
 * Pool settings for a secret: verified TLS unless the secret says otherwise (RDS forces TLS;
 * on Lambda the RDS CA bundle comes through NODE_EXTRA_CA_CERTS).
 */
export function poolConfig(
  secret: DatabaseSecret,
  options: { max: number; applicationName: string },
): PoolConfig {
  return {
    host: secret.host,
    port: secret.port,
    user: secret.username,
    password: secret.password,
    database: secret.dbname,
    max: options.max,
    application_name: options.applicationName,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 60_000,
    ssl: secret.sslmode === 'disable' ? false : { rejectUnauthorized: true },
  };
}
