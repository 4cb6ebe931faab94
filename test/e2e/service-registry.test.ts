import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  ListMetricsCommand,
} from '@aws-sdk/client-cloudwatch';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetRandomPasswordCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, synthPipelineAssembly, type TestCloud } from '../helpers/local-cloud.ts';

describe('the services on the endpoint, through the AWS SDK', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud(synthPipelineAssembly());
  }, 120_000);
  afterAll(() => t?.stop());

  it('serves an action registered as one file and one line (GetRandomPassword)', async () => {
    const out = await t.secrets.send(
      new GetRandomPasswordCommand({ PasswordLength: 40, ExcludePunctuation: true }),
    );
    expect(out.RandomPassword).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('answers an operation it does not serve in the service own error format, naming it', async () => {
    await expect(
      t.logs.send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/x' })),
    ).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: 'DeleteLogGroup is not supported by the embedded cloud',
    });
  });

  it('serves CloudWatch over the JSON protocol the JavaScript SDK speaks: Lambda metrics, alarms', async () => {
    const functionName = t.cloud.outputs.IngestFunctionName as string;
    const invoked = await t.lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify({ Records: [] }) }),
    );
    expect(invoked.FunctionError).toBeUndefined();
    const cloudwatch = new CloudWatchClient({
      endpoint: t.cloud.endpoint,
      region: t.cloud.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const dimensions = [{ Name: 'FunctionName', Value: functionName }];
      const listed = await cloudwatch.send(
        new ListMetricsCommand({ Namespace: 'AWS/Lambda', Dimensions: dimensions }),
      );
      expect(listed.Metrics?.map((m) => m.MetricName).sort()).toEqual([
        'Duration',
        'Errors',
        'Invocations',
      ]);
      const now = Date.now();
      const data = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(now - 600_000),
          EndTime: new Date(now + 60_000),
          MetricDataQueries: ['Invocations', 'Errors'].map((name) => ({
            Id: name.toLowerCase(),
            MetricStat: {
              Metric: { Namespace: 'AWS/Lambda', MetricName: name, Dimensions: dimensions },
              Period: 60,
              Stat: 'Sum',
            },
          })),
        }),
      );
      const sum = (id: string) =>
        (data.MetricDataResults?.find((r) => r.Id === id)?.Values ?? []).reduce((a, b) => a + b, 0);
      expect(sum('invocations')).toBeGreaterThanOrEqual(1);
      expect(sum('errors')).toBe(0);
      expect(data.MetricDataResults?.[0]?.Timestamps?.[0]).toBeInstanceOf(Date);
      const alarms = await cloudwatch.send(new DescribeAlarmsCommand({}));
      // Dead letters, backlog and ingest errors; export lag and export dead letters.
      expect(alarms.MetricAlarms?.map((a) => a.StateValue)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    } finally {
      cloudwatch.destroy();
    }
  });
});
