import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';
import { resourceArn as arn } from '../provider.ts';

export const awsEventsRule: ResourceProvider = {
  type: 'AWS::Events::Rule',
  async create(id, props, previous, s) {
    const name =
      (props.Name as string | undefined) ??
      previous?.physicalId ??
      physicalName(s.stackName, id, 64);
    const ruleArn = arn(s, 'events', `rule/${name}`);
    const result = { physicalId: name, attributes: { Arn: ruleArn } };
    if (props.ScheduleExpression && props.State !== 'DISABLED') {
      const schedule = {
        ruleName: name,
        ruleArn,
        expression: String(props.ScheduleExpression),
        targets: ((props.Targets ?? []) as Record<string, unknown>[]).map((t) => ({
          arn: String(t.Arn),
          ...(typeof t.Input === 'string' ? { input: t.Input } : {}),
        })),
      };
      return { ...result, runtime: { kind: 'schedule', spec: schedule } as const };
    }
    return result;
  },
};
