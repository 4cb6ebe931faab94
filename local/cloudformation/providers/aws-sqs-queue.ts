import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';
import { resourceArn as arn } from '../provider.ts';

export const awsSqsQueue: ResourceProvider = {
  type: 'AWS::SQS::Queue',
  async create(id, props, previous, s) {
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
      // A queue of this name with other attributes (a retention changed since the last deploy,
      // say): fauxqs answers AWS.SimpleQueueService.QueueNameExists. The queue is updated in
      // place, as CloudFormation updates these attributes.
      if (!/(QueueNameExists|QueueAlreadyExists)$/.test((error as Error).name)) throw error;
      url = (await s.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
      await s.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
    }
    return {
      physicalId: url,
      attributes: { Arn: arn(s, 'sqs', name), QueueName: name, QueueUrl: url },
    };
  },
};
