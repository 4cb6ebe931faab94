import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  logGroupOf,
  startTestCloud,
  synthPipelineAssembly,
  type TestCloud,
} from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';

describe('dead letters on the embedded cloud', () => {
  let t: TestCloud;
  beforeAll(async () => {
    // A one-second ingest timeout makes the visibility timeout six seconds, so five receives
    // take half a minute rather than the production half hour.
    t = await startTestCloud(synthPipelineAssembly({ ingestTimeoutSeconds: 1 }));
  }, 120_000);
  afterAll(() => t?.stop());

  it('moves a poison message to the dead-letter queue after five receives', async () => {
    const out = t.cloud.outputs;
    const sent = await t.sqs.send(
      new SendMessageCommand({
        QueueUrl: out.IngestQueueUrl,
        MessageBody: 'not an S3 notification',
      }),
    );
    const dead = await waitFor(
      'the poison message in the dead-letter queue',
      async () =>
        (
          await t.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: out.DeadLetterQueueUrl,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['All'],
            }),
          )
        ).Messages?.[0],
      { timeoutMs: 90_000 },
    );
    expect(dead.MessageId).toBe(sent.MessageId);
    expect(dead.Body).toBe('not an S3 notification');
    const failures = await t.logs.send(
      new FilterLogEventsCommand({
        logGroupName: await logGroupOf(t, out.IngestFunctionName as string),
        filterPattern: `"message failed; it will be retried" "${sent.MessageId}"`,
      }),
    );
    expect(failures.events?.length).toBe(5);
  }, 120_000);
});
