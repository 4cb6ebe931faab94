import { integer, optionalString, requiredString } from '#shared/config.ts';
import { DEFAULTS, INGEST_ENV as ENV, INCOMING_PREFIX } from '#shared/contract.ts';
import type { FileLimits } from './content.ts';

export interface IngestConfig {
  /** The pipeline's own bucket: records naming any other are refused unread. */
  readonly bucket: string;
  /** Only keys under this prefix are ingested. */
  readonly prefix: string;
  readonly databaseSecretId: string;
  /** Connections one invocation may hold; part of the stack's connection budget. */
  readonly connectionsPerInvocation: number;
  /** The queue this function consumes, for leasing and delaying its messages; none: the queue's timeout. */
  readonly queueUrl: string | null;
  /** Its dead-letter queue, for messages that can never succeed; none: the redrive policy. */
  readonly deadLetterQueueUrl: string | null;
  /** The queue's visibility timeout: leases and backoffs never exceed it. */
  readonly queueVisibilitySeconds: number;
  readonly allowedLatenessSeconds: number;
  readonly sessionGapSeconds: number;
  readonly limits: FileLimits;
  /** Where committed files are announced for export; none: the export's sweep finds them. */
  readonly exportQueueUrl: string | null;
}

export function loadIngestConfig(): IngestConfig {
  return {
    bucket: requiredString(ENV.bucket),
    prefix: optionalString(ENV.prefix, INCOMING_PREFIX),
    databaseSecretId: requiredString(ENV.databaseSecretArn),
    connectionsPerInvocation: integer(
      ENV.connectionsPerInvocation,
      DEFAULTS.connectionsPerInvocation,
      1,
      20,
    ),
    queueUrl: optionalString(ENV.queueUrl, '') || null,
    deadLetterQueueUrl: optionalString(ENV.deadLetterQueueUrl, '') || null,
    exportQueueUrl: optionalString(ENV.exportQueueUrl, '') || null,
    queueVisibilitySeconds: integer(
      ENV.queueVisibilitySeconds,
      DEFAULTS.ingestTimeoutSeconds * 6,
      1,
      43_200,
    ),
    allowedLatenessSeconds: integer(
      ENV.allowedLatenessSeconds,
      DEFAULTS.allowedLatenessSeconds,
      0,
      86_400,
    ),
    sessionGapSeconds: integer(ENV.sessionGapSeconds, DEFAULTS.sessionGapSeconds, 1, 86_400),
    limits: {
      maxBytes: integer(ENV.maxFileBytes, DEFAULTS.maxFileBytes, 1, Number.MAX_SAFE_INTEGER),
      maxRows: integer(ENV.maxFileRows, DEFAULTS.maxFileRows, 1, Number.MAX_SAFE_INTEGER),
      maxCompressionRatio: integer(
        ENV.maxCompressionRatio,
        DEFAULTS.maxCompressionRatio,
        2,
        1_000_000,
      ),
    },
  };
}
