import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageVisibility, VisibilityChange } from './visibility.ts';

/** ChangeMessageVisibilityBatch, ten entries a call; entries that fail are reported as one error. */
export class SqsMessageVisibility implements MessageVisibility {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  async change(changes: readonly VisibilityChange[]): Promise<void> {
    const failed: string[] = [];
    for (let i = 0; i < changes.length; i += 10) {
      const chunk = changes.slice(i, i + 10);
      const out = await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((c, j) => ({
            Id: String(j),
            ReceiptHandle: c.receiptHandle,
            VisibilityTimeout: c.seconds,
          })),
        }),
      );
      for (const f of out.Failed ?? []) failed.push(`${f.Code ?? 'error'}: ${f.Message ?? ''}`);
    }
    if (failed.length > 0)
      throw new Error(`${failed.length} visibility changes failed (${failed[0]})`);
  }
}
