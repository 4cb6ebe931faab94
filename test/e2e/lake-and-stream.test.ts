import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3LakeStore } from '../../functions/export/s3-lake.ts';
import type { WrittenFile } from '../../functions/generator/run.ts';
import { queryLake } from '../../scripts/lake.ts';
import { readLake } from '../../scripts/lib/lake-reader.ts';
import {
  parseBatch,
  receive,
  subscribeTemporaryQueue,
  type TemporarySubscription,
} from '../../scripts/lib/stream-consumer.ts';
import { lakeEventIds } from '../helpers/lake.ts';
import {
  databaseFromSecret,
  startTestCloud,
  synthPipelineAssembly,
  type TestCloud,
} from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';

describe('the lake and the enriched-events stream on the embedded cloud', () => {
  let t: TestCloud;
  let db: pg.Pool;
  let out: Record<string, string>;
  let lake: S3LakeStore;
  let subscription: TemporarySubscription;
  beforeAll(async () => {
    t = await startTestCloud(synthPipelineAssembly({ lakeCompactionSchedule: 'off' }));
    out = t.cloud.outputs;
    db = await databaseFromSecret(t);
    lake = new S3LakeStore(t.s3, out.LakeBucketName as string);
    subscription = await subscribeTemporaryQueue(
      t.sqs,
      t.sns,
      out.EnrichedEventsTopicArn as string,
      { name: 'lake-and-stream-test' },
    );
  }, 120_000);
  afterAll(async () => {
    await subscription?.close();
    await db?.end();
    await t?.stop();
  });

  const invoke = async (functionName: string, payload: unknown) => {
    const response = await t.lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(payload) }),
    );
    const text = Buffer.from(response.Payload ?? []).toString();
    if (response.FunctionError) throw new Error(`${functionName} failed: ${text}`);
    return JSON.parse(text || 'null');
  };
  const compact = () => invoke(out.ExportFunctionName as string, { action: 'compact' });

  it('holds every committed event exactly once in the lake and in the stream, through duplicates, redeliveries and compaction under a reader', async () => {
    // A reader lists and reads the lake over and over while files land and compaction runs:
    // it must never see an event twice, and never lose one it saw before.
    let reading = true;
    const reads: number[] = [];
    const reader = (async () => {
      let previous = new Set<string>();
      while (reading) {
        const ids = await lakeEventIds(lake);
        const seen = new Set(ids);
        expect(seen.size, 'an event twice in one read of the lake').toBe(ids.length);
        for (const id of previous) if (!seen.has(id)) throw new Error(`event ${id} vanished`);
        previous = seen;
        reads.push(ids.length);
      }
    })();

    // Two generator runs at once (seeds far apart: file n of seed s is seeded s + n): their files carry duplicate rows, bad rows and late events.
    const generated = await Promise.all(
      [31, 131].map((seed) =>
        invoke(out.GeneratorFunctionName as string, {
          files: 4,
          rows: 300,
          seed,
          intervalMs: 0,
        }),
      ),
    );
    const files = generated.flatMap((g: { files: WrittenFile[] }) => g.files);
    expect(files).toHaveLength(8);
    const bucket = out.BucketName as string;
    const first = files[0] as WrittenFile;
    // Redeliveries: a copy under another key (every row a duplicate), the same body put again
    // under its own key (a new version), and one of them compacting while files still land.
    await t.s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        CopySource: `${bucket}/${first.key}`,
        Key: first.key.replace(/\.csv$/, '-copy.csv'),
      }),
    );
    const body = await (
      await t.s3.send(new GetObjectCommand({ Bucket: bucket, Key: first.key }))
    ).Body?.transformToByteArray();
    await t.s3.send(new PutObjectCommand({ Bucket: bucket, Key: first.key, Body: body }));
    await compact();

    const settled = () =>
      waitFor(
        'every committed file exported',
        async () => {
          const { rows } = await db.query(
            `SELECT count(*) FILTER (WHERE completed_at IS NOT NULL)::int AS done,
                    (SELECT files_pending FROM export_lag)::int AS pending
               FROM ingested_files`,
          );
          return rows[0].done >= 10 && rows[0].pending === 0 ? rows[0] : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
    await settled();
    // A redelivered export request for a file already exported changes nothing.
    const { rows: exportedFiles } = await db.query(
      'SELECT id::text, export_objects, export_batches FROM ingested_files WHERE exported_at IS NOT NULL ORDER BY id',
    );
    expect(exportedFiles.length).toBeGreaterThanOrEqual(8);
    await t.sqs.send(
      new SendMessageCommand({
        QueueUrl: out.ExportQueueUrl as string,
        MessageBody: JSON.stringify({ fileId: exportedFiles[0].id }),
      }),
    );
    await compact();
    await settled();
    reading = false;
    await reader;
    expect(reads.length).toBeGreaterThan(1);

    const { rows: events } = await db.query<{ event_id: string }>(
      'SELECT event_id FROM events ORDER BY event_id',
    );
    const expected = events.map((e) => e.event_id);
    expect(expected.length).toBeGreaterThan(1500);

    // The lake: the same ids, each once, read with hyparquet and with DuckDB.
    expect(await lakeEventIds(lake)).toEqual(expected);
    const duck = await queryLake(
      await readLake(lake),
      'SELECT count(*)::int, count(DISTINCT event_id)::int, sum(revenue)::varchar FROM events',
    );
    const { rows: pgSums } = await db.query(
      `SELECT count(*)::int AS n,
              coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0)::numeric(16,2)::text AS revenue
         FROM events`,
    );
    expect(duck.rows[0]).toEqual([expected.length, expected.length, pgSums[0].revenue]);
    // Compaction left few objects: the sources of every merge are gone.
    const objects = await lake.list('events/');
    expect(objects.filter((o) => o.key.includes('/_compaction-'))).toEqual([]);
    expect(objects.filter((o) => o.key.includes('/file-')).length).toBeLessThanOrEqual(1);

    // The stream: every event id in exactly one batch id; a batch seen twice has one content.
    const batches = new Map<string, string>();
    const batchOf = new Map<string, string>();
    await waitFor(
      'every event on the test subscription',
      async () => {
        const messages = await receive(t.sqs, subscription.queueUrl, { waitSeconds: 1 });
        for (const m of messages) {
          const batch = parseBatch(m.Body ?? '');
          const before = batches.get(batch.batchId);
          if (before !== undefined) {
            expect(m.Body).toBe(before);
            continue;
          }
          batches.set(batch.batchId, m.Body ?? '');
          for (const event of batch.events) {
            const other = batchOf.get(event.event_id);
            if (other)
              throw new Error(`${event.event_id} in batches ${other} and ${batch.batchId}`);
            batchOf.set(event.event_id, batch.batchId);
          }
        }
        if (messages.length > 0)
          await t.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: subscription.queueUrl,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          );
        return batchOf.size >= expected.length;
      },
      { timeoutMs: 60_000, intervalMs: 0 },
    );
    expect([...batchOf.keys()].sort()).toEqual(expected);
    const { rows: ledgerBatches } = await db.query(
      'SELECT coalesce(sum(export_batches), 0)::int AS n FROM ingested_files',
    );
    expect(batches.size).toBe(ledgerBatches[0].n);
  });
});
