import type { LogsAction } from '../context.ts';

export const CreateLogGroup: LogsAction = (input, ctx) => {
  ctx.store.createGroup(String(input.logGroupName));
  return {};
};
