import { bindActions, type Service } from '../registry.ts';
import { CreateLogGroup } from './actions/create-log-group.ts';
import { CreateLogStream } from './actions/create-log-stream.ts';
import { DescribeLogGroups } from './actions/describe-log-groups.ts';
import { DescribeLogStreams } from './actions/describe-log-streams.ts';
import { FilterLogEvents } from './actions/filter-log-events.ts';
import { GetLogEvents } from './actions/get-log-events.ts';
import { PutLogEvents } from './actions/put-log-events.ts';
import type { LogsAction, LogsContext } from './context.ts';

/** The actions served, one file each: adding one is a file and a line here. */
const ACTIONS: Record<string, LogsAction> = {
  CreateLogGroup,
  CreateLogStream,
  PutLogEvents,
  DescribeLogGroups,
  DescribeLogStreams,
  GetLogEvents,
  FilterLogEvents,
};

/** CloudWatch Logs (JSON protocol, X-Amz-Target: Logs_20140328.<Action>). */
export function logsService(ctx: LogsContext): Service {
  const actions = bindActions(ACTIONS, ctx);
  return { name: 'CloudWatch Logs', json: { targetPrefix: 'Logs_20140328', actions } };
}
