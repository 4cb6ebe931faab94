import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esmFixtureStack } from '../fixtures/esm-app/stack.ts';
import { startTestCloud, synthAssembly, type TestCloud } from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';

describe('SQS event source mapping on the embedded cloud', () => {
  let t: TestCloud;
  let out: Record<string, string>;
  beforeAll(async () => {
    t = await startTestCloud(synthAssembly(esmFixtureStack));
    out = t.cloud.outputs;
  }, 120_000);
  afterAll(() => t?.stop());

  /** Deliveries recorded by the function: message id -> attempts. */
  const deliveries = async () => {
    const listed = await t.s3.send(
      new ListObjectsV2Command({ Bucket: out.BucketName, Prefix: 'deliveries/' }),
    );
    const byMessage = new Map<string, string[]>();
    for (const o of listed.Contents ?? []) {
      const [, id, attempt] = (o.Key as string).split('/');
      byMessage.set(id as string, [
        ...(byMessage.get(id as string) ?? []),
        (attempt as string).split('-')[0] as string,
      ]);
    }
    return byMessage;
  };
  const depth = async (url: string) => {
    const attrs = await t.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(attrs.Attributes?.ApproximateNumberOfMessages) +
      Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  };

  it('retries only the message a batch reports as failed', async () => {
    const sent = await t.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: out.QueueUrl,
        Entries: ['ok-1', 'fail', 'ok-2'].map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    const [ok1, failed, ok2] = (sent.Successful ?? [])
      .sort((a, b) => Number(a.Id) - Number(b.Id))
      .map((s) => s.MessageId as string);
    const seen = await waitFor('the failed message to be delivered again', async () => {
      const d = await deliveries();
      return (d.get(failed as string)?.length ?? 0) >= 2 ? d : undefined;
    });
    expect(seen.get(failed as string)?.sort()).toEqual(['1', '2']);
    expect(seen.get(ok1 as string)).toEqual(['1']);
    expect(seen.get(ok2 as string)).toEqual(['1']);
    await waitFor('the queue to drain', async () => (await depth(out.QueueUrl as string)) === 0);
  });

  it("sizes each environment's heap from the function's memory, as Lambda does", async () => {
    const sent = await t.sqs.send(
      new SendMessageCommand({ QueueUrl: out.QueueUrl, MessageBody: 'heap' }),
    );
    const key = await waitFor('the message to be delivered', async () => {
      const listed = await t.s3.send(
        new ListObjectsV2Command({
          Bucket: out.BucketName,
          Prefix: `deliveries/${sent.MessageId}/`,
        }),
      );
      return listed.Contents?.[0]?.Key;
    });
    const got = await t.s3.send(new GetObjectCommand({ Bucket: out.BucketName, Key: key }));
    const { heapLimitMb } = JSON.parse(
      await (got.Body as { transformToString(): Promise<string> }).transformToString(),
    );
    // 128 MB: 116 MB of old generation and three 4 MB semi-spaces; Node's own default is GBs.
    expect(heapLimitMb).toBeGreaterThanOrEqual(116);
    expect(heapLimitMb).toBeLessThanOrEqual(136);
  });

  it('retries a batch whose invocation timed out, in a fresh environment', async () => {
    const sent = await t.sqs.send(
      new SendMessageCommand({ QueueUrl: out.QueueUrl, MessageBody: 'sleep' }),
    );
    const id = sent.MessageId as string;
    await waitFor(
      'a second delivery after the timeout',
      async () => ((await deliveries()).get(id)?.length ?? 0) >= 2,
    );
    const group = `/aws/lambda/${out.FunctionName}`;
    const timedOut = await t.logs.send(
      new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"Task timed out after"' }),
    );
    expect(timedOut.events?.length).toBeGreaterThanOrEqual(1);
    expect(timedOut.events?.[0]?.message).toMatch(/Task timed out after 3\.\d\d seconds/);
    const reports = await t.logs.send(
      new FilterLogEventsCommand({
        logGroupName: group,
        filterPattern: 'REPORT "Status: timeout"',
      }),
    );
    expect(reports.events?.length).toBeGreaterThanOrEqual(1);
    // The killed environment's stream ends there; the retry starts cold in another one.
    const stream = reports.events?.[0]?.logStreamName;
    const later = await t.logs.send(
      new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"Init Duration"' }),
    );
    expect(
      later.events?.some(
        (e) =>
          e.logStreamName !== stream && (e.timestamp ?? 0) > (reports.events?.[0]?.timestamp ?? 0),
      ),
    ).toBe(true);
    await waitFor('the queue to drain', async () => (await depth(out.QueueUrl as string)) === 0);
  });

  it('moves a message that always fails to the dead-letter queue after maxReceiveCount receives', async () => {
    const sent = await t.sqs.send(
      new SendMessageCommand({ QueueUrl: out.QueueUrl, MessageBody: 'throw' }),
    );
    // By id: on a slow host a message of an earlier test can outlast its visibility timeout
    // often enough to land there too.
    const message = await waitFor(
      'the poison message in the dead-letter queue',
      async () => {
        const got = await t.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: out.DeadLetterQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        return got.Messages?.find((m) => m.MessageId === sent.MessageId);
      },
      { timeoutMs: 45_000 },
    );
    expect(message.Body).toBe('throw');
    expect((await deliveries()).get(sent.MessageId as string)?.sort()).toEqual(['1', '2', '3']);
  });
});
