import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { messagesToDelete } from './batch-response.ts';
import type { LambdaService } from './service.ts';

/** An AWS::Lambda::EventSourceMapping from an SQS queue, as the template states it. */
export interface EventSourceMappingSpec {
  readonly id: string;
  readonly queueArn: string;
  readonly functionName: string;
  /** Up to 10,000. */
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Concurrent invocations this mapping may drive. */
  readonly maxConcurrency: number;
  readonly enabled: boolean;
}

/** The mapping plus where its queue answers on the embedded cloud. */
export interface SqsEventSourceConfig extends EventSourceMappingSpec {
  readonly queueUrl: string;
  readonly region: string;
}

export interface EventSourceStats {
  invocations: number;
  failedInvocations: number;
  messagesDeleted: number;
}

/**
 * An SQS event source mapping as Lambda runs it: pollers poll the queue (2 s waits), gather a batch
 * (until it is full or the batching window closes), invoke the function synchronously and
 * delete what succeeded. What is not deleted comes back after the visibility timeout; SQS's
 * redrive policy moves it to the dead-letter queue after maxReceiveCount receives.
 */
export class SqsEventSource {
  readonly stats: EventSourceStats = { invocations: 0, failedInvocations: 0, messagesDeleted: 0 };
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  /** Receipt handles of messages received and not yet settled, by message id. */
  private readonly held = new Map<string, string>();
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

  /** Stops taking new messages; what is held stays held until `stop`. */
  halt(): void {
    this.stopping = true;
  }

  /**
   * Stops polling and gives back every message held: received and not yet handed to the
   * function, or in an invocation the cloud ended (the caller ends running functions between
   * `halt` and this). A receive in progress is waited for rather than aborted, since an aborted
   * receive still takes its messages; receives are short (2 s). What comes back is visible at
   * once, not after a visibility timeout of half an hour; a file whose transaction committed
   * before the stop is skipped by the ledger when it comes back.
   */
  async stop(): Promise<void> {
    this.halt();
    await Promise.race([
      Promise.allSettled(this.loops),
      new Promise((resolve) => setTimeout(resolve, 15_000)),
    ]);
    await this.release([...this.held.keys()]);
  }

  private async release(messageIds: string[]): Promise<void> {
    const receiptHandles: string[] = [];
    for (const id of messageIds) {
      const handle = this.held.get(id);
      this.held.delete(id);
      if (handle) receiptHandles.push(handle);
    }
    for (let i = 0; i < receiptHandles.length; i += 10) {
      const chunk = receiptHandles.slice(i, i + 10);
      await this.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.config.queueUrl,
            Entries: chunk.map((handle, j) => ({
              Id: String(j),
              ReceiptHandle: handle,
              VisibilityTimeout: 0,
            })),
          }),
        )
        .catch(() => {});
    }
  }

  private async poll(): Promise<void> {
    while (!this.stopping) {
      try {
        const batch = await this.gather();
        if (batch.length === 0) continue;
        if (this.stopping) {
          await this.release(batch.map((m) => m.MessageId as string));
          return;
        }
        await this.deliver(batch);
      } catch {
        if (this.stopping) return;
        // The queue is briefly unavailable (restarting, say): back off and poll again.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.config.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    for (const m of messages) this.held.set(m.MessageId as string, m.ReceiptHandle as string);
    return messages;
  }

  private async gather(): Promise<Message[]> {
    const { batchSize, batchingWindowSeconds } = this.config;
    const batch = await this.receive(batchSize, 2);
    if (batch.length === 0 || batchingWindowSeconds === 0) return batch;
    const closes = Date.now() + batchingWindowSeconds * 1000;
    while (batch.length < batchSize && !this.stopping) {
      const left = closes - Date.now();
      if (left <= 0) break;
      const more = await this.receive(
        batchSize - batch.length,
        Math.min(2, Math.ceil(left / 1000)),
      );
      batch.push(...more);
    }
    return batch;
  }

  private async deliver(batch: Message[]): Promise<void> {
    const event = { Records: batch.map((m) => this.record(m)) };
    let result: Awaited<ReturnType<LambdaService['invoke']>>;
    try {
      result = await this.lambda.invoke(this.config.functionName, event);
    } catch (error) {
      if (this.stopping) return;
      throw error;
    }
    const ids = batch.map((m) => m.MessageId as string);
    // An environment ended by a terminal's signal (a Ctrl-C to the process group, before the
    // stop reaches this poller) ran nothing to its end: its messages go back at once, whether
    // or not a stop follows, rather than waiting out their visibility timeout.
    if (result.interrupted) {
      await this.release(ids);
      return;
    }
    if (this.stopping && result.error) return;
    this.stats.invocations++;
    const failed = result.error !== undefined;
    if (failed) this.stats.failedInvocations++;
    const keep = new Set(
      messagesToDelete(
        ids,
        { failed, payload: result.payload },
        this.config.reportBatchItemFailures,
      ),
    );
    const toDelete = batch.filter((m) => keep.has(m.MessageId as string));
    // What is not deleted waits out its visibility timeout, as on AWS: no longer ours to release.
    for (const m of batch)
      if (!keep.has(m.MessageId as string)) this.held.delete(m.MessageId as string);
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
      for (const m of chunk) this.held.delete(m.MessageId as string);
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
