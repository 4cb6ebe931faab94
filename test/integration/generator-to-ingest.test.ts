import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WrittenFile } from '../../functions/generator/run.ts';
import { BUCKET, IngestHarness } from '../helpers/ingest-harness.ts';
import { lambdaContext } from '../helpers/lambda-context.ts';

type GeneratorHandler = (event: unknown, context: unknown) => Promise<{ files: WrittenFile[] }>;

describe('generator Lambda -> S3 -> ingest -> PostgreSQL', () => {
  let h: IngestHarness;
  let generate: GeneratorHandler;
  const saved = { ...process.env };

  beforeAll(async () => {
    h = await IngestHarness.start({ logLevel: 'WARN' });
    // The generator handler reads its configuration and endpoint from the environment, as on Lambda.
    Object.assign(process.env, {
      BUCKET_NAME: BUCKET,
      AWS_ENDPOINT_URL: h.cloud.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      DIRTY_RATE: '0.03',
      DUPLICATE_RATE: '0.01',
      LATE_RATE: '0.02',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    ({ handler: generate } = (await import('../../functions/generator/handler.ts')) as {
      handler: GeneratorHandler;
    });
  });
  afterAll(async () => {
    process.env = saved;
    await h.stop();
  });

  it('writes date-partitioned CSV files that ingest with exactly the expected counts', async () => {
    const { files } = await generate(
      { files: 3, rows: 2_000, seed: 7 },
      lambdaContext('generator'),
    );
    expect(files).toHaveLength(3);
    const listed = await h.cloud.s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'incoming/' }),
    );
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual(files.map((f) => f.key).sort());
    for (const file of files) {
      expect(file.key).toMatch(
        /^incoming\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{8}T\d{6}Z-[0-9a-f]{8}\.csv$/,
      );
      const size = listed.Contents?.find((o) => o.Key === file.key)?.Size ?? 0;
      const response = await h.deliver({ bucket: BUCKET, encodedKey: file.key, size });
      expect(response.batchItemFailures).toEqual([]);
      const [ledger] = await h.ledger(file.key);
      expect(file.stats.invalid).toBeGreaterThan(0);
      expect(file.stats.duplicates).toBeGreaterThan(0);
      expect(ledger).toMatchObject({
        status: 'loaded',
        rows_total: 2_000,
        rows_rejected: file.stats.invalid,
        rows_duplicate: file.stats.duplicates,
        rows_loaded: 2_000 - file.stats.invalid - file.stats.duplicates,
      });
    }
  });

  it('ingests a generated 100,000-row file with exact ledger counts', async () => {
    const { files } = await generate(
      { files: 1, rows: 100_000, seed: 1234 },
      lambdaContext('generator'),
    );
    const [file] = files;
    if (!file) throw new Error('no file written');
    const response = await h.deliver({ bucket: BUCKET, encodedKey: file.key });
    expect(response.batchItemFailures).toEqual([]);
    const [ledger] = await h.ledger(file.key);
    expect(ledger).toMatchObject({
      status: 'loaded',
      rows_total: 100_000,
      rows_rejected: file.stats.invalid,
      rows_duplicate: file.stats.duplicates,
      rows_loaded: 100_000 - file.stats.invalid - file.stats.duplicates,
    });
    const { rows } = await h.db.pool.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM events WHERE file_id = $1)::int + (SELECT count(*) FROM rejected_rows WHERE file_id = $1)::int AS n',
      [ledger?.id],
    );
    expect(rows[0]?.n).toBe(100_000 - file.stats.duplicates);
  });
});
