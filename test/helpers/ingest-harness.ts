import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { SQSBatchResponse } from 'aws-lambda';
import { type BatchDeps, createBatchHandler } from '../../functions/ingest/batch.ts';
import type { FileLimits } from '../../functions/ingest/content.ts';
import { PgRowSink } from '../../functions/ingest/pg-sink.ts';
import { S3ObjectSource } from '../../functions/ingest/s3-source.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { encodeKey, type S3ObjectFacts, s3Record, sqsEvent, sqsRecord } from './events.ts';
import { startTestS3, type TestS3 } from './fauxqs.ts';
import { lambdaContext } from './lambda-context.ts';

export const BUCKET = 'shopstream-test';

export interface LedgerRow {
  id: string;
  key: string;
  status: string;
  rows_total: number;
  rows_loaded: number;
  rows_rejected: number;
  rows_duplicate: number;
  error: string | null;
}

/**
 * The ingest function's handler wired to real adapters: S3 through fauxqs, PostgreSQL
 * through a fresh database. Tests put objects, deliver SQS events and read tables.
 */
export class IngestHarness {
  readonly db: TestDatabase;
  readonly cloud: TestS3;
  readonly logger: Logger;
  readonly handler: ReturnType<typeof createBatchHandler>;

  private constructor(
    db: TestDatabase,
    cloud: TestS3,
    logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'SILENT',
    limits?: FileLimits,
    exports?: BatchDeps['exports'],
  ) {
    this.db = db;
    this.cloud = cloud;
    this.logger = new Logger({ serviceName: 'shopstream-ingest', logLevel });
    this.handler = createBatchHandler({
      bucket: BUCKET,
      prefix: 'incoming/',
      source: new S3ObjectSource(cloud.s3),
      sink: new PgRowSink(db.writerPool),
      logger: this.logger,
      metrics: new Metrics({ namespace: 'shopstream-test', serviceName: 'ingest' }),
      limits,
      exports,
    });
  }

  static async start(
    options: {
      logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'SILENT';
      limits?: FileLimits;
      /** Where committed files are announced for export (none by default). */
      exports?: BatchDeps['exports'];
    } = {},
  ): Promise<IngestHarness> {
    const [db, cloud] = await Promise.all([createTestDatabase(), startTestS3()]);
    cloud.createBucket(BUCKET);
    return new IngestHarness(
      db,
      cloud,
      options.logLevel ?? 'SILENT',
      options.limits,
      options.exports,
    );
  }

  async stop(): Promise<void> {
    await Promise.all([this.db.drop(), this.cloud.stop()]);
  }

  /** Puts an object and returns the facts its notification would carry. */
  async put(key: string, body: string | Buffer | Uint8Array): Promise<S3ObjectFacts> {
    const out = await this.cloud.s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }),
    );
    return {
      bucket: BUCKET,
      encodedKey: encodeKey(key),
      etag: out.ETag?.replace(/"/g, ''),
      size: Buffer.byteLength(body),
    };
  }

  /** Delivers one SQS message per object, all in one batch. */
  deliver(...objects: S3ObjectFacts[]): Promise<SQSBatchResponse> {
    return this.deliverBodies(...objects.map((o) => JSON.stringify({ Records: [s3Record(o)] })));
  }

  deliverBodies(...bodies: string[]): Promise<SQSBatchResponse> {
    return this.handler(sqsEvent(...bodies.map((b) => sqsRecord(b))), lambdaContext());
  }

  async ledger(key: string): Promise<LedgerRow[]> {
    const { rows } = await this.db.pool.query<LedgerRow>(
      `SELECT id::text, key, status, rows_total, rows_loaded, rows_rejected, rows_duplicate, error
         FROM ingested_files WHERE key = $1 ORDER BY id`,
      [key],
    );
    return rows;
  }

  async rejected(
    fileId: string,
  ): Promise<{ line_number: number; raw_record: string; reasons: string[] }[]> {
    const { rows } = await this.db.pool.query(
      'SELECT line_number, raw_record, reasons FROM rejected_rows WHERE file_id = $1 ORDER BY line_number',
      [fileId],
    );
    return rows;
  }

  async count(table: 'events' | 'rejected_rows' | 'ingested_files'): Promise<number> {
    const { rows } = await this.db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${table}`,
    );
    return rows[0]?.n ?? 0;
  }
}
