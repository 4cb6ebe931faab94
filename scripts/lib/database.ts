import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { type DatabaseSecret, parseDatabaseSecret, poolConfig } from '#shared/database.ts';
import { output, type Target, TargetError } from './target.ts';

/**
 * The stack's database credentials, read from its secret as the functions read them.
 * SHOPSTREAM_DB_HOST and SHOPSTREAM_DB_PORT point at a tunnel when the database is private (RDS).
 */
export async function databaseSecret(target: Target): Promise<DatabaseSecret> {
  const client = new SecretsManagerClient(target.clientConfig);
  try {
    const out = await client.send(
      new GetSecretValueCommand({ SecretId: output(target, 'DatabaseSecretArn') }),
    );
    const secret = parseDatabaseSecret(JSON.parse(out.SecretString ?? '{}'));
    const host = process.env.SHOPSTREAM_DB_HOST ?? secret.host;
    const port = Number(process.env.SHOPSTREAM_DB_PORT ?? secret.port);
    return { ...secret, host, port };
  } finally {
    client.destroy();
  }
}

export async function connectDatabase(target: Target): Promise<pg.Pool> {
  const secret = await databaseSecret(target);
  const pool = new pg.Pool({
    ...poolConfig(secret, { max: 2, applicationName: 'shopstream-cli' }),
    connectionTimeoutMillis: 5_000,
  });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new TargetError(
      `cannot reach the database at ${secret.host}:${secret.port} (${(error as Error).message})${
        target.name === 'aws'
          ? '; RDS is in isolated subnets: forward a port to it (SSM or a bastion) and set SHOPSTREAM_DB_HOST and SHOPSTREAM_DB_PORT'
          : ''
      }`,
    );
  }
  return pool;
}

export function connectionUrl(secret: DatabaseSecret): string {
  const ssl = secret.sslmode === 'verify-full' ? '?sslmode=verify-full' : '';
  return `postgres://${encodeURIComponent(secret.username)}:${encodeURIComponent(secret.password)}@${secret.host}:${secret.port}/${encodeURIComponent(secret.dbname)}${ssl}`;
}
