import type { LogsAction } from '../context.ts';
import { mustGroup } from '../context.ts';

export const CreateLogStream: LogsAction = (input, ctx) => {
  mustGroup(ctx, input.logGroupName);
  ctx.store.createStream(String(input.logGroupName), String(input.logStreamName));
  return {};
};
