import {
  CfnOutput,
  type CfnResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import type { Construct } from 'constructs';
import {
  EXPORT_ENV,
  environmentOf,
  GENERATOR_ENV,
  INCOMING_PREFIX,
  INGEST_ENV,
} from '#shared/contract.ts';
import { PipelineDatabase } from './constructs/database.ts';
import { EnrichedStream } from './constructs/enriched-stream.ts';
import { IngestQueues } from './constructs/ingest-queues.ts';
import { Lake } from './constructs/lake.ts';
import { LandingBucket } from './constructs/landing-bucket.ts';
import { Migrations } from './constructs/migrations.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { PipelineFunction } from './constructs/pipeline-function.ts';
import type { PipelineSettings } from './settings.ts';

export { INCOMING_PREFIX };

/** Connections kept back for migrations and an operator's psql beside the pipeline. */
export const RESERVED_CONNECTIONS = 2;

/** The export function's: its queue's maximum concurrency, plus one for a scheduled run. */
export const EXPORT_MAX_CONCURRENCY = 2;
export const EXPORT_CONNECTIONS = EXPORT_MAX_CONCURRENCY + 1;

export interface PipelineStackProps extends StackProps {
  readonly settings: PipelineSettings;
}

export class ConnectionBudgetError extends Error {
  override name = 'ConnectionBudgetError';
}

/**
 * Concurrent ingest invocations x connections each, plus what migrations and operators need,
 * must fit the database's connection budget; past it, ingestion would fail under load with
 * "too many connections" instead of queueing in SQS.
 */
export function checkConnectionBudget(
  maxConcurrency: number,
  perInvocation: number,
  budget: number,
): void {
  const needed = maxConcurrency * perInvocation + EXPORT_CONNECTIONS + RESERVED_CONNECTIONS;
  if (needed > budget) {
    throw new ConnectionBudgetError(
      `ingest maximum concurrency ${maxConcurrency} x ${perInvocation} connections per invocation + ${EXPORT_CONNECTIONS} for export + ${RESERVED_CONNECTIONS} reserved = ${needed} connections, over the database's budget of ${budget}. Lower the context value ingestMaxConcurrency or connectionsPerInvocation, or use a larger instance.`,
    );
  }
}

/** IAM5 findings of a CDK grant, which scopes actions to the resource but names them by pattern. */
function acknowledgeWildcards(fn: PipelineFunction, why: string, findings: string[]) {
  for (const finding of findings) {
    Validations.of(fn).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: `CDK ${why}.` });
  }
}

export class PipelineStack extends Stack {
  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const database = new PipelineDatabase(this, 'Database', {
      external: settings.external,
      deletionProtection: settings.deletionProtection,
    });
    checkConnectionBudget(
      settings.ingestMaxConcurrency,
      settings.connectionsPerInvocation,
      database.connectionBudget,
    );
    const inVpc = database.vpc
      ? { vpc: database.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }
      : {};

    const { bucket } = new LandingBucket(this, 'Landing');
    const lake = new Lake(this, 'Lake');
    const stream = new EnrichedStream(this, 'EnrichedEvents', {
      // The embedded cloud holds queues in its own memory: an hour of the stream, not four days.
      exampleRetention: settings.target === 'local' ? Duration.hours(1) : Duration.days(4),
    });
    // Committed files wait here for the export function; the exports take seconds.
    const exportTimeout = Duration.minutes(3);
    const exportQueues = new IngestQueues(this, 'Exports', { functionTimeout: exportTimeout });

