import { GetQueueAttributesCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FauxqsApp } from '../aws/fauxqs.ts';
import type { LambdaService } from '../lambda/service.ts';
import type { LogStore } from '../logs/store.ts';
import type { MetricStore } from './metrics.ts';

/** How often the queues are sampled, as SQS publishes its metrics: every minute. */
const SAMPLE_MS = 60_000;

/**
 * What feeds the embedded cloud's metrics, as AWS feeds CloudWatch's: the functions' EMF log
 * lines (replayed from the stored logs at start, then as they arrive), Lambda's Invocations,
 * Errors and Duration per function, and samples of every queue's depth and oldest message age.
 */
export class MetricFeeds {
  private readonly metrics: MetricStore;
  private readonly sqs: SQSClient;
  private readonly fauxqs: FauxqsApp;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private sampling: Promise<void> | undefined;

  constructor(options: {
    metrics: MetricStore;
    logs: LogStore;
    lambda: LambdaService;
    sqs: SQSClient;
    fauxqs: FauxqsApp;
  }) {
    const { metrics, logs, lambda } = options;
    this.metrics = metrics;
    this.sqs = options.sqs;
    this.fauxqs = options.fauxqs;
    for (const group of logs.groupsList()) {
      for (const stream of group.streams.values())
        for (const event of stream.events) metrics.putEmf(event.message, event.timestamp);
    }
    this.unsubscribe.push(
      logs.onEvents((_group, _stream, events) => {
        for (const event of events) metrics.putEmf(event.message, event.timestamp);
      }),
      lambda.onInvocation((functionName, outcome) => {
        const id = (name: string) => ({
          Namespace: 'AWS/Lambda',
          MetricName: name,
          Dimensions: [{ Name: 'FunctionName', Value: functionName }],
        });
        const now = Date.now();
        metrics.put(id('Invocations'), now, [1], 'Count');
        metrics.put(id('Errors'), now, [outcome === null || outcome.error ? 1 : 0], 'Count');
        if (outcome) metrics.put(id('Duration'), now, [outcome.durationMs], 'Milliseconds');
      }),
    );
    this.timer = setInterval(() => void this.sample().catch(() => {}), SAMPLE_MS);
    this.timer.unref();
  }

  /** Samples the queues now (joining a sample under way), so that a read sees them as they are. */
  refresh(): Promise<void> {
    return this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
  }

  private sample(): Promise<void> {
    this.sampling ??= (async () => {
      try {
        const now = Date.now();
        const { QueueUrls = [] } = await this.sqs.send(new ListQueuesCommand({}));
        for (const url of QueueUrls) {
          const name = url.slice(url.lastIndexOf('/') + 1);
          const { Attributes = {} } = await this.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
          );
          const put = (metric: string, value: number, unit: string) =>
            this.metrics.put(
              {
                Namespace: 'AWS/SQS',
                MetricName: metric,
                Dimensions: [{ Name: 'QueueName', Value: name }],
              },
              now,
              [value],
              unit,
            );
          put(
            'ApproximateNumberOfMessagesVisible',
            Number(Attributes.ApproximateNumberOfMessages ?? 0),
            'Count',
          );
          put(
            'ApproximateNumberOfMessagesNotVisible',
            Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
            'Count',
          );
          put(
            'ApproximateNumberOfMessagesDelayed',
            Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
            'Count',
          );
          put(
            'ApproximateAgeOfOldestMessage',
            this.fauxqs.oldestMessageAgeSeconds(name) ?? 0,
            'Seconds',
          );
        }
      } finally {
        this.sampling = undefined;
      }
    })();
    return this.sampling;
  }
}
