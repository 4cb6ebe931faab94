/**
 * npm run logs -- <function name | ingest | generator | export | migrations | /log/group>
 *   [--follow] [--since 10m|2h|1d|ISO time] [--filter-pattern P] [--format detailed|short|json] [--target local|localstack|aws]
 * Like `aws logs tail`: events from the log group, oldest first, then new ones as they come.
 */

import {
  CloudWatchLogsClient,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { compileFilterPattern } from '../local/index.ts';
import { parseCommand, TARGET_OPTIONS, UsageError } from './lib/cli.ts';
import { resolveTarget, runCommand, type Target, TargetError } from './lib/target.ts';

const ALIASES: Record<string, string> = {
  ingest: 'IngestFunctionName',
  generator: 'GeneratorFunctionName',
  export: 'ExportFunctionName',
  migrations: 'MigrationsFunctionName',
};

/** `10m`, `2h`, `1d`, `30s`, `1w` ago, or an ISO 8601 time. */
export function parseSince(text: string, now = Date.now()): number {
  const relative = /^(\d+)\s*(s|m|h|d|w)$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      relative[2] as 's'
    ];
    return now - Number(relative[1]) * unit;
  }
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new TargetError(`--since takes 10m, 2h, 1d or an ISO time, got "${text}"`);
  return time;
}

export function formatEvent(event: FilteredLogEvent, format: string): string {
  const time = new Date(event.timestamp ?? 0).toISOString();
  const message = (event.message ?? '').replace(/\n$/, '');
  if (format === 'json')
    return JSON.stringify({ timestamp: time, logStreamName: event.logStreamName, message });
  if (format === 'short') return `${time} ${message}`;
  return `${time} ${event.logStreamName} ${message}`;
}

async function logGroupFor(target: Target, name: string): Promise<string> {
  if (name.startsWith('/')) return name;
  const functionName = ALIASES[name] ? target.outputs[ALIASES[name] as string] : name;
  if (!functionName) throw new TargetError(`the stack has no ${ALIASES[name]} output`);
  const lambda = new LambdaClient(target.clientConfig);
  try {
    const out = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
    return out.Configuration?.LoggingConfig?.LogGroup ?? `/aws/lambda/${functionName}`;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') {
      throw new TargetError(
        `no function named ${functionName}; give a function name, ingest, generator, export, migrations or a log group`,
      );
    }
    throw error;
  } finally {
    lambda.destroy();
  }
}

async function main() {
  const { values, positionals } = parseCommand({
    usage: 'npm run logs --',
    positionals: '<function name | ingest | generator | export | migrations | /log/group>',
    summary: "A function's CloudWatch Logs, as `aws logs tail` prints them.",
    options: {
      follow: { type: 'boolean', short: 'f', description: 'keep printing new events until Ctrl-C' },
      since: {
        type: 'string',
        default: '10m',
        value: 'T',
        description: 'from how long ago: 30s, 10m, 2h, 1d, or an ISO time',
      },
      'filter-pattern': {
        type: 'string',
        value: 'P',
        description: 'a CloudWatch Logs filter pattern',
      },
      format: {
        type: 'string',
        default: 'detailed',
        value: 'F',
        description: 'detailed, short or json',
      },
      ...TARGET_OPTIONS,
    },
  });
  const [name] = positionals;
  if (!name)
    throw new UsageError(
      'name a function: ingest, generator, export, migrations, a function name or a /log/group (see --help)',
    );
  if (!['detailed', 'short', 'json'].includes(values.format as string))
    throw new TargetError('--format takes detailed, short or json');
  const pattern = values['filter-pattern'];
  compileFilterPattern(pattern); // a malformed pattern fails here, with its position, before any call
  const target = await resolveTarget(values);
  const logGroupName = await logGroupFor(target, name);
  const logs = new CloudWatchLogsClient(target.clientConfig);
  const seen = new Set<string>();
  let startTime = parseSince(values.since as string);
  let stop = false;
  process.on('SIGINT', () => {
    stop = true;
  });
  try {
    do {
      let nextToken: string | undefined;
      let latest = startTime;
      do {
        const page = await logs.send(
          new FilterLogEventsCommand({
            logGroupName,
            startTime,
            filterPattern: pattern || undefined,
            nextToken,
            interleaved: true,
          }),
        );
        for (const event of page.events ?? []) {
          const id = event.eventId ?? `${event.logStreamName}/${event.timestamp}/${event.message}`;
          if (seen.has(id)) continue;
          seen.add(id);
          latest = Math.max(latest, event.timestamp ?? 0);
          console.log(formatEvent(event, values.format as string));
        }
        nextToken = page.nextToken;
      } while (nextToken && !stop);
      startTime = latest;
      if (values.follow && !stop) await new Promise((resolve) => setTimeout(resolve, 1_000));
    } while (values.follow && !stop);
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException')
      throw new TargetError(
        `log group ${logGroupName} does not exist (yet: the function may not have run)`,
      );
    throw error;
  } finally {
    logs.destroy();
  }
}

if (import.meta.main) runCommand(main);
