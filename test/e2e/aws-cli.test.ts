import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
    t = await startTestCloud(synthPipelineAssembly());
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

  for (const cli of clis) {
    it(`${cli}: sqs, s3, s3api versions, lambda, secretsmanager, sts`, async () => {
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
      expect((await aws(cli, 'sts', 'get-caller-identity')).Account).toBe('000000000000');
    }, 120_000);
  }
});
