import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import pg from 'pg';
import { createS3Client } from '#shared/aws.ts';
import { parseDatabaseSecret, poolConfig } from '#shared/database.ts';
import { SqsExportQueue } from '#shared/export-queue.ts';
import { SqsMessageVisibility } from '../ingest/sqs-visibility.ts';
import { loadExportConfig } from './config.ts';
import { PgGauges } from './gauges.ts';
import { PgExportLedger } from './pg-ledger.ts';
import { type ExportAction, runExport } from './run.ts';
import { S3LakeStore } from './s3-lake.ts';
import { SnsStreamPublisher } from './sns-stream.ts';

const config = loadExportConfig();
const logger = new Logger({ serviceName: 'shopstream-export' });
const metrics = new Metrics({ namespace: 'shopstream', serviceName: 'export' });

let deps: Promise<Parameters<typeof runExport>[1]> | undefined;

async function build() {
  const secret = parseDatabaseSecret(
    await getSecret(config.databaseSecretId, { transform: 'json' }),
  );
  const pool = new pg.Pool(poolConfig(secret, { max: 1, applicationName: 'shopstream-export' }));
  pool.on('error', (error) => logger.warn('idle database connection failed', { error }));
  const settle = () =>
    pool.query("CALL analytics_after_commit(make_interval(secs => $1), interval '10 seconds')", [
      config.sessionGapSeconds,
    ]);
  const sqs = new SQSClient({});
  return {
    ledger: new PgExportLedger(pool, { settle }),
    lake: new S3LakeStore(createS3Client(), config.lakeBucket),
    stream: new SnsStreamPublisher(new SNSClient({}), config.topicArn),
    queue: new SqsExportQueue(sqs, config.exportQueueUrl),
    visibility: new SqsMessageVisibility(sqs, config.exportQueueUrl),
    logger,
    metrics,
    gauges: new PgGauges(pool),
    processor: () => new BatchProcessor(EventType.SQS),
    processPartialResponse,
  };
}

export const handler = async (
  event: SQSEvent | ExportAction,
  context: Context,
): Promise<SQSBatchResponse | undefined> => {
  logger.addContext(context);
  deps ??= build().catch((error) => {
    deps = undefined;
    throw error;
  });
  return runExport(event, await deps, context);
};
