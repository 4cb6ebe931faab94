import type { LogsAction } from '../context.ts';
import { mustGroup } from '../context.ts';

export const PutLogEvents: LogsAction = (input, ctx) => {
  mustGroup(ctx, input.logGroupName);
  ctx.store.put(
    String(input.logGroupName),
    String(input.logStreamName),
    input.logEvents as { timestamp: number; message: string }[],
  );
  return { nextSequenceToken: String(Date.now()) };
};
