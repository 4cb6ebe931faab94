/**
 * npm run events -- [--follow] [--from-beginning] [--filter event_type=purchase] [--target T]
 * A console consumer of the enriched-events topic, like kafka-console-consumer: one JSON event
 * per line on stdout, each batch once.
 */
import { randomBytes } from 'node:crypto';
import { SNSClient } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { parseCommand, TARGET_OPTIONS, UsageError } from './lib/cli.ts';
import {
  type EnrichedEvent,
  parseBatch,
  receive,
  subscribeTemporaryQueue,
} from './lib/stream-consumer.ts';
import { output, resolveTarget, runCommand } from './lib/target.ts';

/** `key=value` filters: values of one key are alternatives, different keys must all match. */
export function parseFilters(specs: readonly string[]): Map<string, Set<string>> {
  const filters = new Map<string, Set<string>>();
  for (const spec of specs) {
    const m = /^([a-z_]+)=(.+)$/.exec(spec);
    if (!m)
      throw new UsageError(`--filter takes field=value, like event_type=purchase; got "${spec}"`);
    const [, key, value] = m as unknown as [string, string, string];
    const values = filters.get(key) ?? new Set<string>();
    for (const v of value.split(',')) values.add(v);
    filters.set(key, values);
  }
  return filters;
}

export function matches(event: EnrichedEvent, filters: Map<string, Set<string>>): boolean {
  for (const [key, values] of filters) {
    const v = event[key];
    if (!values.has(v === null || v === undefined ? 'null' : String(v))) return false;
  }
  return true;
}

async function main() {
  const { values } = parseCommand({
    usage: 'npm run events --',
    summary:
      'Prints the enriched-events stream (docs/lake-and-stream.md), one JSON event per line, each\n' +
      'batch once. It subscribes a temporary queue to the topic and removes it on exit.',
    options: {
      follow: { type: 'boolean', short: 'f', description: 'keep printing until Ctrl-C' },
      'from-beginning': {
        type: 'boolean',
        description:
          "first the events kept on the stack's example subscriber queue (4 days; 1 hour locally), left there",
      },
      filter: {
        type: 'string',
        multiple: true,
        value: 'F=V',
        description:
          'only events whose field F is V (event_type=purchase, user_id=U000001; V1,V2 for either)',
      },
      idle: {
        type: 'string',
        default: '10',
        value: 'S',
        description: 'without --follow, stop after S seconds with no new event (default 10)',
      },
      'max-events': { type: 'string', value: 'N', description: 'stop after N events' },
      ...TARGET_OPTIONS,
    },
    notes:
      'examples:\n' +
      '  npm run events -- --follow\n' +
      '  npm run events -- --from-beginning --filter event_type=purchase --idle 2',
  });
  const filters = parseFilters(values.filter ?? []);
  const idle = Number(values.idle);
  if (!Number.isFinite(idle) || idle <= 0)
    throw new UsageError(`--idle takes a number of seconds, got "${values.idle}"`);
  const maxEvents = values['max-events'] === undefined ? Infinity : Number(values['max-events']);
  if (!Number.isInteger(maxEvents) && maxEvents !== Infinity)
    throw new UsageError(`--max-events takes a whole number, got "${values['max-events']}"`);

  // `npm run events | head`: a closed pipe ends the command quietly (the queue is still removed).
  let stop = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    stop = true;
  });
  const target = await resolveTarget(values);
  const topicArn = output(target, 'EnrichedEventsTopicArn');
  const sqs = new SQSClient(target.clientConfig);
  const sns = new SNSClient(target.clientConfig);
  const eventTypes = filters.get('event_type');
  const seen = new Set<string>();
  let printed = 0;
  let duplicates = 0;
  const print = (messages: readonly Message[]) => {
    for (const m of messages) {
      const batch = parseBatch(m.Body ?? '');
      if (seen.has(batch.batchId)) {
        duplicates++;
        continue;
      }
      seen.add(batch.batchId);
      for (const event of batch.events) {
        if (printed >= maxEvents || stop) return;
        if (!matches(event, filters)) continue;
        process.stdout.write(`${JSON.stringify(event)}\n`);
        printed++;
      }
    }
  };

  // Subscribe first, so that nothing published while the example queue is read is missed.
  const subscription = await subscribeTemporaryQueue(sqs, sns, topicArn, {
    name: `shopstream-events-${randomBytes(4).toString('hex')}`,
    eventTypes: eventTypes ? [...eventTypes] : undefined,
  });
  const onSignal = () => {
    stop = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (values['from-beginning']) {
      const queueUrl = output(target, 'EnrichedEventsQueueUrl');
      const held: Message[] = [];
      while (!stop && printed < maxEvents) {
        // Hidden while read, then made visible again: the example queue keeps its messages.
        const messages = await receive(sqs, queueUrl, { waitSeconds: 1, visibilityTimeout: 300 });
        if (messages.length === 0) break;
        held.push(...messages);
        print(messages);
      }
      for (let i = 0; i < held.length; i += 10) {
        await sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: held.slice(i, i + 10).map((m, j) => ({
              Id: String(j),
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        );
      }
    }
    if (printed < maxEvents) {
      process.stderr.write(
        `waiting for enriched events on ${topicArn.split(':').at(-1)}${values.follow ? ' (Ctrl-C stops)' : ` (stops after ${idle} s without one)`}\n`,
      );
    }
    let lastEvent = performance.now();
    while (!stop && printed < maxEvents) {
      const messages = await receive(sqs, subscription.queueUrl, {
        waitSeconds: Math.min(5, Math.ceil(idle)),
      });
      if (messages.length > 0) {
        print(messages);
        lastEvent = performance.now();
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: subscription.queueUrl,
            Entries: messages.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      } else if (!values.follow && performance.now() - lastEvent >= idle * 1000) break;
    }
  } finally {
    await subscription.close();
  }
  process.stderr.write(
    `${printed} events from ${seen.size} batches${duplicates ? ` (${duplicates} redelivered batches skipped)` : ''}\n`,
  );
}

if (import.meta.main) runCommand(main);
