import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { App, type Stack } from 'aws-cdk-lib';
import pg from 'pg';
import { buildApp } from '../../infra/app.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';

/** Synthesizes the product's CDK app, bundles and all, into a fresh cloud assembly. */
export function synthPipelineAssembly(context: Record<string, unknown> = {}): string {
  const outdir = mkdtempSync(join(tmpdir(), 'shopstream-cdk-out-'));
  const app = new App({
    outdir,
    context: { target: 'local', generatorSchedule: 'off', ...context },
  });
  buildApp(app);
  app.synth();
  return outdir;
}

/** Synthesizes any stack (the fixtures) into a fresh cloud assembly. */
export function synthAssembly(define: (app: App) => Stack): string {
  const outdir = mkdtempSync(join(tmpdir(), 'shopstream-cdk-out-'));
  const app = new App({ outdir });
  define(app);
  app.synth();
  return outdir;
}

export interface TestCloud {
  readonly cloud: LocalCloud;
  readonly stateDir: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly logs: CloudWatchLogsClient;
  readonly secrets: SecretsManagerClient;
  stop(): Promise<void>;
}

/** The embedded cloud on a free port, and AWS SDK clients pointed at it, as a user's would be. */
export async function startTestCloud(
  assemblyDir: string,
  stateDir = mkdtempSync(join(tmpdir(), 'shopstream-state-')),
): Promise<TestCloud> {
  const cloud = await startLocalCloud({ port: 0, stateDir, assemblyDir });
  const config = {
    endpoint: cloud.endpoint,
    region: cloud.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const clients = {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
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

/** A pool on the stack's database, reached the way the functions reach it: through the secret. */
export async function databaseFromSecret(t: TestCloud): Promise<pg.Pool> {
  const out = await t.secrets.send(
    new GetSecretValueCommand({ SecretId: t.cloud.outputs.DatabaseSecretArn }),
  );
  const secret = JSON.parse(out.SecretString ?? '{}');
  return new pg.Pool({
    host: secret.host,
    port: secret.port,
    user: secret.username,
    password: secret.password,
    database: secret.dbname,
    max: 2,
  });
}

/** A function's log group, as its configuration names it. */
export async function logGroupOf(t: TestCloud, functionName: string): Promise<string> {
  const { GetFunctionCommand } = await import('@aws-sdk/client-lambda');
  const out = await t.lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
  return out.Configuration?.LoggingConfig?.LogGroup as string;
}
