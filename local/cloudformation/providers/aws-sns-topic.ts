import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';

/** A topic on fauxqs's SNS; its encryption and policy have no effect on one machine. */
export const awsSnsTopic: ResourceProvider = {
  type: 'AWS::SNS::Topic',
  async create(id, props, previous, s) {
    const fifo = props.FifoTopic === true || props.FifoTopic === 'true';
    const name =
      (props.TopicName as string | undefined) ??
      (previous?.attributes.TopicName as string | undefined) ??
      `${physicalName(s.stackName, id, fifo ? 251 : 256)}${fifo ? '.fifo' : ''}`;
    const attributes: Record<string, string> = {};
    if (fifo) attributes.FifoTopic = 'true';
    if (props.ContentBasedDeduplication !== undefined)
      attributes.ContentBasedDeduplication = String(props.ContentBasedDeduplication);
    if (typeof props.DisplayName === 'string') attributes.DisplayName = props.DisplayName;
    const { TopicArn } = await s.sns.send(
      new CreateTopicCommand({ Name: name, Attributes: attributes }),
    );
    const arn = TopicArn as string;
    return { physicalId: arn, attributes: { TopicArn: arn, TopicName: name } };
  },
};
