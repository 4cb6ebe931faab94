import { AwsError } from '../aws/errors.ts';
import { ACCOUNT_ID } from '../constants.ts';
import type { LogStore } from './store.ts';

export interface LogsContext {
  readonly store: LogStore;
  readonly region: string;
}

/** One CloudWatch Logs action: its input as the SDK sends it, its output as the SDK reads it. */
export type LogsAction = (input: Record<string, unknown>, ctx: LogsContext) => unknown;

export function groupArn(ctx: LogsContext, group: string): string {
  return `arn:aws:logs:${ctx.region}:${ACCOUNT_ID}:log-group:${group}`;
}

export function mustGroup(ctx: LogsContext, name: unknown) {
  const group = typeof name === 'string' ? ctx.store.group(name) : undefined;
  if (!group)
    throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
  return group;
}

/** A page of `items` by the request's nextToken and limit, with the next token if any. */
export function page<T>(items: T[], input: Record<string, unknown>, max: number) {
  const offset = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
  const limit = typeof input.limit === 'number' ? Math.min(input.limit, max) : max;
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? String(offset + limit) : undefined;
  return { slice, next };
}
