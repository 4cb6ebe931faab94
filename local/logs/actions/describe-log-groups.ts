import type { LogsAction } from '../context.ts';
import { groupArn, page } from '../context.ts';

export const DescribeLogGroups: LogsAction = (input, ctx) => {
  const prefix = typeof input.logGroupNamePrefix === 'string' ? input.logGroupNamePrefix : '';
  const groups = ctx.store.groupsList().filter((g) => g.name.startsWith(prefix));
  const { slice, next } = page(groups, input, 50);
  return {
    logGroups: slice.map((g) => ({
      logGroupName: g.name,
      creationTime: g.creationTime,
      ...(g.retentionInDays ? { retentionInDays: g.retentionInDays } : {}),
      metricFilterCount: 0,
      arn: `${groupArn(ctx, g.name)}:*`,
      logGroupArn: groupArn(ctx, g.name),
      storedBytes: 0,
    })),
    ...(next ? { nextToken: next } : {}),
  };
};
