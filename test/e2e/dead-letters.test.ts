import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
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
    t = await startTestCloud(synthPipelineAssembly());
  }, 120_000);
  afterAll(() => t?.stop());

  it('sends a message that can never succeed to the dead-letter queue at once, with the reason', async () => {
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
              MessageAttributeNames: ['All'],
            }),
          )
        ).Messages?.[0],
      { timeoutMs: 30_000 },
    );
    expect(dead.Body).toBe('not an S3 notification');
    expect(dead.MessageAttributes?.ShopstreamFailure?.StringValue).toBe('message body is not JSON');
    expect(dead.MessageAttributes?.SourceMessageId?.StringValue).toBe(sent.MessageId);
    expect(dead.MessageAttributes?.ReceiveCount?.StringValue).toBe('1');
    const logGroupName = await logGroupOf(t, out.IngestFunctionName as string);
    const lines = async (phrase: string) =>
      (
        await t.logs.send(
          new FilterLogEventsCommand({
            logGroupName,
            filterPattern: `"${phrase}" "${sent.MessageId}"`,
          }),
        )
      ).events ?? [];
    expect(await lines('sent to the dead-letter queue')).toHaveLength(1);
    expect(await lines('it will be retried')).toHaveLength(0);
    // Gone from the ingest queue: nothing waits or is in flight there. The poller deletes it
    // once the invocation returns, a moment after the dead-letter send; one left in flight
    // would stay there for its 30-minute visibility timeout.
    await waitFor(
      'the ingest queue empty',
      async () => {
        const { Attributes } = await t.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: out.IngestQueueUrl,
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
      },
      { timeoutMs: 10_000 },
    );
  }, 60_000);

  it('notifies the alarm topic when a message reaches the dead-letter queue', async () => {
    const out = t.cloud.outputs;
    // A queue subscribed to the alarm topic, as an operator's pager or chat hook would be.
    const { QueueUrl: inbox } = await t.sqs.send(new CreateQueueCommand({ QueueName: 'alarms' }));
    const { Attributes } = await t.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }),
    );
    await t.sns.send(
      new SubscribeCommand({
        TopicArn: out.AlarmTopicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
      }),
    );
    await t.sqs.send(
      new SendMessageCommand({ QueueUrl: out.IngestQueueUrl, MessageBody: 'still not JSON' }),
    );
    const notification = await waitFor(
      'the dead-letter alarm on the alarm topic',
      async () => {
        const { Messages = [] } = await t.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: inbox,
            WaitTimeSeconds: 1,
            MaxNumberOfMessages: 10,
          }),
        );
        return Messages.map((m) => JSON.parse(m.Body ?? '{}')).find((envelope) => {
          const alarm = JSON.parse(envelope.Message ?? '{}');
          return alarm.NewStateValue === 'ALARM' && /DeadLetters/.test(alarm.AlarmName);
        });
      },
      { timeoutMs: 45_000 },
    );
    expect(notification.Type).toBe('Notification');
    expect(notification.TopicArn).toBe(out.AlarmTopicArn);
    expect(notification.Subject).toMatch(/^ALARM: ".*DeadLetters.*" in US East \(N\. Virginia\)$/);
    const alarm = JSON.parse(notification.Message);
    expect(alarm).toMatchObject({
      AWSAccountId: '000000000000',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      Trigger: {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      },
    });
    expect(alarm.AlarmDescription).toMatch(/dead-letter queue/);
  }, 60_000);
});
