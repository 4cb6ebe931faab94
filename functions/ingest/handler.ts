import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import pg from 'pg';
import { createS3Client } from '#shared/aws.ts';
import { parseDatabaseSecret, poolConfig } from '#shared/database.ts';
import { createBatchHandler } from './batch.ts';
import { loadIngestConfig } from './config.ts';
import { PgRowSink } from './pg-sink.ts';
import { S3ObjectSource } from './s3-source.ts';

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
  return createBatchHandler({
    bucket: config.bucket,
    prefix: config.prefix,
    source: new S3ObjectSource(createS3Client()),
    sink: new PgRowSink(pool),
    logger,
    metrics,
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
