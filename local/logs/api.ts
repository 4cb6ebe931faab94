import { AwsError } from '../aws/errors.ts';
import type { JsonAction } from '../aws/json-protocol.ts';
import { compileFilterPattern, FilterPatternError } from './filter-pattern.ts';
import type { LogStore } from './store.ts';

const ACCOUNT = '000000000000';

/** CloudWatch Logs actions (X-Amz-Target: Logs_20140328.<Action>). */
export function logsActions(store: LogStore, region: string): Record<string, JsonAction> {
  const arn = (group: string) => `arn:aws:logs:${region}:${ACCOUNT}:log-group:${group}`;
  const mustGroup = (name: unknown) => {
    const group = typeof name === 'string' ? store.group(name) : undefined;
    if (!group)
      throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return group;
  };
  const page = <T>(items: T[], input: Record<string, unknown>, max: number) => {
    const offset = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
    const limit = typeof input.limit === 'number' ? Math.min(input.limit, max) : max;
    const slice = items.slice(offset, offset + limit);
    const next = offset + limit < items.length ? String(offset + limit) : undefined;
    return { slice, next };
  };

  return {
    CreateLogGroup: (input) => {
      store.createGroup(String(input.logGroupName));
      return {};
    },
    CreateLogStream: (input) => {
      mustGroup(input.logGroupName);
      store.createStream(String(input.logGroupName), String(input.logStreamName));
      return {};
    },
    PutLogEvents: (input) => {
      mustGroup(input.logGroupName);
      store.put(
        String(input.logGroupName),
        String(input.logStreamName),
        input.logEvents as { timestamp: number; message: string }[],
      );
      return { nextSequenceToken: String(Date.now()) };
    },
    DescribeLogGroups: (input) => {
      const prefix = typeof input.logGroupNamePrefix === 'string' ? input.logGroupNamePrefix : '';
      const groups = store.groupsList().filter((g) => g.name.startsWith(prefix));
      const { slice, next } = page(groups, input, 50);
      return {
        logGroups: slice.map((g) => ({
          logGroupName: g.name,
          creationTime: g.creationTime,
          ...(g.retentionInDays ? { retentionInDays: g.retentionInDays } : {}),
          metricFilterCount: 0,
          arn: `${arn(g.name)}:*`,
          logGroupArn: arn(g.name),
          storedBytes: 0,
        })),
        ...(next ? { nextToken: next } : {}),
      };
    },
    DescribeLogStreams: (input) => {
      const group = mustGroup(input.logGroupName);
      const prefix = typeof input.logStreamNamePrefix === 'string' ? input.logStreamNamePrefix : '';
      const byTime = input.orderBy === 'LastEventTime';
      const streams = [...group.streams.values()]
        .filter((s) => s.name.startsWith(prefix))
        .map((s) => ({
          logStreamName: s.name,
          creationTime: s.creationTime,
          firstEventTimestamp: s.events[0]?.timestamp,
          lastEventTimestamp: s.events.at(-1)?.timestamp,
          lastIngestionTime: s.events.at(-1)?.ingestionTime,
          arn: `${arn(group.name)}:log-stream:${s.name}`,
          storedBytes: 0,
        }))
        .sort((a, b) =>
          byTime
            ? (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0)
            : a.logStreamName.localeCompare(b.logStreamName),
        );
      if (input.descending === true) streams.reverse();
      const { slice, next } = page(streams, input, 50);
      return { logStreams: slice, ...(next ? { nextToken: next } : {}) };
    },
    GetLogEvents: (input) => {
      const group = mustGroup(input.logGroupName);
      const stream = group.streams.get(String(input.logStreamName));
      if (!stream)
        throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
      const start = typeof input.startTime === 'number' ? input.startTime : 0;
      const end = typeof input.endTime === 'number' ? input.endTime : Number.POSITIVE_INFINITY;
      const matching = stream.events.filter((e) => e.timestamp >= start && e.timestamp < end);
      const limit = typeof input.limit === 'number' ? input.limit : 10_000;
      const token = typeof input.nextToken === 'string' ? input.nextToken : undefined;
      // Tokens are f/<index> and b/<index>, positions in the matching events.
      let from: number;
      if (token) from = Number(token.slice(2));
      else from = input.startFromHead === true ? 0 : Math.max(0, matching.length - limit);
      const events = matching.slice(from, from + limit);
      return {
        events,
        nextForwardToken: `f/${String(from + events.length).padStart(20, '0')}`,
        nextBackwardToken: `b/${String(Math.max(0, from - limit)).padStart(20, '0')}`,
      };
    },
    FilterLogEvents: (input) => {
      const group = mustGroup(input.logGroupName);
      let matches: (message: string) => boolean;
      try {
        matches = compileFilterPattern(
          typeof input.filterPattern === 'string' ? input.filterPattern : undefined,
        );
      } catch (error) {
        if (error instanceof FilterPatternError)
          throw new AwsError('InvalidParameterException', error.message);
        throw error;
      }
      const names = Array.isArray(input.logStreamNames)
        ? new Set(input.logStreamNames as string[])
        : null;
      const prefix = typeof input.logStreamNamePrefix === 'string' ? input.logStreamNamePrefix : '';
      const start = typeof input.startTime === 'number' ? input.startTime : 0;
      const end = typeof input.endTime === 'number' ? input.endTime : Number.POSITIVE_INFINITY;
      const streams = [...group.streams.values()].filter((s) =>
        names ? names.has(s.name) : s.name.startsWith(prefix),
      );
      const events = streams
        .flatMap((s) =>
          s.events
            .map((e, i) => ({ ...e, logStreamName: s.name, eventId: `${s.name}/${i}` }))
            .filter((e) => e.timestamp >= start && e.timestamp < end && matches(e.message)),
        )
        .sort((a, b) => a.timestamp - b.timestamp || a.ingestionTime - b.ingestionTime);
      const { slice, next } = page(events, input, 10_000);
      return {
        events: slice,
        searchedLogStreams: streams.map((s) => ({
          logStreamName: s.name,
          searchedCompletely: true,
        })),
        ...(next ? { nextToken: next } : {}),
      };
    },
  };
}
