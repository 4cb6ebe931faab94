import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import {
  CopyObjectCommand,
  GetBucketVersioningCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WrittenFile } from '../../functions/generator/run.ts';
import {
  databaseFromSecret,
  logGroupOf,
  startTestCloud,
  synthPipelineAssembly,
  type TestCloud,
} from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';

const HEADER = 'event_id,event_time,event_type,user_id,product_id,price';

describe('the pipeline on the embedded cloud', () => {
  let t: TestCloud;
  let db: pg.Pool;
  let out: Record<string, string>;
  let ingestLogs: string;
  beforeAll(async () => {
    t = await startTestCloud(synthPipelineAssembly());
    out = t.cloud.outputs;
    db = await databaseFromSecret(t);
    ingestLogs = await logGroupOf(t, out.IngestFunctionName as string);
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await t?.stop();
  });

  const ledger = async (key: string) =>
    (
      await db.query(
        'SELECT status, rows_total, rows_loaded, rows_rejected, rows_duplicate FROM ingested_files WHERE key = $1',
        [key],
      )
    ).rows;
  const loaded = (key: string) =>
    waitFor(`${key} in the ledger`, async () => (await ledger(key))[0]);

  it('acknowledges the s3:TestEvent sent when the notification was configured', async () => {
    const events = await waitFor('the test event in the ingest log', async () => {
      const found = await t.logs.send(
        new FilterLogEventsCommand({
          logGroupName: ingestLogs,
          filterPattern: '"s3:TestEvent acknowledged"',
        }),
      );
      return found.events?.length ? found.events : undefined;
    });
    expect(events.length).toBe(1);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM ingested_files');
    expect(rows[0].n).toBe(0);
  });

  it('shows the AWS SDK the bucket, queues, functions, log groups and secret', async () => {
    expect((await t.s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(
      out.BucketName,
    );
    const queues = (await t.sqs.send(new ListQueuesCommand({}))).QueueUrls;
    expect(queues).toEqual(expect.arrayContaining([out.IngestQueueUrl, out.DeadLetterQueueUrl]));
    expect(out.IngestQueueUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/000000000000\//);
    const functions = (await t.lambda.send(new ListFunctionsCommand({}))).Functions?.map(
      (f) => f.FunctionName,
    );
    expect(functions).toEqual(
      expect.arrayContaining([out.IngestFunctionName, out.GeneratorFunctionName]),
    );
    const groups = (await t.logs.send(new DescribeLogGroupsCommand({}))).logGroups?.map(
      (g) => g.logGroupName,
    );
    expect(groups).toContain(ingestLogs);
    // Lambda's default log group name, so `aws logs tail /aws/lambda/<function>` works.
    expect(out.IngestFunctionName).toBe('Shopstream-IngestFunction');
    expect(ingestLogs).toBe(`/aws/lambda/${out.IngestFunctionName}`);
    expect(await logGroupOf(t, out.GeneratorFunctionName as string)).toBe(
      `/aws/lambda/${out.GeneratorFunctionName}`,
    );
    const { rows } = await db.query('SELECT count(*)::int AS n FROM schema_migrations');
    // Every migration in sql/, applied by the stack's migrations custom resource.
    expect(rows[0].n).toBe(readdirSync('sql').filter((f) => f.endsWith('.sql')).length);
  });

  it('ingests a CSV put with PutObject, a copy of it, and a multipart upload, with exact ledger counts', async () => {
    const body = [
      HEADER,
      'p1,2026-11-20T10:00:00Z,view,u1,prod-1,',
      'p2,2026-11-20T10:00:01Z,purchase,u1,prod-1,',
      'p3,2026-11-20T10:00:02Z,buy,u2,prod-2,$5',
    ].join('\n');
    await t.s3.send(
      new PutObjectCommand({ Bucket: out.BucketName, Key: 'incoming/upload test.csv', Body: body }),
    );
    expect(await loaded('incoming/upload test.csv')).toEqual({
      status: 'loaded',
      rows_total: 3,
      rows_loaded: 2,
      rows_rejected: 1,
      rows_duplicate: 0,
    });
    await t.s3.send(
      new CopyObjectCommand({
        Bucket: out.BucketName,
        Key: 'incoming/copied.csv',
        CopySource: `${out.BucketName}/incoming/upload test.csv`,
      }),
    );
    expect(await loaded('incoming/copied.csv')).toMatchObject({
      rows_total: 3,
      rows_loaded: 0,
      rows_rejected: 1,
      rows_duplicate: 2,
    });

    const rows = Array.from(
      { length: 120_000 },
      (_, i) => `m${i},2026-11-20T10:00:00Z,view,u${i % 97},prod-${i % 13},`,
    );
    await new Upload({
      client: t.s3,
      params: {
        Bucket: out.BucketName,
        Key: 'incoming/multipart.csv',
        Body: [HEADER, ...rows].join('\n'),
      },
      partSize: 5 * 1024 * 1024,
    }).done();
    expect(await loaded('incoming/multipart.csv')).toMatchObject({
      status: 'loaded',
      rows_total: 120_000,
      rows_loaded: 120_000,
    });
    expect(await ledger('archive/ignored.csv')).toEqual([]);
    // The function loaded them as its own login role, not as the master user.
    const { rows: sessions } = await db.query<{ usename: string }>(
      `SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name LIKE 'shopstream-ingest%'`,
    );
    expect(sessions.map((r) => r.usename)).toEqual(['shopstream_ingest']);
  });

  it('loads every version of a file overwritten before it was read', async () => {
    expect(
      (await t.s3.send(new GetBucketVersioningCommand({ Bucket: out.BucketName }))).Status,
    ).toBe('Enabled');
    const Key = 'incoming/overwritten.csv';
    const put = (rows: string[]) =>
      t.s3.send(
        new PutObjectCommand({ Bucket: out.BucketName, Key, Body: [HEADER, ...rows].join('\n') }),
      );
    // Back to back: the second lands while the first one's message waits or is being read.
    const first = await put([
      'o1,2026-11-20T10:00:00Z,view,u1,prod-1,',
      'o2,2026-11-20T10:00:01Z,view,u1,prod-1,',
    ]);
    const second = await put(['o3,2026-11-20T10:00:02Z,view,u2,prod-2,']);
    const versions = await waitFor('both versions in the ledger', async () => {
      const { rows } = await db.query(
        'SELECT version_id, status, rows_loaded FROM ingested_files WHERE key = $1 ORDER BY id',
        [Key],
      );
      return rows.length === 2 ? rows : undefined;
    });
    expect(new Map(versions.map((r) => [r.version_id, [r.status, r.rows_loaded]]))).toEqual(
      new Map([
        [first.VersionId, ['loaded', 2]],
        [second.VersionId, ['loaded', 1]],
      ]),
    );
    const { rows } = await db.query(
      `SELECT event_id FROM events WHERE event_id IN ('o1', 'o2', 'o3') ORDER BY 1`,
    );
    expect(rows.map((r) => r.event_id)).toEqual(['o1', 'o2', 'o3']);
  });

  it('runs the generator through Lambda Invoke and lands its rows in PostgreSQL', async () => {
    const response = await t.lambda.send(
      new InvokeCommand({
        FunctionName: out.GeneratorFunctionName,
        Payload: JSON.stringify({ files: 1, rows: 400, seed: 11 }),
      }),
    );
    expect(response.FunctionError).toBeUndefined();
    const { files } = JSON.parse(Buffer.from(response.Payload ?? []).toString()) as {
      files: WrittenFile[];
    };
    const [file] = files;
    if (!file) throw new Error('the generator wrote no file');
    expect(await loaded(file.key)).toEqual({
      status: 'loaded',
      rows_total: 400,
      rows_loaded: 400 - file.stats.invalid - file.stats.duplicates,
      rows_rejected: file.stats.invalid,
      rows_duplicate: file.stats.duplicates,
    });
  });

  it('finds the ingest function REPORT lines with FilterLogEvents', async () => {
    const found = await t.logs.send(
      new FilterLogEventsCommand({ logGroupName: ingestLogs, filterPattern: 'REPORT RequestId' }),
    );
    expect(found.events?.length).toBeGreaterThan(0);
    expect(found.events?.[0]?.message).toMatch(
      /^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 1024 MB\tMax Memory Used: \d+ MB/,
    );
  });

  it('keeps its state to its owner: the folder 0700 (0711 as root), the files 0600', () => {
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(t.stateDir)).toBe(process.getuid?.() === 0 ? 0o711 : 0o700);
    const files = ['stack.json', 'outputs.json', 'queues/fauxqs.db'].map((f) =>
      join(t.stateDir, f),
    );
    const logDir = join(t.stateDir, 'logs', encodeURIComponent(ingestLogs));
    files.push(...readdirSync(logDir).map((f) => join(logDir, f)));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect([file, mode(file)]).toEqual([file, 0o600]);
  });
});
