import { describe, expect, it } from 'vitest';
import {
  DatabaseSecretError,
  parseDatabaseSecret,
  poolConfig,
} from '../../../../functions/shared/database.ts';

const rds = {
  engine: 'postgres',
  host: 'db.abc.eu-west-1.rds.amazonaws.com',
  port: 5432,
  username: 'shopstream',
  password: 'p',
  dbname: 'shopstream',
};

describe('database secret', () => {
  it('reaches RDS over verified TLS, and this machine without it', () => {
    expect(poolConfig(parseDatabaseSecret(rds), { max: 2, applicationName: 'x' }).ssl).toEqual({
      rejectUnauthorized: true,
    });
    const local = parseDatabaseSecret({ ...rds, host: '127.0.0.1', port: '54321' });
    expect(local.port).toBe(54321);
    expect(poolConfig(local, { max: 2, applicationName: 'x' }).ssl).toBe(false);
  });

  it('honours an explicit sslmode', () => {
    expect(parseDatabaseSecret({ ...rds, host: 'postgres', sslmode: 'disable' }).sslmode).toBe(
      'disable',
    );
    expect(parseDatabaseSecret({ ...rds, host: 'localhost', sslmode: 'verify-full' }).sslmode).toBe(
      'verify-full',
    );
    expect(() => parseDatabaseSecret({ ...rds, sslmode: 'prefer' })).toThrow(/sslmode/);
  });

  it('names a missing field without echoing any value', () => {
    expect(() => parseDatabaseSecret({ ...rds, password: '' })).toThrow(
      new DatabaseSecretError('database secret has no "password"'),
    );
    expect(() => parseDatabaseSecret('s3cr3t')).toThrow(DatabaseSecretError);
    try {
      parseDatabaseSecret({ ...rds, port: 'abc', password: 'hunter2' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
