import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';
import { resourceArn as arn } from '../provider.ts';

export const awsLogsLogGroup: ResourceProvider = {
  type: 'AWS::Logs::LogGroup',
  async create(id, props, previous, s) {
    const name =
      (props.LogGroupName as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 512);
    s.logs.createGroup(name, (props.RetentionInDays as number | undefined) ?? null);
    return { physicalId: name, attributes: { Arn: `${arn(s, 'logs', `log-group:${name}`)}:*` } };
  },
};
