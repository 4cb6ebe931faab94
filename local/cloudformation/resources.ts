import { createHash } from 'node:crypto';
import { type DeployContext, type ProviderResult, UnsupportedResourceError } from './provider.ts';
import { PROVIDERS } from './providers/index.ts';
import type { ResourceState } from './state.ts';

export { UnsupportedResourceError };

const BY_TYPE = new Map(PROVIDERS.map((p) => [p.type, p]));

type Props = Record<string, unknown>;

/** Types that configure AWS but change nothing on one machine: accepted and skipped. */
const NO_LOCAL_EFFECT = [
  /^AWS::IAM::/,
  /^AWS::EC2::/,
  /^AWS::RDS::DB(Parameter|Subnet|ClusterParameter)Group$/,
  /^AWS::S3::BucketPolicy$/,
  /^AWS::SQS::QueuePolicy$/,
  /^AWS::SNS::TopicPolicy$/,
  // The lake's catalog and query engine: on one machine, `npm run lake` queries it with DuckDB.
  /^AWS::Glue::(Database|Table)$/,
  /^AWS::Athena::WorkGroup$/,
  /^AWS::Lambda::Permission$/,
  /^AWS::CloudWatch::(CompositeAlarm|Dashboard)$/,
  /^AWS::CDK::Metadata$/,
  /^AWS::Logs::(MetricFilter|ResourcePolicy)$/,
];

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
  s: DeployContext,
): Promise<ProviderResult> {
  if (NO_LOCAL_EFFECT.some((pattern) => pattern.test(type))) {
    const physicalId =
      previous?.physicalId ??
      `${logicalId.toLowerCase()}-${createHash('sha1').update(logicalId).digest('hex').slice(0, 8)}`;
    return { physicalId };
  }
  if (isCustomResource(type)) return applyCustomResource(logicalId, type, props, previous, s);
  const provider = BY_TYPE.get(type);
  if (!provider) {
    throw new UnsupportedResourceError(
      `resource ${logicalId} has type ${type}, which the embedded cloud does not run; deploy this stack to LocalStack or AWS instead`,
    );
  }
  return provider.create(logicalId, props, previous, s);
}

async function applyCustomResource(
  logicalId: string,
  type: string,
  props: Props,
  previous: ResourceState | undefined,
  s: DeployContext,
): Promise<ProviderResult> {
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
