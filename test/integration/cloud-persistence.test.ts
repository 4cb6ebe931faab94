import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFauxqs, type WrittenObject } from '../../local/aws/fauxqs.ts';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The embedded cloud's fauxqs on a state folder, with SDK clients that do not retry. */
async function open(stateDir: string, onObjectWritten?: (o: WrittenObject) => void) {
  const fauxqs = await buildFauxqs({ stateDir, region: 'us-east-1', onObjectWritten });
  const address = await fauxqs.app.listen({ port: 0, host: '127.0.0.1' });
  const config = { endpoint: address, region: 'us-east-1', credentials, maxAttempts: 1 };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const sqs = new SQSClient(config);
  return {
    fauxqs,
    s3,
    sqs,
    async close() {
      s3.destroy();
      sqs.destroy();
      await fauxqs.close();
    },
  };
}

describe('the embedded cloud persistence', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close().catch(() => {});
  });
  const start = async (dir: string, hook?: (o: WrittenObject) => void) => {
    const o = await open(dir, hook);
    opened.push(o);
    return o;
  };

  it("deletes messages past their queue's retention period, across a restart, and keeps the rest", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shopstream-persist-'));
    const a = await start(dir);
    const { QueueUrl } = await a.sqs.send(
      new CreateQueueCommand({ QueueName: 'kept', Attributes: { MessageRetentionPeriod: '60' } }),
    );
    await a.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'old' }));
    expect(a.fauxqs.expireMessages(Date.now() + 30_000)).toBe(0);
    expect(a.fauxqs.expireMessages(Date.now() + 61_000)).toBe(1);
    await a.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'new' }));
    await a.close();
    opened.pop();
    const b = await start(dir);
    const got = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['new']);
  });

  it('gives a message back with ChangeMessageVisibility 0, receive count kept, across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shopstream-persist-'));
    const a = await start(dir);
    const { QueueUrl } = await a.sqs.send(
      new CreateQueueCommand({ QueueName: 'q', Attributes: { VisibilityTimeout: '1800' } }),
    );
    await a.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    const first = await a.sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    await a.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const again = await a.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(again.Messages?.[0]?.Body).toBe('one');
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    // Held when the process ends: the next run frees it at once, and counts the receives.
    await a.close();
    opened.pop();
    const b = await start(dir);
    const queueArn = 'arn:aws:sqs:us-east-1:000000000000:q';
    expect(b.fauxqs.releaseInFlight(queueArn)).toBe(1);
    const third = await b.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['All'] }),
    );
    expect(third.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('3');
  });

  it('stores an object and what its write enqueues in one transaction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shopstream-persist-'));
    let fail = false;
    const a = await start(dir, (object) => {
      if (fail) throw new Error('notification failed');
      a.fauxqs.enqueue('arn:aws:sqs:us-east-1:000000000000:n', JSON.stringify(object));
    });
    const { QueueUrl } = await a.sqs.send(new CreateQueueCommand({ QueueName: 'n' }));
    await a.s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
    await a.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'incoming/ok.csv', Body: 'x' }));
    fail = true;
    await expect(
      a.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'incoming/lost.csv', Body: 'y' })),
    ).rejects.toThrow();
    await a.close();
    opened.pop();

    const b = await start(dir);
    const got = await b.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'incoming/ok.csv' }));
    expect(await got.Body?.transformToString()).toBe('x');
    await expect(
      b.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'incoming/lost.csv' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
    const queued = await b.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
      }),
    );
    expect(queued.Messages?.map((m) => JSON.parse(m.Body ?? '{}').key)).toEqual([
      'incoming/ok.csv',
    ]);
  });

  it('keeps a key of 1,024 bytes and one that climbs out of its folder inside the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shopstream-persist-'));
    const a = await start(dir);
    await a.s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
    const keys = [`incoming/${'k'.repeat(1_015)}`, 'incoming/../../../../../../escaped'];
    for (const Key of keys)
      await a.s3.send(new PutObjectCommand({ Bucket: 'bkt', Key, Body: Key }));
    await a.close();
    opened.pop();
    const b = await start(dir);
    for (const Key of keys) {
      const got = await b.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key }));
      expect(await got.Body?.transformToString()).toBe(Key);
    }
  });

  it('moves objects stored one file each by an earlier version into the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shopstream-persist-'));
    const bucketDir = join(dir, 'objects', 'buckets', 'bkt');
    mkdirSync(join(bucketDir, 'objects', 'incoming'), { recursive: true });
    writeFileSync(
      join(bucketDir, '.bucket.json'),
      JSON.stringify({
        name: 'bkt',
        creationDate: new Date().toISOString(),
        type: 'general-purpose',
      }),
    );
    writeFileSync(join(bucketDir, 'objects', 'incoming', 'old.csv.data'), 'old rows');
    writeFileSync(
      join(bucketDir, 'objects', 'incoming', 'old.csv.meta.json'),
      JSON.stringify({
        key: 'incoming/old.csv',
        contentType: 'text/csv',
        contentLength: 8,
        etag: '"e"',
        lastModified: new Date().toISOString(),
        metadata: {},
      }),
    );
    const a = await start(dir);
    const got = await a.s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'incoming/old.csv' }));
    expect(await got.Body?.transformToString()).toBe('old rows');
  });
});
