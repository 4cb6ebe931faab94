import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly ingest: lambda.IFunction;
  /** Committed files waiting for the lake and the stream, and those that failed five times. */
  readonly exportQueue: sqs.IQueue;
  readonly exportDeadLetterQueue: sqs.IQueue;
  /** Oldest message age that means ingestion is falling behind. @default 5 minutes */
  readonly maxMessageAge?: Duration;
  /** An address the alarm topic mails (it must confirm the subscription). @default none */
  readonly alarmEmail?: string;
}

const NAMESPACE = 'shopstream';

/** Alarms for what needs a person, and one dashboard for how the pipeline is doing. */
export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[];
  /** Every alarm's ALARM and OK transitions are published here. */
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const metric = (metricName: string, statistic = 'Sum', service = 'ingest') =>
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period: Duration.minutes(1),
      });
    // What the export function publishes: each export's counts, and the sweep's gauges.
    const exportMetric = (metricName: string, statistic = 'Sum') =>
      metric(metricName, statistic, 'export');

    // Any message in a dead-letter queue, at once.
    const deadLetterAlarm = (id: string, queue: sqs.IQueue, alarmDescription: string) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    // A queue's oldest message older than `maxAge` for three minutes running.
    const ageAlarm = (id: string, queue: sqs.IQueue, maxAge: Duration, alarmDescription: string) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription,
        metric: queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: maxAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    const deadLetters = deadLetterAlarm(
      'DeadLetters',
      props.deadLetterQueue,
      'Messages in the dead-letter queue: files that failed five times. Inspect, fix, then npm run redrive.',
    );
    const backlog = ageAlarm(
      'Backlog',
      props.queue,
      props.maxMessageAge ?? Duration.minutes(5),
      'The oldest notification has waited too long: ingestion is falling behind or failing.',
    );
    const errors = new cloudwatch.Alarm(this, 'IngestErrors', {
      alarmDescription:
        'The ingest function failed invocations (not single messages: those retry on their own).',
      metric: props.ingest.metricErrors({ period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Export lag: a committed file's message waits in the exports queue until its events are in
    // the lake and the stream, so the oldest message's age is the lag.
    const exportLag = ageAlarm(
      'ExportLag',
      props.exportQueue,
      Duration.minutes(5),
      'Committed files have waited over 5 minutes for the lake and the stream: the export function is failing or behind.',
    );
    const exportDeadLetters = deadLetterAlarm(
      'ExportDeadLetters',
      props.exportDeadLetterQueue,
      'Export requests failed five times; the sweep queues their files again, but something keeps failing.',
    );
    this.alarms = [deadLetters, backlog, errors, exportLag, exportDeadLetters];

    // CloudWatch publishes to an encrypted topic only with a customer managed key whose policy
    // lets it use the key (the AWS managed alias/aws/sns key does not).
    const stack = Stack.of(this);
    const alarmSources = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'shopstream alarm notifications',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: alarmSources,
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'shopstream alarms',
      masterKey: key,
      enforceSSL: true,
    });
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: alarmSources,
      }),
    );
    if (props.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.alarmTopic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Files',
            left: [
              metric('FilesLoaded'),
              metric('FilesRejected'),
              metric('FilesMissing'),
              metric('FilesSkipped'),
            ],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Rows',
            left: [metric('RowsLoaded'), metric('RowsRejected'), metric('RowsDuplicate')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Latency: object created to committed (ms)',
            left: [metric('FileLatency', 'p50'), metric('FileLatency', 'p99')],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Queue',
            left: [
              props.queue.metricApproximateNumberOfMessagesVisible(),
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible(),
            ],
            right: [props.queue.metricApproximateAgeOfOldestMessage()],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Ingest function',
            left: [
              props.ingest.metricInvocations(),
              props.ingest.metricErrors(),
              props.ingest.metricThrottles(),
            ],
            right: [props.ingest.metricDuration({ statistic: 'p99' })],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Export: lake and stream',
            left: [
              props.exportQueue.metricApproximateNumberOfMessagesVisible(),
              props.exportDeadLetterQueue.metricApproximateNumberOfMessagesVisible(),
            ],
            right: [props.exportQueue.metricApproximateAgeOfOldestMessage()],
            width: 24,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Exported to the lake and the stream',
            left: [exportMetric('EventsExported'), exportMetric('StreamBatches')],
            right: [exportMetric('ExportDuration', 'p99')],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Export lag and watermark delay (s)',
            left: [exportMetric('ExportLag', 'Maximum'), exportMetric('WatermarkDelay', 'Maximum')],
            right: [exportMetric('FilesAwaitingExport', 'Maximum')],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Activity (latest complete minute of event time)',
            left: [
              exportMetric('EventsPerMinute', 'Maximum'),
              exportMetric('PurchasesPerMinute', 'Maximum'),
            ],
            right: [exportMetric('RevenuePerMinute', 'Maximum')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Active users (5-minute sliding window)',
            left: [exportMetric('ActiveUsers', 'Maximum')],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Late events (last 15 minutes of event time)',
            left: [exportMetric('LateEvents', 'Maximum')],
            width: 8,
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
