import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, synthPipelineAssembly, type TestCloud } from '../helpers/local-cloud.ts';

const run = promisify(execFile);

/**
 * The AWS CLI as a real client of the embedded endpoint: Debian's package (v2.9, which speaks
 * SQS's query protocol and ignores AWS_ENDPOINT_URL) at /usr/bin/aws, which CI installs and so
 * requires, and whatever other `aws` comes first on PATH (a pip-installed v1, say), when there
 * is one. A CLI that is absent is skipped, saying so.
 */
const DEBIAN_CLI = '/usr/bin/aws';
const versions = new Map<string, string>();
for (const cli of [DEBIAN_CLI, 'aws']) {
  const found = spawnSync(cli, ['--version'], { encoding: 'utf8' });
  if (found.status === 0) {
    const version = `${found.stdout}${found.stderr}`.trim();
    if (!versions.has(version)) versions.set(version, cli);
  } else if (cli === DEBIAN_CLI && process.env.CI) {
    throw new Error(`${cli} is not installed: CI must install awscli`);
  } else {
    console.warn(`skipping the AWS CLI rows for ${cli}: not installed`);
  }
}
const clis = [...versions.values()];

describe.skipIf(clis.length === 0)('the AWS CLI against the embedded cloud', () => {
  let t: TestCloud;
  let out: { readonly [name: string]: string };
  const bucket = () => out.BucketName as string;
  beforeAll(async () => {
    // A schedule that does not fire during the test, for the EventBridge reads.
    t = await startTestCloud(synthPipelineAssembly({ generatorSchedule: 'rate(1 day)' }));
    out = t.cloud.outputs as Record<string, string>;
  }, 120_000);
  afterAll(() => t?.stop());

  const aws = async (cli: string, ...args: string[]) => {
    const { stdout } = await run(
      cli,
      ['--endpoint-url', t.cloud.endpoint, '--output', 'json', ...args],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_REGION: 'us-east-1',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_PAGER: '',
        },
      },
    );
    return stdout.trim() === '' ? {} : JSON.parse(stdout);
  };

  let deadLetterSent = false;
  for (const cli of clis) {
    it(`${cli}: sqs, sns, s3, s3api versions, lambda, secretsmanager, sts`, async () => {
      expect((await aws(cli, 'sqs', 'list-queues')).QueueUrls).toEqual(
        expect.arrayContaining([out.IngestQueueUrl, out.DeadLetterQueueUrl]),
      );
      const queue = `cli-${Math.random().toString(36).slice(2, 8)}`;
      const { QueueUrl } = await aws(cli, 'sqs', 'create-queue', '--queue-name', queue);
      await aws(cli, 'sqs', 'send-message', '--queue-url', QueueUrl, '--message-body', 'hello');
      const received = await aws(cli, 'sqs', 'receive-message', '--queue-url', QueueUrl);
      expect(received.Messages?.[0]?.Body).toBe('hello');
      const attributes = await aws(
        cli,
        'sqs',
        'get-queue-attributes',
        '--queue-url',
        QueueUrl,
        '--attribute-names',
        'QueueArn',
      );
      expect(attributes.Attributes.QueueArn).toBe(`arn:aws:sqs:us-east-1:000000000000:${queue}`);
      const { TopicArn } = await aws(cli, 'sns', 'create-topic', '--name', queue);
      await aws(
        cli,
        'sns',
        'subscribe',
        '--topic-arn',
        TopicArn,
        '--protocol',
        'sqs',
        '--notification-endpoint',
        attributes.Attributes.QueueArn,
        '--attributes',
        'RawMessageDelivery=true',
      );
      expect((await aws(cli, 'sns', 'list-topics')).Topics).toContainEqual({ TopicArn });
      await aws(cli, 'sns', 'publish', '--topic-arn', TopicArn, '--message', 'via sns');
      const published = await aws(
        cli,
        'sqs',
        'receive-message',
        '--queue-url',
        QueueUrl,
        '--wait-time-seconds',
        '2',
      );
      expect(published.Messages?.[0]?.Body).toBe('via sns');

      const file = join(t.stateDir, 'cli.txt');
      writeFileSync(file, 'not a csv\n');
      const key = `other/${queue}.txt`;
      await run(
        cli,
        ['--endpoint-url', t.cloud.endpoint, 's3', 'cp', file, `s3://${bucket()}/${key}`],
        {
          env: {
            ...process.env,
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            AWS_DEFAULT_REGION: 'us-east-1',
          },
        },
      );
      await aws(cli, 's3api', 'put-object', '--bucket', bucket(), '--key', key, '--body', file);
      expect((await aws(cli, 's3api', 'get-bucket-versioning', '--bucket', bucket())).Status).toBe(
        'Enabled',
      );
      const versions = await aws(
        cli,
        's3api',
        'list-object-versions',
        '--bucket',
        bucket(),
        '--prefix',
        key,
      );
      expect(versions.Versions.map((v: { IsLatest: boolean }) => v.IsLatest)).toEqual([
        true,
        false,
      ]);

      const functions = (await aws(cli, 'lambda', 'list-functions')).Functions.map(
        (f: { FunctionName: string }) => f.FunctionName,
      );
      expect(functions).toEqual(
        expect.arrayContaining([out.IngestFunctionName, out.GeneratorFunctionName]),
      );
      const secret = await aws(
        cli,
        'secretsmanager',
        'get-secret-value',
        '--secret-id',
        out.IngestDatabaseSecretArn as string,
      );
      expect(JSON.parse(secret.SecretString).username).toBe('shopstream_ingest');
      const secrets = (await aws(cli, 'secretsmanager', 'list-secrets')).SecretList;
      expect(secrets.map((x: { ARN: string }) => x.ARN)).toContain(out.IngestDatabaseSecretArn);
      expect((await aws(cli, 'sts', 'get-caller-identity')).Account).toBe('000000000000');
    }, 120_000);

    it(`${cli}: cloudformation, cloudwatch, events, logs, s3api notification, unserved APIs`, async () => {
      const stacks = (await aws(cli, 'cloudformation', 'describe-stacks')).Stacks;
      expect(stacks).toHaveLength(1);
      expect(stacks[0].StackStatus).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
      const outputs = Object.fromEntries(
        stacks[0].Outputs.map((o: { OutputKey: string; OutputValue: string }) => [
          o.OutputKey,
          o.OutputValue,
        ]),
      );
      expect(outputs).toEqual(out);
      const stackName = stacks[0].StackName as string;
      const summaries = (
        await aws(cli, 'cloudformation', 'list-stack-resources', '--stack-name', stackName)
      ).StackResourceSummaries as { ResourceType: string; PhysicalResourceId: string }[];
      expect(summaries).toContainEqual(
        expect.objectContaining({
          ResourceType: 'AWS::Lambda::Function',
          PhysicalResourceId: out.IngestFunctionName,
        }),
      );
      const described = await aws(
        cli,
        'cloudformation',
        'describe-stack-resources',
        '--stack-name',
        stackName,
      );
      expect(described.StackResources).toHaveLength(summaries.length);
      const template = (await aws(cli, 'cloudformation', 'get-template', '--stack-name', stackName))
        .TemplateBody;
      const body = typeof template === 'string' ? JSON.parse(template) : template;
      expect(Object.keys(body.Resources)).toHaveLength(summaries.length);

      const notification = await aws(
        cli,
        's3api',
        'get-bucket-notification-configuration',
        '--bucket',
        bucket(),
      );
      expect(notification.QueueConfigurations).toEqual([
        expect.objectContaining({
          QueueArn: expect.stringMatching(/:sqs:us-east-1:000000000000:/),
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'incoming/' }] } },
        }),
      ]);

      const rules = (await aws(cli, 'events', 'list-rules')).Rules as {
        Name: string;
        ScheduleExpression: string;
      }[];
      // The generator's (this test's context), the export sweep's and the compaction's.
      expect(rules.map((r) => r.ScheduleExpression).sort()).toEqual([
        'rate(1 day)',
        'rate(1 minute)',
        'rate(15 minutes)',
      ]);
      const daily = rules.find((r) => r.ScheduleExpression === 'rate(1 day)');
      const rule = await aws(cli, 'events', 'describe-rule', '--name', daily?.Name as string);
      expect(rule.ScheduleExpression).toBe('rate(1 day)');
      expect(rule.State).toBe('ENABLED');

      // A file reaches ingest, whose EMF lines are metrics and whose REPORT lines are in its
      // log group; ingest invoked directly answers an empty batch.
      const id = Math.random().toString(36).slice(2, 8);
      const csvFile = join(t.stateDir, `cli-${id}.csv`);
      writeFileSync(
        csvFile,
        `event_id,event_time,event_type,user_id,product_id\ncli-${id},2026-11-20T10:00:00Z,view,u1,p1\n`,
      );
      await run(
        cli,
        [
          '--endpoint-url',
          t.cloud.endpoint,
          's3',
          'cp',
          csvFile,
          `s3://${bucket()}/incoming/cli-${id}.csv`,
        ],
        { env: cliEnv },
      );
      const payload = join(t.stateDir, `payload-${id}.json`);
      const answer = join(t.stateDir, `answer-${id}.json`);
      writeFileSync(payload, JSON.stringify({ Records: [] }));
      const invoked = await aws(
        cli,
        'lambda',
        'invoke',
        '--function-name',
        out.IngestFunctionName as string,
        '--payload',
        `fileb://${payload}`,
        answer,
      );
      expect(invoked.StatusCode).toBe(200);
      expect(JSON.parse(readFileSync(answer, 'utf8'))).toEqual({ batchItemFailures: [] });
      const namespace = ['--namespace', 'shopstream'];
      await until(async () => {
        const { Metrics } = await aws(cli, 'cloudwatch', 'list-metrics', ...namespace);
        return Metrics.some((m: { MetricName: string }) => m.MetricName === 'FilesLoaded');
      });
      const now = Date.now();
      const window = [
        '--start-time',
        new Date(now - 15 * 60_000).toISOString(),
        '--end-time',
        new Date(now + 60_000).toISOString(),
      ];
      const statistics = await aws(
        cli,
        'cloudwatch',
        'get-metric-statistics',
        ...namespace,
        '--metric-name',
        'FilesLoaded',
        '--dimensions',
        'Name=service,Value=ingest',
        '--period',
        '60',
        '--statistics',
        'Sum',
        ...window,
      );
      const loaded = statistics.Datapoints.reduce((n: number, d: { Sum: number }) => n + d.Sum, 0);
      expect(loaded).toBeGreaterThan(0);
      const data = await aws(
        cli,
        'cloudwatch',
        'get-metric-data',
        '--metric-data-queries',
        JSON.stringify([
          {
            Id: 'files',
            MetricStat: {
              Metric: {
                Namespace: 'shopstream',
                MetricName: 'FilesLoaded',
                Dimensions: [{ Name: 'service', Value: 'ingest' }],
              },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ]),
        ...window,
      );
      const values = data.MetricDataResults[0].Values as number[];
      expect(values.reduce((a, b) => a + b, 0)).toBe(loaded);

      // By the construct that made each alarm: the ingest queues' and the exports queues'
      // alarms watch the same metrics.
      const alarms = async () =>
        Object.fromEntries(
          (await aws(cli, 'cloudwatch', 'describe-alarms')).MetricAlarms.map(
            (a: { AlarmName: string; StateValue: string }) => [
              /Monitoring([A-Za-z]+?)[0-9A-F]{8}/.exec(a.AlarmName)?.[1] ?? a.AlarmName,
              a.StateValue,
            ],
          ),
        );
      // No invocation failed and nothing waits: those alarms are OK. The dead-letter alarm is
      // too, until a message lands there (an earlier row's message keeps it in ALARM for the
      // rest of that minute, its Maximum).
      expect(await alarms()).toEqual({
        IngestErrors: 'OK',
        Backlog: 'OK',
        ExportLag: 'OK',
        ExportDeadLetters: 'OK',
        DeadLetters: deadLetterSent ? expect.any(String) : 'OK',
      });
      const dlq = out.DeadLetterQueueUrl as string;
      await aws(cli, 'sqs', 'send-message', '--queue-url', dlq, '--message-body', 'dead');
      deadLetterSent = true;
      expect(await alarms()).toMatchObject({ DeadLetters: 'ALARM', ExportDeadLetters: 'OK' });
      await aws(cli, 'sqs', 'purge-queue', '--queue-url', dlq);

      const group = `/aws/lambda/${out.IngestFunctionName}`;
      const filtered = await aws(
        cli,
        'logs',
        'filter-log-events',
        '--log-group-name',
        group,
        '--filter-pattern',
        'REPORT',
      );
      expect(filtered.events.length).toBeGreaterThan(0);
      if (await hasCommand(cli, ['logs', 'tail', 'help'])) {
        const { stdout } = await run(
          cli,
          [
            '--endpoint-url',
            t.cloud.endpoint,
            'logs',
            'tail',
            group,
            '--since',
            '1h',
            '--format',
            'short',
          ],
          { env: cliEnv },
        );
        expect(stdout).toMatch(/REPORT RequestId:/);
      }

      for (const [args, operation] of [
        [
          ['cloudformation', 'describe-stack-events', '--stack-name', stackName],
          'DescribeStackEvents',
        ],
        [
          ['events', 'put-rule', '--name', 'x', '--schedule-expression', 'rate(1 minute)'],
          'PutRule',
        ],
        [['dynamodb', 'list-tables'], 'ListTables'],
        [
          [
            'cloudwatch',
            'put-metric-alarm',
            '--alarm-name',
            'x',
            '--metric-name',
            'm',
            '--namespace',
            'n',
            '--statistic',
            'Sum',
            '--period',
            '60',
            '--threshold',
            '1',
            '--comparison-operator',
            'GreaterThanThreshold',
            '--evaluation-periods',
            '1',
          ],
          'PutMetricAlarm',
        ],
      ] as const) {
        const failed = await run(cli, ['--endpoint-url', t.cloud.endpoint, ...args], {
          env: cliEnv,
        }).then(
          () => null,
          (error: { stderr: string }) => error.stderr,
        );
        expect(failed).toMatch(
          new RegExp(`${operation}.*not (served|supported) by the embedded cloud`),
        );
      }
    }, 180_000);
  }

  const cliEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
  };
});

/** Whether this CLI has a command (`logs tail` is v2's only). */
async function hasCommand(cli: string, args: readonly string[]): Promise<boolean> {
  return run(cli, [...args]).then(
    () => true,
    () => false,
  );
}

async function until(check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
