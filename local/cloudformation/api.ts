import { AwsError } from '../aws/errors.ts';
import { queryInput } from '../aws/query-protocol.ts';
import type { Service } from '../registry.ts';
import type { Template } from './assembly.ts';
import type { ResourceState } from './state.ts';

/** The stack the embedded cloud deployed, as CloudFormation's read APIs describe it. */
export interface DeployedStack {
  readonly stackName: string;
  readonly stackId: string;
  readonly template: Template;
  readonly outputs: Readonly<Record<string, string>>;
  readonly resources: Readonly<Record<string, ResourceState>>;
  readonly createdAt: Date;
  /** Set when this run's deploy updated a stack an earlier run created. */
  readonly updatedAt?: Date;
}

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/**
 * Read-only CloudFormation over its query protocol, for the one stack the embedded cloud runs:
 * DescribeStacks (with outputs), ListStackResources, DescribeStackResources, GetTemplate, so
 * `aws cloudformation describe-stacks` and tools that read outputs that way work. Every other
 * action (deploys among them: `npm start` deploys) answers InvalidAction, naming it.
 */
export function cloudFormationService(stack: () => DeployedStack | undefined): Service {
  const find = (params: URLSearchParams): DeployedStack => {
    const current = stack();
    const name = params.get('StackName');
    if (current && (name === null || name === current.stackName || name === current.stackId))
      return current;
    throw new AwsError('ValidationError', `Stack with id ${name ?? ''} does not exist`);
  };
  const status = (s: DeployedStack) => (s.updatedAt ? 'UPDATE_COMPLETE' : 'CREATE_COMPLETE');
  const resources = (s: DeployedStack) =>
    Object.entries(s.resources)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([logicalId, r]) => ({
        LogicalResourceId: logicalId,
        PhysicalResourceId: r.physicalId,
        ResourceType: r.type,
        ResourceStatus: 'CREATE_COMPLETE',
      }));
  return {
    name: 'CloudFormation (read-only)',
    query: {
      signingName: 'cloudformation',
      namespace: NAMESPACE,
      actions: {
        DescribeStacks: (params) => {
          if (!params.get('StackName') && !stack()) return { Stacks: [] };
          const s = find(params);
          return {
            Stacks: [
              {
                StackId: s.stackId,
                StackName: s.stackName,
                Description: (s.template as { Description?: string }).Description,
                Parameters: Object.entries(s.template.Parameters ?? {}).map(([key, p]) => ({
                  ParameterKey: key,
                  ParameterValue: p.Default === undefined ? undefined : String(p.Default),
                })),
                CreationTime: s.createdAt,
                LastUpdatedTime: s.updatedAt,
                StackStatus: status(s),
                DisableRollback: false,
                NotificationARNs: [],
                Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
                Outputs: Object.entries(s.outputs).map(([key, value]) => ({
                  OutputKey: key,
                  OutputValue: value,
                  Description: s.template.Outputs?.[key]?.Description,
                })),
                Tags: [],
                EnableTerminationProtection: false,
                DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
              },
            ],
          };
        },
        ListStackResources: (params) => {
          const s = find(params);
          const updated = s.updatedAt ?? s.createdAt;
          return {
            StackResourceSummaries: resources(s).map((r) => ({
              ...r,
              LastUpdatedTimestamp: updated,
              DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
            })),
          };
        },
        DescribeStackResources: (params) => {
          const s = find(params);
          const logicalId = params.get('LogicalResourceId');
          const physicalId = params.get('PhysicalResourceId');
          return {
            StackResources: resources(s)
              .filter(
                (r) =>
                  (!logicalId || r.LogicalResourceId === logicalId) &&
                  (!physicalId || r.PhysicalResourceId === physicalId),
              )
              .map((r) => ({
                StackName: s.stackName,
                StackId: s.stackId,
                ...r,
                Timestamp: s.updatedAt ?? s.createdAt,
                DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' },
              })),
          };
        },
        GetTemplate: (params) => {
          const s = find(params);
          const stage = queryInput(params).TemplateStage;
          if (stage !== undefined && stage !== 'Original' && stage !== 'Processed')
            throw new AwsError('ValidationError', `TemplateStage ${String(stage)} is not valid`);
          return {
            TemplateBody: JSON.stringify(s.template, null, 1),
            StagesAvailable: ['Original', 'Processed'],
          };
        },
      },
    },
  };
}
