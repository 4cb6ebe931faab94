import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';
import { resourceArn as arn } from '../provider.ts';

/**
 * An alarm: named as CloudFormation names it, and described with its state, evaluated from the
 * embedded cloud's metrics when read (local/cloudwatch/alarms.ts). It notifies no one here.
 */
export const awsCloudwatchAlarm: ResourceProvider = {
  type: 'AWS::CloudWatch::Alarm',
  async create(id, props, previous, s) {
    const name =
      (props.AlarmName as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 255);
    return { physicalId: name, attributes: { Arn: arn(s, 'cloudwatch', `alarm:${name}`) } };
  },
};
