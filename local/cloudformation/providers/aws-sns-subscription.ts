import {
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import type { ResourceProvider } from '../provider.ts';

const json = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A subscription on fauxqs's SNS: SQS endpoints (by queue ARN), with raw delivery and filter
 * policies as AWS applies them. Subscribing again with the same endpoint finds the existing one.
 */
export const awsSnsSubscription: ResourceProvider = {
  type: 'AWS::SNS::Subscription',
  async create(id, props, _previous, s) {
    const topicArn = String(props.TopicArn);
    const protocol = String(props.Protocol);
    const endpoint = String(props.Endpoint);
    if (protocol !== 'sqs') {
      throw new Error(
        `resource ${id}: SNS protocol ${protocol} does not run on the embedded cloud (sqs does)`,
      );
    }
    const attributes: Record<string, string> = {};
    if (props.RawMessageDelivery !== undefined)
      attributes.RawMessageDelivery = String(props.RawMessageDelivery);
    if (props.FilterPolicy !== undefined) attributes.FilterPolicy = json(props.FilterPolicy);
    if (props.FilterPolicyScope !== undefined)
      attributes.FilterPolicyScope = String(props.FilterPolicyScope);
    if (props.RedrivePolicy !== undefined) attributes.RedrivePolicy = json(props.RedrivePolicy);
    const existing = (
      await s.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))
    ).Subscriptions?.find((sub) => sub.Protocol === protocol && sub.Endpoint === endpoint);
    let arn = existing?.SubscriptionArn;
    if (arn) {
      for (const [name, value] of Object.entries(attributes)) {
        await s.sns.send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: arn,
            AttributeName: name,
            AttributeValue: value,
          }),
        );
      }
    } else {
      arn = (
        await s.sns.send(
          new SubscribeCommand({
            TopicArn: topicArn,
            Protocol: protocol,
            Endpoint: endpoint,
            Attributes: attributes,
            ReturnSubscriptionArn: true,
          }),
        )
      ).SubscriptionArn as string;
    }
    return { physicalId: arn, attributes: { Arn: arn } };
  },
};
