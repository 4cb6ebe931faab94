import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface IngestQueuesProps {
  /** The ingest function's timeout: the queue's visibility timeout is six times it. */
  readonly functionTimeout: Duration;
  /** Added to the visibility timeout, as Lambda's batching window delays deletion. @default none */
  readonly batchingWindow?: Duration;
  /** Receives before a message is moved to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

/** The queue S3 notifies and the ingest function drains, with its dead-letter queue. */
export class IngestQueues extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly maxReceiveCount: number;
  /** The ingest queue's: what a message waits when its consumer neither deletes nor releases it. */
  readonly visibilityTimeout: Duration;

  constructor(scope: Construct, id: string, props: IngestQueuesProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    if (this.maxReceiveCount < 5) {
      throw new Error(
        `maxReceiveCount must be at least 5 so a transient outage does not dead-letter files, got ${this.maxReceiveCount}`,
      );
    }
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue; `npm run redrive` moves its messages back.',
    });
    // AWS: set the source queue's visibility timeout to at least six times the function timeout,
    // plus the batching window, so a message is not redelivered while its batch still runs.
    const visibility =
      props.functionTimeout.toSeconds() * 6 + (props.batchingWindow?.toSeconds() ?? 0);
    this.visibilityTimeout = Duration.seconds(visibility);
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
  }
}
