import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { s3Record } from '../helpers/events.ts';
import {
  databaseFromSecret,
  startTestCloud,
  synthPipelineAssembly,
  type TestCloud,
} from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';

const csv = (prefix: string, n: number) =>
  [
    'event_id,event_time,event_type,user_id,product_id',
    ...Array.from({ length: n }, (_, i) => `${prefix}-${i},2026-11-20T10:00:00Z,view,u${i},p${i}`),
  ].join('\n');

describe('restarting the embedded cloud with its state', () => {
  const running: TestCloud[] = [];
  afterAll(async () => {
    for (const t of running) await t.stop().catch(() => {});
  });

  it('loses nothing and loads nothing twice', async () => {
    // A short visibility timeout, so messages in flight when the cloud stops come back quickly.
    const assembly = synthPipelineAssembly({ ingestTimeoutSeconds: 2 });
    const first = await startTestCloud(assembly);
    running.push(first);
    const bucket = first.cloud.outputs.BucketName;
    const keys = Array.from({ length: 6 }, (_, i) => `incoming/before-restart-${i}.csv`);
    for (const key of keys.slice(0, 3))
      await first.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv(key, 500) }));
    const db1 = await databaseFromSecret(first);
    await waitFor(
      'the first files',
      async () =>
        (await db1.query('SELECT count(*)::int AS n FROM ingested_files')).rows[0].n === 3,
    );
    await db1.end();
    // These land just before the stop: some are queued, some may be mid-load.
    for (const key of keys.slice(3))
      await first.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv(key, 500) }));
    await first.stop();

    const second = await startTestCloud(assembly, first.stateDir);
    running.push(second);
    expect(second.cloud.outputs).toEqual(first.cloud.outputs);
    const db = await databaseFromSecret(second);
    try {
      await waitFor(
        'every file loaded after the restart',
        async () =>
          (await db.query(`SELECT count(*)::int AS n FROM ingested_files WHERE status = 'loaded'`))
            .rows[0].n === 6,
        { timeoutMs: 60_000 },
      );
      const ledger = await db.query(
        'SELECT key, count(*)::int AS n, sum(rows_loaded)::int AS loaded FROM ingested_files GROUP BY key ORDER BY key',
      );
      expect(ledger.rows).toEqual(keys.map((key) => ({ key, n: 1, loaded: 500 })));
      expect((await db.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(3_000);
      // A late redelivery of an old message (the same object version) finds the ledger row
      // and changes nothing. (A new PutObject of the same key is a new version: a new file.)
      const { rows: firstFile } = await db.query(
        'SELECT bucket, key, version_id, etag, size_bytes FROM ingested_files WHERE key = $1',
        [keys[0]],
      );
      const old = firstFile[0];
      await second.sqs.send(
        new SendMessageCommand({
          QueueUrl: second.cloud.outputs.IngestQueueUrl,
          MessageBody: JSON.stringify({
            Records: [
              s3Record({
                bucket: old.bucket,
                encodedKey: old.key,
                versionId: old.version_id,
                etag: old.etag,
                size: Number(old.size_bytes),
              }),
            ],
          }),
        }),
      );
      await waitFor('the redelivery handled', async () => {
        const { Attributes } = await second.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: second.cloud.outputs.IngestQueueUrl,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
            ],
          }),
        );
        return (
          Attributes?.ApproximateNumberOfMessages === '0' &&
          Attributes?.ApproximateNumberOfMessagesNotVisible === '0'
        );
      });
      expect((await db.query('SELECT count(*)::int AS n FROM ingested_files')).rows[0].n).toBe(6);
    } finally {
      await db.end();
    }
  }, 120_000);

  it('deploys a changed setting onto the state of an earlier run, updating the queue in place', async () => {
    const first = await startTestCloud(synthPipelineAssembly({ ingestTimeoutSeconds: 2 }));
    running.push(first);
    const url = first.cloud.outputs.IngestQueueUrl as string;
    await first.stop();
    // The visibility timeout is six times the function's: the queue exists with another one.
    const second = await startTestCloud(
      synthPipelineAssembly({ ingestTimeoutSeconds: 3 }),
      first.stateDir,
    );
    running.push(second);
    expect(second.cloud.outputs.IngestQueueUrl).toBe(url);
    const { Attributes } = await second.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(Attributes?.VisibilityTimeout).toBe('18');
  }, 120_000);
});
