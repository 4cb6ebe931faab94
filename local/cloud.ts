import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { readAssembly } from './cloudformation/assembly.ts';
import { CustomResources } from './cloudformation/custom-resources.ts';
import { deployStack } from './cloudformation/deploy.ts';
import type { ScheduleSpec } from './cloudformation/resources.ts';
import { StateFile } from './cloudformation/state.ts';
import { LambdaService } from './lambda/service.ts';
import { type EventSourceMappingSpec, SqsEventSource } from './lambda/sqs-event-source.ts';
import { logsActions } from './logs/api.ts';
import { LogStore } from './logs/store.ts';
import { LocalDatabase } from './postgres/database.ts';
import { S3Notifications } from './s3/notifications.ts';
import { Scheduler } from './schedules/schedule.ts';
import { SecretStore, secretsActions } from './secrets/store.ts';
import { type ServiceRoutes, startServer } from './server.ts';
import { moveTaskActions, oldestMessageAgeSeconds } from './sqs/move-tasks.ts';

export const ACCOUNT_ID = '000000000000';
export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface LocalCloudOptions {
  /** @default 4566; 0 picks a free port */
  readonly port?: number;
  /** Where state lives between runs. @default `.local` */
  readonly stateDir?: string;
  /** The synthesized cloud assembly. @default `cdk.out` */
  readonly assemblyDir?: string;
  /** @default us-east-1 */
  readonly region?: string;
  /** Run each schedule once right after deploying, not only when it next fires. @default false */
  readonly fireSchedulesAtStart?: boolean;
  /** Deployment progress lines. */
  readonly progress?: (line: string) => void;
}

export interface LocalCloud {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly stackName: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly outputsFile: string;
  readonly lambda: LambdaService;
  readonly logs: LogStore;
  readonly eventSources: readonly SqsEventSource[];
  stop(): Promise<void>;
}

/**
 * The embedded cloud: deploys a synthesized CDK stack onto S3, SQS, Lambda, Secrets Manager,
 * CloudWatch Logs and PostgreSQL in this process, on one endpoint, and runs it.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stateDir = resolvePath(options.stateDir ?? '.local');
  const region = options.region ?? 'us-east-1';
  const progress = options.progress ?? (() => {});
  mkdirSync(stateDir, { recursive: true });
  const assembly = readAssembly(resolvePath(options.assemblyDir ?? 'cdk.out'));
  const stateFile = new StateFile(join(stateDir, 'stack.json'));
  const state = stateFile.load();
  const logs = new LogStore(join(stateDir, 'logs'));
  const secrets = new SecretStore(region, state.secrets);

  let routes: ServiceRoutes | undefined;
  const server = await startServer({
    port: options.port ?? 4566,
    stateDir,
    region,
    routes: () => {
      if (!routes) throw new Error('the embedded cloud is still starting');
      return routes;
    },
  });
  const { endpoint } = server;
  const clientConfig = { endpoint, region, credentials: CREDENTIALS };
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const sqs = new SQSClient(clientConfig);
  const queueUrl = (queueArn: string) => `${endpoint}/${ACCOUNT_ID}/${queueArn.split(':')[5]}`;

  const lambda = new LambdaService({ endpoint, region }, logs);
  const customResources = new CustomResources(endpoint, lambda);
  const notifications = new S3Notifications(
    async (queueArn, body) => {
      server.fauxqs.enqueue(queueArn, body);
    },
    region,
    state.notifications,
  );
  routes = {
    logs: logsActions(logs, region),
    secrets: secretsActions(secrets),
    sqsExtra: moveTaskActions(sqs, endpoint),
    lambda,
    internal: async (req, res) => {
      if (await customResources.handleResponse(req, res)) return true;
      // The age of a queue's oldest message, which AWS reports as a CloudWatch metric.
      const queue = /^\/_shopstream\/queues\/([^/?]+)\/oldest-age$/.exec(req.url ?? '');
      if (!queue) return false;
      const age = oldestMessageAgeSeconds(
        server.fauxqs.stores.sqs,
        decodeURIComponent(queue[1] as string),
      );
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ageSeconds: age }));
      return true;
    },
    onObjectCreated: (bucket, key, eventName, sourceIp) => {
      let info: { contentLength: number; etag: string };
      try {
        info = server.fauxqs.stores.s3.headObject(bucket, key);
      } catch {
        return;
      }
      notifications
        .objectCreated({
          bucket,
          key,
          eventName,
          size: info.contentLength,
          etag: info.etag,
          sourceIp,
        })
        .catch((error: Error) => progress(`S3 notification for ${key} failed: ${error.message}`));
    },
  };

  const database = new LocalDatabase(stateDir);
  const eventSourceSpecs: EventSourceMappingSpec[] = [];
  const scheduleSpecs: ScheduleSpec[] = [];
  const stackId = `arn:aws:cloudformation:${region}:${ACCOUNT_ID}:stack/${assembly.stackName}/local`;
  const save = () => {
    state.stackName = assembly.stackName;
    state.secrets = secrets.all();
    state.notifications = notifications.snapshot();
    stateFile.save(state);
  };

  let result: Awaited<ReturnType<typeof deployStack>>;
  try {
    progress(
      `deploying ${assembly.stackName} (${Object.keys(assembly.template.Resources).length} resources)`,
    );
    result = await deployStack(assembly, state, {
      endpoint,
      region,
      accountId: ACCOUNT_ID,
      stackName: assembly.stackName,
      stackId,
      s3,
      sqs,
      logs,
      secrets,
      lambda,
      notifications,
      database,
      customResources,
      codeByS3Key: assembly.codeByS3Key,
      state,
      deployed: () => ({}),
      eventSources: eventSourceSpecs,
      schedules: scheduleSpecs,
      progress,
    });
  } catch (error) {
    save();
    lambda.stop();
    await server.close();
    await database.stop();
    throw error;
  }
  save();

  const eventSources = eventSourceSpecs
    .filter((spec) => spec.enabled)
    .map((spec) => {
      const source = new SqsEventSource(
        { ...spec, queueUrl: queueUrl(spec.queueArn), region },
        sqs,
        lambda,
      );
      source.start();
      return source;
    });

  const schedulers = scheduleSpecs.map((spec) => {
    const scheduler = new Scheduler(spec.expression, async () => {
      const event = {
        version: '0',
        id: crypto.randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: ACCOUNT_ID,
        time: new Date().toISOString(),
        region,
        resources: [spec.ruleArn],
        detail: {},
      };
      await Promise.all(
        spec.targets.map((t) => lambda.invoke(t.arn, t.input ? JSON.parse(t.input) : event)),
      );
    });
    scheduler.start(options.fireSchedulesAtStart ? 0 : undefined);
    return scheduler;
  });

  const outputsFile = join(stateDir, 'outputs.json');
  writeFileSync(
    outputsFile,
    `${JSON.stringify({ [assembly.stackName]: result.outputs }, null, 2)}\n`,
  );
  progress(`deployed: ${result.created} created, ${result.kept} kept from the last run`);

  let stopped = false;
  return {
    endpoint,
    port: server.port,
    region,
    stackName: assembly.stackName,
    outputs: result.outputs,
    outputsFile,
    lambda,
    logs,
    eventSources,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const scheduler of schedulers) scheduler.stop();
      await Promise.all(eventSources.map((source) => source.stop()));
      lambda.stop();
      save();
      await logs.close();
      s3.destroy();
      sqs.destroy();
      await server.close();
      await database.stop();
    },
  };
}
