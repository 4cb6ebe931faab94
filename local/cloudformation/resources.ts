import { createHash } from 'node:crypto';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FunctionConfig } from '../lambda/environment.ts';
import type { LambdaService } from '../lambda/service.ts';
import type { EventSourceMappingSpec } from '../lambda/sqs-event-source.ts';
import type { LogStore } from '../logs/store.ts';
import type { LocalDatabase } from '../postgres/database.ts';
import type { QueueNotification, S3Notifications } from '../s3/notifications.ts';
import { generatePassword, type SecretStore } from '../secrets/store.ts';
import type { CustomResources } from './custom-resources.ts';
import { physicalName } from './names.ts';
import type { ResourceState } from './state.ts';

export class UnsupportedResourceError extends Error {
  override name = 'UnsupportedResourceError';
}

export interface ScheduleSpec {
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly expression: string;
  readonly targets: readonly { readonly arn: string; readonly input?: string }[];
}

export interface DeployServices {
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly logs: LogStore;
  readonly secrets: SecretStore;
  readonly lambda: LambdaService;
  readonly notifications: S3Notifications;
  readonly database: LocalDatabase;
  readonly customResources: CustomResources;
  readonly codeByS3Key: ReadonlyMap<string, string>;
  readonly state: { postgresPort?: number };
  /** Resources deployed so far (an attachment reads its target's endpoint). */
  deployed(): Readonly<Record<string, ResourceState>>;
  readonly eventSources: EventSourceMappingSpec[];
  readonly schedules: ScheduleSpec[];
  readonly progress: (line: string) => void;
}

export interface Applied {
  readonly physicalId: string;
  readonly attributes?: Record<string, unknown>;
}

type Props = Record<string, unknown>;
type Handler = (
  logicalId: string,
  props: Props,
  previous: ResourceState | undefined,
  s: DeployServices,
) => Promise<Applied>;

/** Types that configure AWS but change nothing on one machine: accepted and skipped. */
const NO_LOCAL_EFFECT = [
  /^AWS::IAM::/,
  /^AWS::EC2::/,
  /^AWS::RDS::DB(Parameter|Subnet|ClusterParameter)Group$/,
  /^AWS::S3::BucketPolicy$/,
  /^AWS::SQS::QueuePolicy$/,
  /^AWS::Lambda::Permission$/,
  /^AWS::CloudWatch::(Alarm|CompositeAlarm|Dashboard)$/,
  /^AWS::CDK::Metadata$/,
  /^AWS::Logs::(MetricFilter|ResourcePolicy)$/,
];

const arn = (s: DeployServices, service: string, resource: string) =>
  `arn:aws:${service}:${s.region}:${s.accountId}:${resource}`;

