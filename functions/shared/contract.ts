/**
 * What the stack and the functions agree on, in one place: the environment variables the stack
 * sets and each function reads, the settings' defaults, the landing prefix. The stack builds a
 * function's environment with `environmentOf`, so a variable renamed here is renamed on both
 * sides, and one left out is a compile error.
 */

export const INCOMING_PREFIX = 'incoming/';

/** Defaults of the stack settings (CDK context); the functions fall back to the same. */
export const DEFAULTS = {
  generatorSchedule: 'rate(5 minutes)',
  /** A day's small lake objects are merged this often. */
  lakeCompactionSchedule: 'rate(15 minutes)',
  ingestTimeoutSeconds: 300,
  // Twenty connections either way, the database being what every target shares. On the
  // embedded cloud's two cores, five environments loading four files each used less of the
  // machine's CPU a file than ten loading two, in every round of paired bursts (about 8 %
  // less; docs/performance.md).
  ingestMaxConcurrency: 5,
  connectionsPerInvocation: 4,
  /** Spark's watermark delay: a window closes this long after the latest event time. */
  allowedLatenessSeconds: 120,
  /** Inactivity that ends a session inferred for rows without a session id. */
  sessionGapSeconds: 1_800,
  /** A file's CSV after decompression, at most: a generated million-row file is about 130 MB. */
  maxFileBytes: 2 * 1024 ** 3,
  /** A file's rows, at most. */
  maxFileRows: 10_000_000,
  /** A gzip body's expansion, at most: CSV compresses about 4 to 1; a decompression bomb 1,000 to 1. */
  maxCompressionRatio: 100,
} as const;

export const INGEST_ENV = {
  bucket: 'BUCKET_NAME',
  prefix: 'INCOMING_PREFIX',
  databaseSecretArn: 'DATABASE_SECRET_ARN',
  connectionsPerInvocation: 'DB_CONNECTIONS_PER_INVOCATION',
  queueUrl: 'INGEST_QUEUE_URL',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  queueVisibilitySeconds: 'INGEST_QUEUE_VISIBILITY_SECONDS',
  allowedLatenessSeconds: 'ALLOWED_LATENESS_SECONDS',
  sessionGapSeconds: 'SESSION_GAP_SECONDS',
  maxFileBytes: 'MAX_FILE_BYTES',
  maxFileRows: 'MAX_FILE_ROWS',
  maxCompressionRatio: 'MAX_COMPRESSION_RATIO',
  /** Committed files are announced here for the lake and the stream. */
  exportQueueUrl: 'EXPORT_QUEUE_URL',
} as const;

export const EXPORT_ENV = {
  databaseSecretArn: 'DATABASE_SECRET_ARN',
  lakeBucket: 'LAKE_BUCKET_NAME',
  topicArn: 'ENRICHED_EVENTS_TOPIC_ARN',
  exportQueueUrl: 'EXPORT_QUEUE_URL',
  sessionGapSeconds: 'SESSION_GAP_SECONDS',
} as const;

export const GENERATOR_ENV = {
  bucket: 'BUCKET_NAME',
  prefix: 'INCOMING_PREFIX',
  eventsPerFile: 'EVENTS_PER_FILE',
  filesPerInvocation: 'FILES_PER_INVOCATION',
  fileIntervalMs: 'FILE_INTERVAL_MS',
} as const;

/** Generator settings the stack leaves to the function's defaults; tests and commands set them. */
export const GENERATOR_OPTIONAL_ENV = {
  dirtyRate: 'DIRTY_RATE',
  duplicateRate: 'DUPLICATE_RATE',
  lateRate: 'LATE_RATE',
  sessionlessRate: 'SESSIONLESS_RATE',
  gzip: 'GZIP',
  seed: 'GENERATOR_SEED',
} as const;

export const MIGRATIONS_ENV = {
  /** The master user's: only the migrations function connects with it. */
  databaseSecretArn: 'DATABASE_SECRET_ARN',
  /** The ingest login role's, whose password the migrations set. */
  ingestSecretArn: 'INGEST_DATABASE_SECRET_ARN',
} as const;

/** A function's environment from values named as in its contract: every variable, no other. */
export function environmentOf<const Names extends Record<string, string>>(
  names: Names,
  values: { readonly [K in keyof Names]: string },
): Record<Names[keyof Names], string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(names) as (keyof Names)[]) out[names[key] as string] = values[key];
  return out as Record<Names[keyof Names], string>;
}
