import { AwsError } from '../../aws/errors.ts';
import type { LogsAction } from '../context.ts';
import { mustGroup } from '../context.ts';

export const GetLogEvents: LogsAction = (input, ctx) => {
  const group = mustGroup(ctx, input.logGroupName);
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
};
