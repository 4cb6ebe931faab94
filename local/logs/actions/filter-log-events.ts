import { AwsError } from '../../aws/errors.ts';
import type { LogsAction } from '../context.ts';
import { mustGroup, page } from '../context.ts';
import { compileFilterPattern, FilterPatternError } from '../filter-pattern.ts';

export const FilterLogEvents: LogsAction = (input, ctx) => {
  const group = mustGroup(ctx, input.logGroupName);
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
};
