import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly ingest: lambda.IFunction;
  /** Oldest message age that means ingestion is falling behind. @default 5 minutes */
  readonly maxMessageAge?: Duration;
}

const NAMESPACE = 'shopstream';

/** Alarms for what needs a person, and one dashboard for how the pipeline is doing. */
export class Monitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const metric = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName,
        dimensionsMap: { service: 'ingest' },
        statistic,
        period: Duration.minutes(1),
      });

    const deadLetters = new cloudwatch.Alarm(this, 'DeadLetters', {
      alarmDescription:
        'Messages in the dead-letter queue: files that failed five times. Inspect, fix, then npm run redrive.',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const backlog = new cloudwatch.Alarm(this, 'Backlog', {
      alarmDescription:
        'The oldest notification has waited too long: ingestion is falling behind or failing.',
      metric: props.queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: (props.maxMessageAge ?? Duration.minutes(5)).toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const errors = new cloudwatch.Alarm(this, 'IngestErrors', {
      alarmDescription:
        'The ingest function failed invocations (not single messages: those retry on their own).',
      metric: props.ingest.metricErrors({ period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [deadLetters, backlog, errors];

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
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
