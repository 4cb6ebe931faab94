import type { LogsAction } from '../context.ts';
import { groupArn, mustGroup, page } from '../context.ts';

export const DescribeLogStreams: LogsAction = (input, ctx) => {
  const group = mustGroup(ctx, input.logGroupName);
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
      arn: `${groupArn(ctx, group.name)}:log-stream:${s.name}`,
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
};
