import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { App } from 'aws-cdk-lib';
import pg from 'pg';
import { parseDatabaseSecret, poolConfig } from '#shared/database.ts';
import { type LocalCloud, startLocalCloud } from './cloud.ts';
import { TEST_CREDENTIALS } from './constants.ts';

/**
 * The embedded cloud for tests and benchmarks: a cloud on a free port with a state folder of
 * its own, and AWS SDK clients pointed at it as a user's would be.
 */
export interface TestCloud {
  readonly cloud: LocalCloud;
  readonly stateDir: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly lambda: LambdaClient;
  readonly logs: CloudWatchLogsClient;
  readonly secrets: SecretsManagerClient;
  stop(): Promise<void>;
}

export async function startTestCloud(
  assemblyDir: string,
  stateDir = mkdtempSync(join(tmpdir(), 'shopstream-state-')),
): Promise<TestCloud> {
  const cloud = await startLocalCloud({ port: 0, stateDir, assemblyDir });
  const config = { endpoint: cloud.endpoint, region: cloud.region, credentials: TEST_CREDENTIALS };
  const clients = {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
    sns: new SNSClient(config),
    lambda: new LambdaClient(config),
    logs: new CloudWatchLogsClient(config),
    secrets: new SecretsManagerClient(config),
  };
  return {
    cloud,
    stateDir,
    ...clients,
    async stop() {
      for (const client of Object.values(clients)) client.destroy();
      await cloud.stop();
    },
  };
}

/** Synthesizes a CDK app into a fresh cloud assembly in the temporary folder. */
export function synthAssembly(
  define: (app: App) => unknown,
  context: Record<string, unknown> = {},
): string {
  const outdir = mkdtempSync(join(tmpdir(), 'shopstream-cdk-out-'));
  const app = new App({ outdir, context });
  define(app);
  app.synth();
  return outdir;
}

/**
 * A pool on the stack's database, reached the way the functions reach it: through the secret
 * named by the `DatabaseSecretArn` output, read with Secrets Manager.
 */
export async function databaseFromSecret(t: TestCloud, max = 2): Promise<pg.Pool> {
  const out = await t.secrets.send(
    new GetSecretValueCommand({ SecretId: t.cloud.outputs.DatabaseSecretArn }),
  );
  const secret = parseDatabaseSecret(JSON.parse(out.SecretString ?? '{}'));
  return new pg.Pool(poolConfig(secret, { max, applicationName: 'shopstream-test' }));
}

/** A function's log group, as its configuration names it. */
export async function logGroupOf(t: TestCloud, functionName: string): Promise<string> {
  const out = await t.lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  return out.Configuration?.LoggingConfig?.LogGroup as string;
}
