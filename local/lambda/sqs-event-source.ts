import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { messagesToDelete } from './batch-response.ts';
import type { LambdaService } from './service.ts';

export interface SqsEventSourceConfig {
  readonly id: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  /** Up to 10,000. */
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Concurrent invocations this mapping may drive. */
  readonly maxConcurrency: number;
  readonly region: string;
}

export interface EventSourceStats {
  invocations: number;
  failedInvocations: number;
  messagesDeleted: number;
}

/**
 * An SQS event source mapping as Lambda runs it: pollers long-poll the queue, gather a batch
 * (until it is full or the batching window closes), invoke the function synchronously and
 * delete what succeeded. What is not deleted comes back after the visibility timeout; SQS's
 * redrive policy moves it to the dead-letter queue after maxReceiveCount receives.
 */
export class SqsEventSource {
  readonly stats: EventSourceStats = { invocations: 0, failedInvocations: 0, messagesDeleted: 0 };
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly config: SqsEventSourceConfig;
  private readonly sqs: SQSClient;
  private readonly lambda: LambdaService;

  constructor(config: SqsEventSourceConfig, sqs: SQSClient, lambda: LambdaService) {
    this.config = config;
    this.sqs = sqs;
    this.lambda = lambda;
  }

  start(): void {
    for (let i = 0; i < this.config.maxConcurrency; i++) this.loops.push(this.poll());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.loops);
  }

  private async poll(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        const batch = await this.gather(signal);
        if (batch.length > 0) await this.deliver(batch);
      } catch (error) {
        if (signal.aborted) return;
        // The queue is briefly unavailable (restarting, say): back off and poll again.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        void error;
      }
    }
  }

  private async receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<Message[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.config.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: signal },
    );
    return out.Messages ?? [];
  }

  private async gather(signal: AbortSignal): Promise<Message[]> {
    const { batchSize, batchingWindowSeconds } = this.config;
    const batch = await this.receive(batchSize, 20, signal);
    if (batch.length === 0 || batchingWindowSeconds === 0) return batch;
    const closes = Date.now() + batchingWindowSeconds * 1000;
    while (batch.length < batchSize && !signal.aborted) {
      const left = closes - Date.now();
      if (left <= 0) break;
      const more = await this.receive(
        batchSize - batch.length,
        Math.min(20, Math.ceil(left / 1000)),
        signal,
      );
      batch.push(...more);
    }
    return batch;
  }

  private async deliver(batch: Message[]): Promise<void> {
    const event = { Records: batch.map((m) => this.record(m)) };
    const result = await this.lambda.invoke(this.config.functionName, event);
    this.stats.invocations++;
    const failed = result.error !== undefined;
    if (failed) this.stats.failedInvocations++;
    const ids = batch.map((m) => m.MessageId as string);
    const keep = new Set(
      messagesToDelete(
        ids,
        { failed, payload: result.payload },
        this.config.reportBatchItemFailures,
      ),
    );
    const toDelete = batch.filter((m) => keep.has(m.MessageId as string));
    for (let i = 0; i < toDelete.length; i += 10) {
      const chunk = toDelete.slice(i, i + 10);
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.config.queueUrl,
          Entries: chunk.map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle as string,
          })),
        }),
      );
      this.stats.messagesDeleted += chunk.length;
    }
  }

  private record(m: Message) {
    return {
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body ?? '',
      attributes: m.Attributes ?? {},
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          {
            stringValue: v.StringValue,
            binaryValue: v.BinaryValue ? Buffer.from(v.BinaryValue).toString('base64') : undefined,
            stringListValues: [],
            binaryListValues: [],
            dataType: v.DataType,
          },
        ]),
      ),
      md5OfBody: m.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.config.queueArn,
      awsRegion: this.config.region,
    };
  }
}