    // Ingest: a file of up to a few million rows takes tens of seconds; the default five minutes
    // leaves room for the merge path, which reads a file twice.
    const ingestTimeout = Duration.seconds(settings.ingestTimeoutSeconds);
    const queues = new IngestQueues(this, 'Ingest', { functionTimeout: ingestTimeout });
    const ingest = new PipelineFunction(this, 'IngestFunction', {
      entry: 'functions/ingest/handler.ts',
      timeout: ingestTimeout,
      memorySize: 1024,
      // Rows live for one batch: a 48 MiB young generation holds them. The runtime's default,
      // a tenth of the memory, only adds garbage-collector headroom: the 1,000,000-row file
      // peaked at about 255 MB with it and about 160 MB with this, at the same speed.
      semiSpaceMb: 16,
      ...inVpc,
      environment: {
        ...environmentOf(INGEST_ENV, {
          bucket: bucket.bucketName,
          prefix: INCOMING_PREFIX,
          databaseSecretArn: database.ingestSecret.secretArn,
          connectionsPerInvocation: String(settings.connectionsPerInvocation),
          // Held messages are leased for 30 s and renewed, failed ones delayed by a backoff;
          // both stay within the queue's own visibility timeout.
          queueUrl: queues.queue.queueUrl,
          // A message that can never succeed goes there at once, with its reason.
          deadLetterQueueUrl: queues.deadLetterQueue.queueUrl,
          queueVisibilitySeconds: String(queues.visibilityTimeout.toSeconds()),
          allowedLatenessSeconds: String(settings.allowedLatenessSeconds),
          sessionGapSeconds: String(settings.sessionGapSeconds),
          maxFileBytes: String(settings.maxFileBytes),
          maxFileRows: String(settings.maxFileRows),
          maxCompressionRatio: String(settings.maxCompressionRatio),
          exportQueueUrl: exportQueues.queue.queueUrl,
        }),
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        POWERTOOLS_SERVICE_NAME: 'ingest',
        POWERTOOLS_METRICS_NAMESPACE: 'shopstream',
      },
    });
    bucket.grantRead(ingest.function, `${INCOMING_PREFIX}*`);
    database.ingestSecret.grantRead(ingest.function);
    queues.deadLetterQueue.grantSendMessages(ingest.function);
    exportQueues.queue.grantSendMessages(ingest.function);
    acknowledgeWildcards(
      ingest,
      'grantRead: GetObject with its version and tagging variants, on incoming/ only',
      [
        'Action::s3:GetBucket*',
        'Action::s3:GetObject*',
        'Action::s3:List*',
        `Resource::<${this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/incoming/*`,
      ],
    );
    ingest.function.addEventSource(
      new SqsEventSource(queues.queue, {
        // A message is a whole file, itself a batch of rows. Ten messages amortise a cold start
        // and the connection setup; no batching window, because waiting to fill a batch would
        // add its length to every small file's latency.
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: settings.ingestMaxConcurrency,
      }),
    );
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queues.queue), {
      prefix: INCOMING_PREFIX,
    });
    // CDK's own handler behind Custom::S3BucketNotifications.
    const notificationsHandler = this.node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler) {
      // Its log group, created ahead of its first run so it carries a retention too.
      const handlerFunction = notificationsHandler.node.findChild('Resource') as CfnResource;
      const handlerLogs = new logs.LogGroup(this, 'BucketNotificationsLogs', {
        logGroupName: Fn.join('', ['/aws/lambda/', handlerFunction.ref]),
        retention: logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      bucket.node.tryFindChild('Notifications')?.node.addDependency(handlerLogs);
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's bucket-notifications handler writes its logs through the AWS managed policy.",
      });
    }

    // Generator: each run writes six files ten seconds apart, like a stream of small files.
    const generator = new PipelineFunction(this, 'GeneratorFunction', {
      entry: 'functions/generator/handler.ts',
      timeout: Duration.minutes(2),
      memorySize: 256,
      environment: {
        ...environmentOf(GENERATOR_ENV, {
          bucket: bucket.bucketName,
          prefix: INCOMING_PREFIX,
          eventsPerFile: '100',
          filesPerInvocation: '6',
          fileIntervalMs: '10000',
        }),
        POWERTOOLS_SERVICE_NAME: 'generator',
      },
    });
    bucket.grantPut(generator.function, `${INCOMING_PREFIX}*`);
    acknowledgeWildcards(
      generator,
      'grantPut: PutObject and multipart (Abort*) on incoming/ only',
      [
        'Action::s3:Abort*',
        `Resource::<${this.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/incoming/*`,
      ],
    );
    if (settings.generatorSchedule !== null) {
      new events.Rule(this, 'GeneratorSchedule', {
        schedule: events.Schedule.expression(settings.generatorSchedule),
        targets: [new targets.LambdaFunction(generator.function)],
      });
    }

    const migrations = new Migrations(this, 'Migrations', {
      secret: database.secret,
      ingestSecret: database.ingestSecret,
      ...inVpc,
    });
    if (database.instance) migrations.resource.node.addDependency(database.instance);

    // Export: after a file commits, its events go to the lake and the stream (design section 10).
    const exporter = new PipelineFunction(this, 'ExportFunction', {
      entry: 'functions/export/handler.ts',
      timeout: exportTimeout,
      memorySize: 1024,
      ...inVpc,
      environment: {
        ...environmentOf(EXPORT_ENV, {
          // The ingest role: it reads events and marks the ledger, nothing more.
          databaseSecretArn: database.ingestSecret.secretArn,
          lakeBucket: lake.bucket.bucketName,
          topicArn: stream.topic.topicArn,
          exportQueueUrl: exportQueues.queue.queueUrl,
          sessionGapSeconds: String(settings.sessionGapSeconds),
        }),
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        POWERTOOLS_SERVICE_NAME: 'export',
      },
    });
    database.ingestSecret.grantRead(exporter.function);
    lake.bucket.grantReadWrite(exporter.function);
    lake.bucket.grantDelete(exporter.function);
    stream.topic.grantPublish(exporter.function);
    exportQueues.queue.grantSendMessages(exporter.function);
    acknowledgeWildcards(exporter, 'grantReadWrite and grantDelete on the lake bucket', [
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      `Resource::<${this.getLogicalId(lake.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`,
    ]);
    exporter.function.addEventSource(
      new SqsEventSource(exportQueues.queue, {
        batchSize: 5,
        reportBatchItemFailures: true,
        maxConcurrency: EXPORT_MAX_CONCURRENCY,
      }),
    );
    // The sweep queues what a lost message missed (a crash between commit and send).
    new events.Rule(this, 'ExportSweep', {
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(exporter.function, {
          event: events.RuleTargetInput.fromObject({ action: 'sweep' }),
        }),
      ],
    });
    if (settings.lakeCompactionSchedule !== null) {
      new events.Rule(this, 'LakeCompaction', {
        schedule: events.Schedule.expression(settings.lakeCompactionSchedule),
        targets: [
          new targets.LambdaFunction(exporter.function, {
            event: events.RuleTargetInput.fromObject({ action: 'compact' }),
          }),
        ],
      });
    }
    database.allowFrom(ingest.function, migrations.handler.function, exporter.function);

    const monitoring = new Monitoring(this, 'Monitoring', {
      // No mail leaves the embedded cloud: there the topic is read from a queue instead.
      alarmEmail: settings.target === 'local' ? undefined : settings.alarmEmail,
      queue: queues.queue,
      deadLetterQueue: queues.deadLetterQueue,
      ingest: ingest.function,
      exportQueue: exportQueues.queue,
      exportDeadLetterQueue: exportQueues.deadLetterQueue,
    });

    this.acknowledgeGrants([ingest, generator, migrations.handler, exporter]);

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('BucketName', bucket.bucketName, 'Bucket that receives CSV files under incoming/');
    output(
      'IngestQueueUrl',
      queues.queue.queueUrl,
      'Queue of S3 notifications for the ingest function',
    );
    output(
      'DeadLetterQueueUrl',
      queues.deadLetterQueue.queueUrl,
      'Messages that failed maxReceiveCount times',
    );
    output(
      'DatabaseSecretArn',
      database.secret.secretArn,
      'Master user secret (host, port, username, password, dbname): migrations and operators',
    );
    output(
      'IngestDatabaseSecretArn',
      database.ingestSecret.secretArn,
      "Ingest's least-privilege login role: add rows, never change or delete them",
    );
    output('IngestFunctionName', ingest.function.functionName, 'Ingest Lambda function');
    output('GeneratorFunctionName', generator.function.functionName, 'Generator Lambda function');
    output('ExportFunctionName', exporter.function.functionName, 'Lake and stream export function');
    output('ExportQueueUrl', exportQueues.queue.queueUrl, 'Committed files waiting for export');
    output(
      'AlarmTopicArn',
      monitoring.alarmTopic.topicArn,
      "Every alarm's ALARM and OK notifications (-c alarmEmail=ADDRESS subscribes a mailbox)",
    );
    output(
      'LakeBucketName',
      lake.bucket.bucketName,
      'Parquet data lake, events/event_date=YYYY-MM-DD/',
    );
    output('LakeDatabaseName', lake.database.databaseName, 'Glue database of the lake');
    output(
      'LakeTableName',
      lake.table.tableName,
      'Glue table over the lake, partition projection on event_date',
    );
    output('AthenaWorkGroupName', lake.workGroup.ref, 'Athena workgroup for lake queries');
    output(
      'EnrichedEventsTopicArn',
      stream.topic.topicArn,
      'SNS topic of enriched events (shopstream.enriched.v1)',
    );
    output(
      'EnrichedEventsQueueUrl',
      stream.exampleQueue.queueUrl,
      'Example subscriber of the enriched-events topic (raw delivery), read by npm run events',
    );
    output(
      'MigrationsFunctionName',
      migrations.handler.function.functionName,
      'Migrations custom resource function',
    );
  }

  /** The findings CDK's own grants and Lambda's managed policies raise, each with its reason. */
  private acknowledgeGrants(functions: PipelineFunction[]) {
    for (const fn of functions) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "AWS managed policy for writing the function's own logs.",
      });
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'AWS managed policy for the network interfaces of a function in the VPC.',
      });
    }
  }
}