const handlers: Record<string, Handler> = {
  'AWS::S3::Bucket': async (id, props, previous, s) => {
    const name =
      (props.BucketName as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 63, true);
    await s.s3.send(new CreateBucketCommand({ Bucket: name })).catch((error: Error) => {
      if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
    });
    return {
      physicalId: name,
      attributes: {
        Arn: `arn:aws:s3:::${name}`,
        DomainName: `${name}.s3.amazonaws.com`,
        RegionalDomainName: `${name}.s3.${s.region}.amazonaws.com`,
      },
    };
  },

  'AWS::SQS::Queue': async (id, props, previous, s) => {
    const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
    const name =
      (props.QueueName as string | undefined) ??
      (previous?.attributes.QueueName as string | undefined) ??
      `${physicalName(s.stackName, id, fifo ? 75 : 80)}${fifo ? '.fifo' : ''}`;
    const attributes: Record<string, string> = {};
    for (const key of [
      'VisibilityTimeout',
      'MessageRetentionPeriod',
      'DelaySeconds',
      'MaximumMessageSize',
      'ReceiveMessageWaitTimeSeconds',
      'ContentBasedDeduplication',
    ]) {
      if (props[key] !== undefined) attributes[key] = String(props[key]);
    }
    if (fifo) attributes.FifoQueue = 'true';
    if (props.RedrivePolicy)
      attributes.RedrivePolicy =
        typeof props.RedrivePolicy === 'string'
          ? props.RedrivePolicy
          : JSON.stringify(props.RedrivePolicy);
    let url: string;
    try {
      url = (await s.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
        .QueueUrl as string;
    } catch (error) {
      if (
        (error as Error).name !== 'QueueNameExists' &&
        (error as Error).name !== 'QueueAlreadyExists'
      )
        throw error;
      url = (await s.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
      await s.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    }
    return {
      physicalId: url,
      attributes: { Arn: arn(s, 'sqs', name), QueueName: name, QueueUrl: url },
    };
  },

  'AWS::Logs::LogGroup': async (id, props, previous, s) => {
    const name =
      (props.LogGroupName as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 512);
    s.logs.createGroup(name, (props.RetentionInDays as number | undefined) ?? null);
    return { physicalId: name, attributes: { Arn: `${arn(s, 'logs', `log-group:${name}`)}:*` } };
  },

  'AWS::SecretsManager::Secret': async (id, props, previous, s) => {
    if (previous) {
      if (typeof props.SecretString === 'string')
        s.secrets.update(previous.physicalId, props.SecretString);
      return { physicalId: previous.physicalId, attributes: previous.attributes };
    }
    const name = (props.Name as string | undefined) ?? physicalName('', id, 40).replace(/^-/, '');
    let value = props.SecretString as string | undefined;
    if (value === undefined) {
      const spec = (props.GenerateSecretString ?? {}) as Record<string, unknown>;
      const password = generatePassword(
        Number(spec.PasswordLength ?? 32),
        String(spec.ExcludeCharacters ?? ''),
        spec.ExcludePunctuation === true,
      );
      value = spec.GenerateStringKey
        ? JSON.stringify({
            ...JSON.parse(String(spec.SecretStringTemplate ?? '{}')),
            [String(spec.GenerateStringKey)]: password,
          })
        : password;
    }
    const secret = s.secrets.create(name, value);
    return { physicalId: secret.arn, attributes: { Id: secret.arn } };
  },

  'AWS::SecretsManager::SecretTargetAttachment': async (_id, props, _previous, s) => {
    const secretArn = String(props.SecretId);
    if (props.TargetType !== 'AWS::RDS::DBInstance') {
      throw new UnsupportedResourceError(
        `secret target type ${String(props.TargetType)} is not run by the embedded cloud`,
      );
    }
    const target = Object.values(s.deployed()).find((r) => r.physicalId === props.TargetId);
    if (!target) throw new Error(`secret target ${String(props.TargetId)} is not deployed`);
    const secret = s.secrets.get(secretArn);
    const current = JSON.parse(secret.secretString) as Record<string, unknown>;
    s.secrets.update(
      secret.arn,
      JSON.stringify({
        ...current,
        engine: 'postgres',
        host: target.attributes['Endpoint.Address'],
        port: Number(target.attributes['Endpoint.Port']),
        dbInstanceIdentifier: target.physicalId,
      }),
    );
    return { physicalId: secret.arn };
  },

  'AWS::RDS::DBInstance': async (id, props, previous, s) => {
    if (props.Engine !== 'postgres') {
      throw new UnsupportedResourceError(
        `DB instance ${id} has engine ${String(props.Engine)}; the embedded cloud runs postgres`,
      );
    }
    s.progress(`starting PostgreSQL for ${id}`);
    const { host, port } = await s.database.ensure({
      user: String(props.MasterUsername ?? 'postgres'),
      password: String(props.MasterUserPassword ?? 'postgres'),
      database: String(props.DBName ?? 'postgres'),
      port: s.state.postgresPort,
    });
    s.state.postgresPort = port;
    const identifier = previous?.physicalId ?? physicalName(s.stackName, id, 63, true);
    return {
      physicalId: identifier,
      attributes: {
        'Endpoint.Address': host,
        'Endpoint.Port': String(port),
        DBInstanceArn: arn(s, 'rds', `db:${identifier}`),
      },
    };
  },

  'AWS::Lambda::Function': async (id, props, previous, s) => {
    const name =
      (props.FunctionName as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 64);
    const code = (props.Code ?? {}) as Record<string, unknown>;
    const codeDir = typeof code.S3Key === 'string' ? (s.codeByS3Key.get(code.S3Key) ?? '') : '';
    const functionArn = arn(s, 'lambda', `function:${name}`);
    const logging = (props.LoggingConfig ?? {}) as Record<string, unknown>;
    const config: FunctionConfig = {
      name,
      arn: functionArn,
      runtime: String(props.Runtime ?? 'nodejs24.x'),
      handler: String(props.Handler ?? 'index.handler'),
      codeDir,
      timeoutSeconds: Number(props.Timeout ?? 3),
      memoryMb: Number(props.MemorySize ?? 128),
      environment: Object.fromEntries(
        Object.entries(
          ((props.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {},
        ).map(([k, v]) => [k, String(v)]),
      ),
      logGroup: typeof logging.LogGroup === 'string' ? logging.LogGroup : `/aws/lambda/${name}`,
    };
    if (config.runtime.startsWith('nodejs') && !codeDir) {
      throw new Error(
        `function ${id}: no asset for code ${JSON.stringify(code)} in the cloud assembly`,
      );
    }
    s.lambda.register(config);
    return { physicalId: name, attributes: { Arn: functionArn } };
  },

  'AWS::Lambda::EventSourceMapping': async (_id, props, previous, s) => {
    const uuid = previous?.physicalId ?? crypto.randomUUID();
    const scaling = (props.ScalingConfig ?? {}) as Record<string, unknown>;
    const source = String(props.EventSourceArn ?? '');
    if (!source.startsWith('arn:aws:sqs:')) {
      throw new UnsupportedResourceError(
        `event source ${source} is not an SQS queue; the embedded cloud maps SQS only`,
      );
    }
    s.eventSources.push({
      id: uuid,
      queueArn: source,
      functionName: String(props.FunctionName),
      batchSize: Number(props.BatchSize ?? 10),
      batchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
      reportBatchItemFailures: ((props.FunctionResponseTypes ?? []) as string[]).includes(
        'ReportBatchItemFailures',
      ),
      maxConcurrency: Number(scaling.MaximumConcurrency ?? 5),
      enabled: props.Enabled !== false,
    });
    return { physicalId: uuid };
  },

  'AWS::Events::Rule': async (id, props, previous, s) => {
    const name =
      (props.Name as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 64);
    const ruleArn = arn(s, 'events', `rule/${name}`);
    if (props.ScheduleExpression && props.State !== 'DISABLED') {
      s.schedules.push({
        ruleName: name,
        ruleArn,
        expression: String(props.ScheduleExpression),
        targets: ((props.Targets ?? []) as Record<string, unknown>[]).map((t) => ({
          arn: String(t.Arn),
          ...(typeof t.Input === 'string' ? { input: t.Input } : {}),
        })),
      });
    }
    return { physicalId: name, attributes: { Arn: ruleArn } };
  },

  'Custom::S3BucketNotifications': async (id, props, previous, s) => {
    const bucket = String(props.BucketName);
    const config = (props.NotificationConfiguration ?? {}) as Record<string, unknown[]>;
    for (const kind of ['LambdaFunctionConfigurations', 'TopicConfigurations']) {
      if ((config[kind] ?? []).length > 0) {
        throw new UnsupportedResourceError(
          `${id}: ${kind} are not delivered by the embedded cloud (queues only)`,
        );
      }
    }
    if (
      JSON.stringify(previous?.properties) !== JSON.stringify(props) ||
      s.notifications.configuration(bucket).length === 0
    ) {
      const queues: QueueNotification[] = (
        (config.QueueConfigurations ?? []) as Record<string, unknown>[]
      ).map((q, i) => {
        const rules = ((
          (q.Filter as Record<string, unknown> | undefined)?.Key as
            | Record<string, unknown>
            | undefined
        )?.FilterRules ?? []) as {
          Name: string;
          Value: string;
        }[];
        return {
          id: String(q.Id ?? `${id}-${i}`),
          queueArn: String(q.QueueArn),
          events: (q.Events ?? []) as string[],
          prefix: rules.find((r) => r.Name.toLowerCase() === 'prefix')?.Value,
          suffix: rules.find((r) => r.Name.toLowerCase() === 'suffix')?.Value,
        };
      });
      await s.notifications.configure(bucket, queues);
    }
    return { physicalId: previous?.physicalId ?? `${bucket}-notifications` };
  },
};

export function isCustomResource(type: string): boolean {
  return (
    (type.startsWith('Custom::') && type !== 'Custom::S3BucketNotifications') ||
    type === 'AWS::CloudFormation::CustomResource'
  );
}

/** Creates or updates one resource, or says plainly that this type does not run here. */
export async function applyResource(
  logicalId: string,
  type: string,
  props: Props,
  previous: ResourceState | undefined,
  s: DeployServices,
): Promise<Applied> {
  if (NO_LOCAL_EFFECT.some((pattern) => pattern.test(type))) {
    const physicalId =
      previous?.physicalId ??
      `${logicalId.toLowerCase()}-${createHash('sha1').update(logicalId).digest('hex').slice(0, 8)}`;
    return { physicalId };
  }
  if (isCustomResource(type)) return applyCustomResource(logicalId, type, props, previous, s);
  const handler = handlers[type];
  if (!handler) {
    throw new UnsupportedResourceError(
      `resource ${logicalId} has type ${type}, which the embedded cloud does not run; deploy this stack to LocalStack or AWS instead`,
    );
  }
  return handler(logicalId, props, previous, s);
}

async function applyCustomResource(
  logicalId: string,
  type: string,
  props: Props,
  previous: ResourceState | undefined,
  s: DeployServices,
): Promise<Applied> {
  const { ServiceToken, ...properties } = props;
  if (previous && JSON.stringify(previous.properties) === JSON.stringify(props)) {
    return { physicalId: previous.physicalId, attributes: previous.attributes };
  }
  const requestType = previous ? 'Update' : 'Create';
  s.progress(`${requestType.toLowerCase()} ${logicalId} (${type})`);
  const response = await s.customResources.run(String(ServiceToken), {
    requestType,
    stackId: s.stackId,
    logicalId,
    resourceType: type,
    physicalId: previous?.physicalId,
    properties,
    oldProperties: previous
      ? Object.fromEntries(
          Object.entries(previous.properties as Props).filter(([k]) => k !== 'ServiceToken'),
        )
      : undefined,
  });
  if (response.Status !== 'SUCCESS') {
    throw new Error(
      `custom resource ${logicalId} (${type}) failed: ${response.Reason ?? 'no reason given'}`,
    );
  }
  return {
    physicalId: response.PhysicalResourceId ?? previous?.physicalId ?? logicalId,
    attributes: Object.fromEntries(Object.entries(response.Data ?? {})),
  };
}

export { arn as resourceArn };
