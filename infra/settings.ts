import type { Node } from 'constructs';
import { DEFAULTS } from '#shared/contract.ts';
import type { ExternalDatabase } from './constructs/database.ts';

/** Stack settings from CDK context (`-c key=value` or cdk.json), checked once. */
export type Target = 'aws' | 'localstack' | 'local';

/** What `-c target=localstack` implies: the PostgreSQL of docker-compose.yml, reached by service name. */
export const LOCALSTACK_DATABASE = {
  dbHost: 'postgres',
  dbPort: '5432',
  dbUser: 'shopstream',
  dbPassword: 'shopstream',
  dbName: 'shopstream',
} as const;

export interface PipelineSettings {
  readonly target: Target;
  /** `aws` and `local` use RDS; `localstack` an external PostgreSQL. */
  readonly database: 'rds' | 'external';
  readonly external?: ExternalDatabase;
  /** EventBridge schedule of the generator, or null when disabled. */
  readonly generatorSchedule: string | null;
  /** EventBridge schedule of the lake's compaction, or null when disabled. */
  readonly lakeCompactionSchedule: string | null;
  /** The ingest function's timeout; the queue's visibility timeout is six times it. */
  readonly ingestTimeoutSeconds: number;
  readonly ingestMaxConcurrency: number;
  readonly connectionsPerInvocation: number;
  readonly deletionProtection: boolean;
  /** Seconds a 1-minute window stays open behind the latest event time. */
  readonly allowedLatenessSeconds: number;
  /** Seconds of inactivity that end an inferred session. */
  readonly sessionGapSeconds: number;
  /** Per file: bytes of CSV after decompression, rows, and gzip's expansion ratio, at most. */
  readonly maxFileBytes: number;
  readonly maxFileRows: number;
  readonly maxCompressionRatio: number;
  /** An address the alarm topic mails, or undefined. */
  readonly alarmEmail?: string;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function readSettings(node: Node): PipelineSettings {
  const get = (key: string): string | undefined => {
    const value = node.tryGetContext(key);
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = get(key);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new SettingsError(
        `context ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  };

  const target = get('target') ?? 'aws';
  if (target !== 'aws' && target !== 'localstack' && target !== 'local') {
    throw new SettingsError(
      `context target must be aws, localstack or local, got ${JSON.stringify(target)}`,
    );
  }
  const localstack = target === 'localstack';
  const orDefault = (key: keyof typeof LOCALSTACK_DATABASE) =>
    get(key) ?? (localstack ? LOCALSTACK_DATABASE[key] : undefined);
  const database = get('database') ?? (localstack ? 'external' : 'rds');
  if (database !== 'rds' && database !== 'external') {
    throw new SettingsError(
      `context database must be "rds" or "external", got ${JSON.stringify(database)}`,
    );
  }
  let external: ExternalDatabase | undefined;
  if (database === 'external') {
    const need = (key: keyof typeof LOCALSTACK_DATABASE) => {
      const value = orDefault(key);
      if (value === undefined) throw new SettingsError(`context database=external needs ${key}`);
      return value;
    };
    const sslmode = get('dbSslMode') ?? 'disable';
    if (sslmode !== 'disable' && sslmode !== 'verify-full') {
      throw new SettingsError(
        `context dbSslMode must be disable or verify-full, got ${JSON.stringify(sslmode)}`,
      );
    }
    external = {
      host: need('dbHost'),
      port: int('dbPort', 5432, 1, 65535),
      username: need('dbUser'),
      password: need('dbPassword'),
      dbname: orDefault('dbName') ?? 'shopstream',
      sslmode,
    };
  }

  const scheduleOf = (key: string, fallback: string): string | null => {
    const schedule = get(key) ?? fallback;
    const value = ['off', 'none', 'disabled', 'false'].includes(schedule) ? null : schedule;
    if (value !== null && !/^(rate|cron)\(.+\)$/.test(value)) {
      throw new SettingsError(
        `context ${key} must be rate(...), cron(...) or off, got ${JSON.stringify(schedule)}`,
      );
    }
    return value;
  };
  const generatorSchedule = scheduleOf('generatorSchedule', DEFAULTS.generatorSchedule);
  const lakeCompactionSchedule = scheduleOf(
    'lakeCompactionSchedule',
    DEFAULTS.lakeCompactionSchedule,
  );

  const alarmEmail = get('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new SettingsError(
      `context alarmEmail must be an email address, got ${JSON.stringify(alarmEmail)}`,
    );
  }

  return {
    target,
    database,
    alarmEmail,
    external,
    generatorSchedule,
    lakeCompactionSchedule,
    ingestTimeoutSeconds: int('ingestTimeoutSeconds', DEFAULTS.ingestTimeoutSeconds, 1, 900),
    ingestMaxConcurrency: int('ingestMaxConcurrency', DEFAULTS.ingestMaxConcurrency, 2, 1000),
    connectionsPerInvocation: int(
      'connectionsPerInvocation',
      DEFAULTS.connectionsPerInvocation,
      1,
      20,
    ),
    deletionProtection: get('deletionProtection') === 'true',
    allowedLatenessSeconds: int('allowedLateness', DEFAULTS.allowedLatenessSeconds, 0, 86_400),
    sessionGapSeconds: int('sessionGap', DEFAULTS.sessionGapSeconds, 60, 86_400),
    maxFileBytes: int('maxFileBytes', DEFAULTS.maxFileBytes, 1, Number.MAX_SAFE_INTEGER),
    maxFileRows: int('maxFileRows', DEFAULTS.maxFileRows, 1, Number.MAX_SAFE_INTEGER),
    maxCompressionRatio: int('maxCompressionRatio', DEFAULTS.maxCompressionRatio, 2, 1_000_000),
  };
}
