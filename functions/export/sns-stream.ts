import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { StreamMessage } from './enriched.ts';
import type { StreamPublisher } from './ports.ts';

/** PublishBatch to the enriched-events topic; any entry that fails throws, to retry the export. */
export class SnsStreamPublisher implements StreamPublisher {
  private readonly sns: SNSClient;
  private readonly topicArn: string;

  constructor(sns: SNSClient, topicArn: string) {
    this.sns = sns;
    this.topicArn = topicArn;
  }

  async publish(messages: readonly StreamMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const out = await this.sns.send(
      new PublishBatchCommand({
        TopicArn: this.topicArn,
        PublishBatchRequestEntries: messages.map((m) => ({
          Id: m.batchId,
          Message: m.body,
          MessageAttributes: {
            event_types: { DataType: 'String.Array', StringValue: JSON.stringify(m.eventTypes) },
            schema: { DataType: 'String', StringValue: 'shopstream.enriched.v1' },
          },
        })),
      }),
    );
    if (out.Failed?.length) {
      const first = out.Failed[0];
      throw new Error(
        `SNS refused ${out.Failed.length} of ${messages.length} batches: ${first?.Code} ${first?.Message ?? ''}`,
      );
    }
  }
}
