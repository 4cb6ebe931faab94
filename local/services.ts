import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { cloudFormationService, type DeployedStack } from './cloudformation/api.ts';
import type { Template } from './cloudformation/assembly.ts';
import { CustomResources } from './cloudformation/custom-resources.ts';
import type { DeployTarget } from './cloudformation/provider.ts';
import { type CloudState, StateFile } from './cloudformation/state.ts';
import { AlarmNotifier } from './cloudwatch/alarm-actions.ts';
import { alarmDefinition } from './cloudwatch/alarms.ts';
import { MetricFeeds } from './cloudwatch/feeds.ts';
import { MetricStore } from './cloudwatch/metrics.ts';
import { cloudWatchService } from './cloudwatch/service.ts';
import { ACCOUNT_ID, TEST_CREDENTIALS } from './constants.ts';
import { eventsService } from './events/service.ts';
import { lambdaApi } from './lambda/api.ts';
import { LambdaService } from './lambda/service.ts';
import { logsService } from './logs/service.ts';
import { LogStore } from './logs/store.ts';
import { LocalDatabase } from './postgres/database.ts';
import { type Service, ServiceRegistry } from './registry.ts';
import { notificationConfigurationService } from './s3/notification-api.ts';
import { S3Notifications } from './s3/notifications.ts';
import { secretsService } from './secrets/service.ts';
import { SecretStore } from './secrets/store.ts';
import { type CloudServer, startServer } from './server.ts';
import { sqsQueryService } from './sqs/query.ts';
import { queueAgeRoute, sqsExtensions } from './sqs/service.ts';

export interface CloudServicesOptions {
  readonly port: number;
  readonly stateDir: string;
  readonly region: string;
  readonly stackName: string;
  readonly codeByS3Key: ReadonlyMap<string, string>;
  readonly progress: (line: string) => void;
  readonly onFatal: (error: Error) => void;
}

/** The running services of one embedded cloud: what a deploy reaches, and how to close it. */
export interface CloudServices extends DeployTarget {
  readonly server: CloudServer;
  readonly registry: ServiceRegistry;
  readonly state: CloudState;
  /** Records the stack a deploy made, for the CloudFormation, CloudWatch and EventBridge reads. */
  deployed(template: Template, outputs: Readonly<Record<string, string>>): void;
  /** The alarms' actions; `check()` once deployed sets the states changes are notified from. */
  readonly alarmNotifier: AlarmNotifier;
  /** Writes what must survive a restart (secrets, notification configurations, resources). */
  save(): void;
  close(): Promise<void>;
}

/**
 * Opens the persisted stores, starts the endpoint and registers every service on it. Adding a
 * service is one `register` line here.
 */
export async function openCloudServices(options: CloudServicesOptions): Promise<CloudServices> {
  const { stateDir, region } = options;
  // The state holds the database's master password, objects and logs: the owner's alone (as
  // root, local/postgres/server.ts lets the cluster's `postgres` user traverse it, no more).
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  const stateFile = new StateFile(join(stateDir, 'stack.json'));
  const state = stateFile.load();
  const logs = new LogStore(join(stateDir, 'logs'));
  const secrets = new SecretStore(region, state.secrets);
  const registry = new ServiceRegistry();
  let notifications: S3Notifications | undefined;
  const server = await startServer({
    port: options.port,
    stateDir,
    region,
    registry,
    onObjectCreated: (object) => {
      for (const message of notifications?.messagesFor(object) ?? [])
        server.fauxqs.enqueue(message.queueArn, message.body);
    },
  });
  notifications = new S3Notifications(
    async (queueArn, body) => server.fauxqs.enqueue(queueArn, body),
    region,
    state.notifications,
  );
  const { endpoint } = server;
  const clientConfig = { endpoint, region, credentials: TEST_CREDENTIALS };
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const sqs = new SQSClient(clientConfig);
  const sns = new SNSClient(clientConfig);
  const lambda = new LambdaService({ endpoint, region }, logs);
  const customResources = new CustomResources(endpoint, lambda);
  const database = new LocalDatabase(stateDir, {
    progress: options.progress,
    fatal: options.onFatal,
  });

  const metrics = new MetricStore();
  const feeds = new MetricFeeds({ metrics, logs, lambda, sqs, fauxqs: server.fauxqs });
  let stack: DeployedStack | undefined;
  const stackId = `arn:aws:cloudformation:${region}:${ACCOUNT_ID}:stack/${options.stackName}/local`;

  const stackAlarms = () =>
    Object.values(stack?.resources ?? {}).flatMap((r) => {
      if (r.type !== 'AWS::CloudWatch::Alarm') return [];
      const alarm = alarmDefinition(
        r.physicalId,
        String(r.attributes.Arn),
        r.properties as Record<string, unknown>,
      );
      return alarm ? [alarm] : [];
    });
  // Alarm actions: a change of state is published to the alarm's topics.
  const alarmNotifier = new AlarmNotifier({
    alarms: stackAlarms,
    metrics,
    refresh: () => feeds.refresh(),
    publish: async (TopicArn, Subject, Message) => {
      await sns.send(new PublishCommand({ TopicArn, Subject, Message }));
    },
    region,
    accountId: ACCOUNT_ID,
  });

  const services: Service[] = [
    logsService({ store: logs, region }),
    cloudFormationService(() => stack),
    cloudWatchService({ metrics, refresh: () => feeds.refresh(), alarms: stackAlarms }),
    eventsService(() => stack?.resources ?? {}),
    notificationConfigurationService(notifications, (bucket) =>
      server.fauxqs.objects.hasBucket(bucket),
    ),
    secretsService(secrets),
    sqsExtensions(sqs, endpoint),
    sqsQueryService(server.fauxqs),
    lambdaApi(lambda),
    customResources.route(),
    queueAgeRoute(server.fauxqs),
    notFound('/_shopstream/'),
  ];
  for (const service of services) registry.register(service);

  return {
    endpoint,
    region,
    accountId: ACCOUNT_ID,
    stackName: options.stackName,
    stackId,
    s3,
    sqs,
    sns,
    logs,
    secrets,
    lambda,
    notifications,
    database,
    customResources,
    codeByS3Key: options.codeByS3Key,
    progress: options.progress,
    server,
    registry,
    state,
    alarmNotifier,
    deployed(template, outputs) {
      const now = new Date();
      const firstDeploy = state.createdAt === undefined;
      state.createdAt ??= now.toISOString();
      stack = {
        stackName: options.stackName,
        stackId,
        template,
        outputs,
        resources: state.resources,
        createdAt: new Date(state.createdAt),
        ...(firstDeploy ? {} : { updatedAt: now }),
      };
    },
    save() {
      state.stackName = options.stackName;
      state.secrets = secrets.all();
      state.notifications = (notifications as S3Notifications).snapshot();
      stateFile.save(state);
    },
    async close() {
      alarmNotifier.stop();
      feeds.stop();
      lambda.stop();
      await logs.close();
      s3.destroy();
      sqs.destroy();
      sns.destroy();
      await server.close();
      await database.stop();
    },
  };
}

/** The embedded cloud's own paths that name nothing: a 404 rather than fauxqs's S3 answer. */
function notFound(pathPrefix: string): Service {
  return {
    name: 'not found',
    rest: {
      pathPrefix,
      handle: async (_req, res) => {
        res.statusCode = 404;
        res.end();
      },
    },
  };
}
