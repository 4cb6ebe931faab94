import { AwsError } from '../aws/errors.ts';
import type { ResourceState } from '../cloudformation/state.ts';
import type { Service } from '../registry.ts';

/** A rule the stack deployed: its name, ARN and template properties. */
interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly props: Record<string, unknown>;
}

/**
 * EventBridge reads for the stack's rules (the generator's schedule among them): ListRules,
 * DescribeRule and ListTargetsByRule, over its JSON protocol. Rules run in the embedded cloud
 * as schedules; every other action answers UnknownOperationException, naming it.
 */
export function eventsService(resources: () => Readonly<Record<string, ResourceState>>): Service {
  const rules = (): Rule[] =>
    Object.values(resources())
      .filter((r) => r.type === 'AWS::Events::Rule')
      .map((r) => ({
        name: r.physicalId,
        arn: String(r.attributes.Arn),
        props: (r.properties ?? {}) as Record<string, unknown>,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  const find = (input: Record<string, unknown>): Rule => {
    const rule = rules().find((r) => r.name === input.Name || r.name === input.Rule);
    if (!rule) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Rule ${String(input.Name ?? input.Rule)} does not exist on EventBus default.`,
      );
    }
    return rule;
  };
  const describe = (rule: Rule) => ({
    Name: rule.name,
    Arn: rule.arn,
    State: (rule.props.State as string | undefined) ?? 'ENABLED',
    Description: rule.props.Description,
    ScheduleExpression: rule.props.ScheduleExpression,
    EventPattern:
      rule.props.EventPattern === undefined ? undefined : JSON.stringify(rule.props.EventPattern),
    EventBusName: (rule.props.EventBusName as string | undefined) ?? 'default',
  });
  return {
    name: 'EventBridge (reads)',
    json: {
      targetPrefix: 'AWSEvents',
      actions: {
        ListRules: (input) => ({
          Rules: rules()
            .filter((r) => !input.NamePrefix || r.name.startsWith(String(input.NamePrefix)))
            .map(describe),
        }),
        DescribeRule: (input) => ({ ...describe(find(input)), CreatedBy: undefined }),
        ListTargetsByRule: (input) => ({
          Targets: ((find(input).props.Targets ?? []) as Record<string, unknown>[]).map((t) => ({
            Id: t.Id,
            Arn: t.Arn,
            Input: t.Input,
          })),
        }),
      },
    },
  };
}
