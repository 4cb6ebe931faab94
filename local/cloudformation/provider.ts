import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LambdaService } from '../lambda/service.ts';
import type { EventSourceMappingSpec } from '../lambda/sqs-event-source.ts';
import type { LogStore } from '../logs/store.ts';
import type { LocalDatabase } from '../postgres/database.ts';
import type { S3Notifications } from '../s3/notifications.ts';
import type { ScheduleSpec } from '../schedules/schedule.ts';
import type { SecretStore } from '../secrets/store.ts';
import type { CustomResources } from './custom-resources.ts';
import type { ResourceState } from './state.ts';

export class UnsupportedResourceError extends Error {
  override name = 'UnsupportedResourceError';
}

/** What a deploy can reach: the cloud's services, read-only to providers. */
export interface DeployTarget {
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly logs: LogStore;
  readonly secrets: SecretStore;
  readonly lambda: LambdaService;
  readonly notifications: S3Notifications;
  readonly database: LocalDatabase;
  readonly customResources: CustomResources;
  readonly codeByS3Key: ReadonlyMap<string, string>;
  readonly progress: (line: string) => void;
}

/** A deploy target plus the resources deployed so far (an attachment reads its target). */
export interface DeployContext extends DeployTarget {
  readonly deployed: Readonly<Record<string, ResourceState>>;
}

/** Something a resource runs once the stack is deployed. */
export type RuntimeSpec =
  | { readonly kind: 'sqs-event-source'; readonly spec: EventSourceMappingSpec }
  | { readonly kind: 'schedule'; readonly spec: ScheduleSpec };

export interface ProviderResult {
  readonly physicalId: string;
  readonly attributes?: Record<string, unknown>;
  /** What the cloud starts after the deploy: the provider returns it, the engine collects it. */
  readonly runtime?: RuntimeSpec;
}

/**
 * One CloudFormation resource type on the embedded cloud: creates (or, given the previous
 * state, updates) the resource and says what it made.
 */
export interface ResourceProvider {
  readonly type: string;
  create(
    logicalId: string,
    props: Record<string, unknown>,
    previous: ResourceState | undefined,
    s: DeployContext,
  ): Promise<ProviderResult>;
}

export function resourceArn(s: DeployTarget, service: string, resource: string): string {
  return `arn:aws:${service}:${s.region}:${s.accountId}:${resource}`;
}
