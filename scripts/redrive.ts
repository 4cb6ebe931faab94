/**
 * npm run redrive [-- --target local|localstack|aws]
 * Moves every message of the dead-letter queue back to the ingest queue (SQS
 * StartMessageMoveTask) and reports how many, with progress.
 */

import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { parseCommand, TARGET_OPTIONS } from './lib/cli.ts';
import { Progress } from './lib/progress.ts';
import { output, resolveTarget, runCommand, TargetError } from './lib/target.ts';

async function main() {
  const { values } = parseCommand({
    usage: 'npm run redrive --',
    summary:
      'Moves every message of the dead-letter queue back to the ingest queue (SQS\nStartMessageMoveTask) and reports how many, with progress.',
    options: TARGET_OPTIONS,
  });
  const target = await resolveTarget(values);
  const sqs = new SQSClient(target.clientConfig);
  try {
    const arnOf = async (url: string) =>
      (
        await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'],
          }),
        )
      ).Attributes ?? {};
    const dlq = await arnOf(output(target, 'DeadLetterQueueUrl'));
    const source = await arnOf(output(target, 'IngestQueueUrl'));
    const waiting = Number(dlq.ApproximateNumberOfMessages ?? 0);
    if (waiting === 0) {
      console.log('the dead-letter queue is empty: nothing to redrive');
      return;
    }
    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlq.QueueArn, DestinationArn: source.QueueArn }),
    );
    const progress = new Progress();
    for (;;) {
      const list = await sqs.send(
        new ListMessageMoveTasksCommand({ SourceArn: dlq.QueueArn, MaxResults: 10 }),
      );
      const task = list.Results?.find((t) => t.TaskHandle === TaskHandle) ?? list.Results?.[0];
      const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
      const total = task?.ApproximateNumberOfMessagesToMove ?? waiting;
      progress.update(`moving dead letters back to the ingest queue: ${moved}/${total}`);
      if (task?.Status === 'COMPLETED') {
        progress.done(
          `redrove ${moved} message(s) from the dead-letter queue to the ingest queue in ${progress.elapsed()}`,
        );
        return;
      }
      if (task?.Status === 'FAILED' || task?.Status === 'CANCELLED') {
        throw new TargetError(
          `the move task ${task.Status.toLowerCase()} after ${moved} message(s): ${task.FailureReason ?? 'no reason given'}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    sqs.destroy();
  }
}

if (import.meta.main) runCommand(main);
