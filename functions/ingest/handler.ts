import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import pg from 'pg';
import { createS3Client } from '#shared/aws.ts';
import { parseDatabaseSecret, poolConfig } from '#shared/database.ts';
import { SqsExportQueue } from '#shared/export-queue.ts';
import { createBatchHandler } from './batch.ts';
import { loadIngestConfig } from './config.ts';
import { SqsDeadLetters } from './dead-letters.ts';
import { PgRowSink } from './pg-sink.ts';
import { S3ObjectSource } from './s3-source.ts';
import { SqsMessageVisibility } from './sqs-visibility.ts';
import { leaseWithin } from './visibility.ts';

const config = loadIngestConfig();
const logger = new Logger({ serviceName: 'shopstream-ingest' });
const metrics = new Metrics({ namespace: 'shopstream', serviceName: 'ingest' });

/** Built on the first invocation of an execution environment, then reused while warm. */
let handle: Promise<ReturnType<typeof createBatchHandler>> | undefined;

async function build() {
  const secret = parseDatabaseSecret(
    await getSecret(config.databaseSecretId, { transform: 'json' }),
  );
  const pool = new pg.Pool(
    poolConfig(secret, {
      max: config.connectionsPerInvocation,
      applicationName: 'shopstream-ingest',
    }),
  );
  pool.on('error', (error) => logger.warn('idle database connection failed', { error }));
  // A connection that drops while a file holds it fails that file's query, and with it only
  // that message; without a listener the client's 'error' would end the whole runtime.
  pool.on('connect', (client) =>
    client.on('error', (error) => logger.warn('database connection failed', { error })),
  );
  const sink = new PgRowSink(pool, {
    allowedLatenessSeconds: config.allowedLatenessSeconds,
    sessionGapSeconds: config.sessionGapSeconds,
  });
  await sink.recordSettings();
  const sqs = new SQSClient({});
  return createBatchHandler({
    bucket: config.bucket,
    prefix: config.prefix,
    source: new S3ObjectSource(createS3Client()),
    sink,
    logger,
    metrics,
    visibility: config.queueUrl ? new SqsMessageVisibility(sqs, config.queueUrl) : undefined,
    deadLetters: config.deadLetterQueueUrl
      ? new SqsDeadLetters(sqs, config.deadLetterQueueUrl)
      : undefined,
    exports: config.exportQueueUrl ? new SqsExportQueue(sqs, config.exportQueueUrl) : undefined,
    lease: leaseWithin(config.queueVisibilitySeconds),
    limits: config.limits,
  });
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  handle ??= build().catch((error) => {
    handle = undefined;
    throw error;
  });
  return (await handle)(event, context);
};
