import { Duration, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * The enriched-events topic, encrypted and TLS only, and one example subscriber: an SQS queue
 * with raw delivery that nothing consumes, which `npm run events -- --from-beginning` reads.
 * Downstream teams subscribe their own queues the same way, as to a Kafka topic.
 */
export interface EnrichedStreamProps {
  /** How long the example subscriber keeps a message. @default 4 days */
  readonly exampleRetention?: Duration;
}

export class EnrichedStream extends Construct {
  readonly topic: sns.Topic;
  readonly exampleQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EnrichedStreamProps = {}) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'shopstream enriched events',
      // The AWS managed key: publishers in the account need no key policy of their own.
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    this.exampleQueue = new sqs.Queue(this, 'ExampleSubscriber', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.exampleRetention ?? Duration.days(4),
    });
    Validations.of(this.exampleQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'An example subscriber that nothing consumes: no message is ever processed, so none can fail.',
    });
    this.topic.addSubscription(
      new subscriptions.SqsSubscription(this.exampleQueue, { rawMessageDelivery: true }),
    );
  }
}
