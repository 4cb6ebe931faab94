import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { AwsError } from '../aws/errors.ts';
import type { JsonAction } from '../aws/json-protocol.ts';

interface MoveTask {
  readonly TaskHandle: string;
  Status: 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';
  readonly SourceArn: string;
  readonly DestinationArn: string;
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  readonly StartedTimestamp: number;
  FailureReason?: string;
}

/**
 * SQS message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask),
 * which fauxqs lacks: dead letters go back to their source queue, or to a destination given.
 */
export function moveTaskActions(sqs: SQSClient, endpoint: string): Record<string, JsonAction> {
  const tasks = new Map<string, MoveTask>();
  const urlOf = (arn: string) => `${endpoint}/${arn.split(':')[4]}/${arn.split(':')[5]}`;
  const attributes = async (arn: string) => {
    try {
      const out = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: urlOf(arn), AttributeNames: ['All'] }),
      );
      return out.Attributes ?? {};
    } catch {
      throw new AwsError(
        'ResourceNotFoundException',
        `The resource that you specified for the SourceArn parameter doesn't exist: ${arn}`,
      );
    }
  };

  const run = async (task: MoveTask) => {
    const source = urlOf(task.SourceArn);
    const destination = urlOf(task.DestinationArn);
    try {
      while (task.Status === 'RUNNING') {
        const got = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: source,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 30,
            MessageAttributeNames: ['All'],
          }),
        );
        const messages = got.Messages ?? [];
        if (messages.length === 0) break;
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: destination,
            Entries: messages.map((m, i) => ({
              Id: String(i),
              MessageBody: m.Body ?? '',
              MessageAttributes: m.MessageAttributes,
            })),
          }),
        );
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: source,
            Entries: messages.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle as string,
            })),
          }),
        );
        task.ApproximateNumberOfMessagesMoved += messages.length;
      }
      task.Status = task.Status === 'CANCELLING' ? 'CANCELLED' : 'COMPLETED';
    } catch (error) {
      task.Status = 'FAILED';
      task.FailureReason = (error as Error).message;
    }
  };

  return {
    StartMessageMoveTask: async (input) => {
      const sourceArn = String(input.SourceArn ?? '');
      const source = await attributes(sourceArn);
      let destinationArn =
        typeof input.DestinationArn === 'string' ? input.DestinationArn : undefined;
      if (!destinationArn) {
        const listed = await sqs.send(new ListQueuesCommand({}));
        for (const url of listed.QueueUrls ?? []) {
          const a =
            (
              await sqs.send(
                new GetQueueAttributesCommand({
                  QueueUrl: url,
                  AttributeNames: ['RedrivePolicy', 'QueueArn'],
                }),
              )
            ).Attributes ?? {};
          if (a.RedrivePolicy && JSON.parse(a.RedrivePolicy).deadLetterTargetArn === sourceArn)
            destinationArn = a.QueueArn;
        }
        if (!destinationArn) {
          throw new AwsError(
            'InvalidParameterValueException',
            `No queue has ${sourceArn} as its dead-letter queue; give a DestinationArn`,
          );
        }
      } else {
        await attributes(destinationArn);
      }
      if ([...tasks.values()].some((t) => t.SourceArn === sourceArn && t.Status === 'RUNNING')) {
        throw new AwsError(
          'UnsupportedOperation',
          'A message move task is already running for this source queue',
        );
      }
      const task: MoveTask = {
        TaskHandle: Buffer.from(JSON.stringify({ id: crypto.randomUUID(), sourceArn })).toString(
          'base64',
        ),
        Status: 'RUNNING',
        SourceArn: sourceArn,
        DestinationArn: destinationArn,
        ApproximateNumberOfMessagesMoved: 0,
        ApproximateNumberOfMessagesToMove: Number(source.ApproximateNumberOfMessages ?? 0),
        StartedTimestamp: Date.now(),
      };
      tasks.set(task.TaskHandle, task);
      void run(task);
      return { TaskHandle: task.TaskHandle };
    },
    ListMessageMoveTasks: (input) => {
      const sourceArn = String(input.SourceArn ?? '');
      const max = typeof input.MaxResults === 'number' ? input.MaxResults : 1;
      const results = [...tasks.values()]
        .filter((t) => t.SourceArn === sourceArn)
        .sort((a, b) => b.StartedTimestamp - a.StartedTimestamp);
      return { Results: results.slice(0, max) };
    },
    CancelMessageMoveTask: (input) => {
      const task = tasks.get(String(input.TaskHandle ?? ''));
      if (!task)
        throw new AwsError(
          'ResourceNotFoundException',
          'The specified message move task does not exist',
        );
      if (task.Status === 'RUNNING') task.Status = 'CANCELLING';
      return { ApproximateNumberOfMessagesMoved: task.ApproximateNumberOfMessagesMoved };
    },
  };
}
