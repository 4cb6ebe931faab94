/**
 * Reading the enriched-events topic through SQS: a temporary queue subscribed to the topic
 * (raw delivery, optionally a filter policy), and batch messages parsed and deduplicated on
 * their batch_id. Shared by `npm run events` and the tests.
 */

import { type SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

export const STREAM_SCHEMA = 'shopstream.enriched.v1';

/** One enriched event as published (docs/lake-and-stream.md). */
export type EnrichedEvent = Record<string, unknown> & {
  readonly event_id: string;
  readonly event_type: string;
};

export interface StreamBatch {
  readonly batchId: string;
  readonly fileId: string;
  readonly events: readonly EnrichedEvent[];
}

/** A message body, or an error naming what is wrong with it. */
export function parseBatch(body: string): StreamBatch {
  let value: { schema?: unknown; batch_id?: unknown; file_id?: unknown; events?: unknown };
  try {
    value = JSON.parse(body);
  } catch {
    throw new Error('a message on the stream is not JSON');
  }
  if (value.schema !== STREAM_SCHEMA || typeof value.batch_id !== 'string')
    throw new Error(`a message on the stream is not a ${STREAM_SCHEMA} batch`);
  if (!Array.isArray(value.events)) throw new Error(`batch ${value.batch_id} has no events`);
  return {
    batchId: value.batch_id,
    fileId: String(value.file_id),
    events: value.events as EnrichedEvent[],
  };
}

/** A queue subscribed to the topic for as long as it is needed; `close` removes both. */
export interface TemporarySubscription {
  readonly queueUrl: string;
  readonly subscriptionArn: string;
  close(): Promise<void>;
}

/**
 * Creates a queue that the topic may write to, subscribes it with raw delivery and the filter
 * policy (on the `event_types` attribute) if any.
 */
export async function subscribeTemporaryQueue(
  sqs: SQSClient,
  sns: SNSClient,
  topicArn: string,
  options: { name: string; eventTypes?: readonly string[] },
): Promise<TemporarySubscription> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: options.name,
      Attributes: { MessageRetentionPeriod: '3600', SqsManagedSseEnabled: 'true' },
    }),
  );
  if (!QueueUrl) throw new Error('SQS returned no queue URL');
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = Attributes?.QueueArn as string;
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl,
      Attributes: {
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: queueArn,
              Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
            },
          ],
        }),
      },
    }),
  );
  const attributes: Record<string, string> = { RawMessageDelivery: 'true' };
  if (options.eventTypes?.length)
    attributes.FilterPolicy = JSON.stringify({ event_types: [...options.eventTypes] });
  let subscriptionArn: string | undefined;
  try {
    const out = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }),
    );
    subscriptionArn = out.SubscriptionArn;
  } catch (error) {
    await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => {});
    throw error;
  }
  if (!subscriptionArn) throw new Error('SNS returned no subscription ARN');
  const arn = subscriptionArn;
  return {
    queueUrl: QueueUrl,
    subscriptionArn: arn,
    async close() {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn: arn })).catch(() => {});
      await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => {});
    },
  };
}

/** One long poll of a queue: up to 10 messages. */
export async function receive(
  sqs: SQSClient,
  queueUrl: string,
  options: { waitSeconds: number; visibilityTimeout?: number },
): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: options.waitSeconds,
      VisibilityTimeout: options.visibilityTimeout,
      MessageAttributeNames: ['All'],
    }),
  );
  return out.Messages ?? [];
}
