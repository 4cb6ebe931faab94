import type { IncomingMessage, ServerResponse } from 'node:http';
import { cbor, dateToTag } from '@smithy/core/cbor';
import { AwsError } from '../aws/errors.ts';
import { readBody } from '../aws/json-protocol.ts';
import { queryInput } from '../aws/query-protocol.ts';
import type { Service } from '../registry.ts';
import { type AlarmDefinition, evaluateAlarm } from './alarms.ts';
import { type Dimension, type MetricId, type MetricStore, statistic } from './metrics.ts';

type Input = Record<string, unknown>;
type Action = (input: Input) => Promise<unknown> | unknown;

export interface CloudWatchSources {
  readonly metrics: MetricStore;
  /** The deployed stack's alarms. */
  alarms(): readonly AlarmDefinition[];
  /** Brings sampled metrics (the queues') up to date before a read. */
  refresh(): Promise<void>;
}

const TARGET_PREFIX = 'GraniteServiceVersion20100801';
const CBOR_PATH = `/service/${TARGET_PREFIX}/operation/`;

/**
 * CloudWatch metrics and alarms: ListMetrics, GetMetricStatistics, GetMetricData and
 * DescribeAlarms, over each protocol its clients speak: query (AWS CLI v2.9 and older SDKs),
 * JSON 1.0 (the JavaScript SDK v3) and Smithy RPC v2 CBOR (botocore since 2025, so AWS CLI v1).
 * Every other action answers in the same protocol, naming it.
 */
export function cloudWatchService(sources: CloudWatchSources): Service {
  const actions = cloudWatchActions(sources);
  const withDates = (fn: Action, encode: (d: Date) => unknown) => async (input: Input) =>
    mapDates(await fn(input), encode);
  return {
    name: 'CloudWatch',
    query: {
      signingName: 'monitoring',
      namespace: 'http://monitoring.amazonaws.com/doc/2010-08-01/',
      actions: Object.fromEntries(
        Object.entries(actions).map(([name, fn]) => [name, (params) => fn(queryInput(params))]),
      ),
    },
    json: {
      targetPrefix: TARGET_PREFIX,
      contentType: 'application/x-amz-json-1.0',
      actions: Object.fromEntries(
        Object.entries(actions).map(([name, fn]) => [
          name,
          withDates(fn, (d) => d.getTime() / 1000),
        ]),
      ),
    },
    rest: { pathPrefix: CBOR_PATH, handle: (req, res) => serveCbor(req, res, actions) },
  };
}

function cloudWatchActions(sources: CloudWatchSources): Record<string, Action> {
  const { metrics } = sources;
  return {
    ListMetrics: async (input) => {
      await sources.refresh();
      return {
        Metrics: metrics.list({
          Namespace: input.Namespace as string | undefined,
          MetricName: input.MetricName as string | undefined,
          Dimensions: input.Dimensions as { Name: string; Value?: string }[] | undefined,
        }),
      };
    },
    GetMetricStatistics: async (input) => {
      await sources.refresh();
      if (asList(input.ExtendedStatistics).length > 0) {
        throw new AwsError(
          'InvalidParameterValue',
          'ExtendedStatistics are not served by the embedded cloud: use GetMetricData with a pNN stat',
        );
      }
      const id = metricId(input);
      const stats = asList(input.Statistics).map(String);
      const buckets = metrics.buckets(
        id,
        toDate(input.StartTime, 'StartTime').getTime(),
        toDate(input.EndTime, 'EndTime').getTime(),
        Number(input.Period),
      );
      const unit = metrics.unit(id) ?? 'None';
      return {
        Label: id.MetricName,
        Datapoints: buckets.map((b) => ({
          Timestamp: new Date(b.start),
          ...Object.fromEntries(stats.map((s) => [s, statistic(b.values, s)])),
          Unit: unit,
        })),
      };
    },
    GetMetricData: async (input) => {
      await sources.refresh();
      const start = toDate(input.StartTime, 'StartTime').getTime();
      const end = toDate(input.EndTime, 'EndTime').getTime();
      const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
      const queries = asList(input.MetricDataQueries) as Input[];
      return {
        MetricDataResults: queries.map((q) => {
          if (q.Expression !== undefined) {
            throw new AwsError(
              'InvalidParameterValue',
              `Metric math (query ${String(q.Id)}) is not served by the embedded cloud`,
            );
          }
          const stat = (q.MetricStat ?? {}) as Input;
          const id = metricId((stat.Metric ?? {}) as Input);
          const points = metrics
            .buckets(id, start, end, Number(stat.Period))
            .map((b) => [b.start, statistic(b.values, String(stat.Stat))] as const);
          if (descending) points.reverse();
          return {
            Id: q.Id,
            Label: (q.Label as string | undefined) ?? id.MetricName,
            Timestamps: points.map(([t]) => new Date(t)),
            Values: points.map(([, v]) => v),
            StatusCode: 'Complete',
          };
        }),
        Messages: [],
      };
    },
    DescribeAlarms: async (input) => {
      await sources.refresh();
      const names = asList(input.AlarmNames).map(String);
      const prefix = input.AlarmNamePrefix as string | undefined;
      const wanted = input.StateValue as string | undefined;
      const types = asList(input.AlarmTypes).map(String);
      const alarms =
        types.length > 0 && !types.includes('MetricAlarm')
          ? []
          : sources
              .alarms()
              .filter(
                (a) =>
                  (names.length === 0 || names.includes(a.AlarmName)) &&
                  (!prefix || a.AlarmName.startsWith(prefix)),
              )
              .map((a) => describeAlarm(a, sources.metrics))
              .filter((a) => !wanted || a.StateValue === wanted);
      return { MetricAlarms: alarms, CompositeAlarms: [] };
    },
  };
}

/** A metric alarm as DescribeAlarms answers it, its state evaluated now. */
function describeAlarm(alarm: AlarmDefinition, metrics: MetricStore) {
  const state = evaluateAlarm(alarm, metrics);
  const now = new Date();
  return {
    AlarmName: alarm.AlarmName,
    AlarmArn: alarm.AlarmArn,
    AlarmDescription: alarm.AlarmDescription,
    ActionsEnabled: alarm.ActionsEnabled,
    OKActions: alarm.OKActions,
    AlarmActions: alarm.AlarmActions,
    InsufficientDataActions: alarm.InsufficientDataActions,
    StateValue: state.value,
    StateReason: state.reason,
    StateUpdatedTimestamp: now,
    StateTransitionedTimestamp: now,
    MetricName: alarm.MetricName,
    Namespace: alarm.Namespace,
    Statistic: alarm.Statistic,
    ExtendedStatistic: alarm.ExtendedStatistic,
    Dimensions: alarm.Dimensions,
    Period: alarm.Period,
    Unit: alarm.Unit,
    EvaluationPeriods: alarm.EvaluationPeriods,
    DatapointsToAlarm: alarm.DatapointsToAlarm,
    Threshold: alarm.Threshold,
    ComparisonOperator: alarm.ComparisonOperator,
    TreatMissingData: alarm.TreatMissingData,
    AlarmConfigurationUpdatedTimestamp: now,
  };
}

/**
 * Smithy RPC v2 CBOR: `POST /service/<service>/operation/<Operation>` with a CBOR body, the
 * answer in CBOR (timestamps as tag 1), errors as `{ __type, message }`.
 */
async function serveCbor(
  req: IncomingMessage,
  res: ServerResponse,
  actions: Readonly<Record<string, Action>>,
): Promise<void> {
  const operation = decodeURIComponent((req.url ?? '').slice(CBOR_PATH.length).split('?')[0] ?? '');
  let status = 200;
  let output: unknown;
  try {
    const action = actions[operation];
    if (!action) {
      throw new AwsError(
        'UnknownOperationException',
        `${operation} is not served by the embedded cloud`,
      );
    }
    const body = await readBody(req);
    const input = body.length === 0 ? {} : (cbor.deserialize(body) as Input);
    output = mapDates(await action(input ?? {}), dateToTag);
  } catch (error) {
    const e =
      error instanceof AwsError
        ? error
        : new AwsError('InternalFailure', (error as Error).message, 500);
    status = e.status;
    output = { __type: `com.amazonaws.cloudwatch#${e.code}`, message: e.message };
    res.setHeader('x-amzn-query-error', `${e.code};${e.status >= 500 ? 'Receiver' : 'Sender'}`);
  }
  const bytes = Buffer.from(cbor.serialize(output ?? {}));
  res.statusCode = status;
  res.setHeader('content-type', 'application/cbor');
  res.setHeader('smithy-protocol', 'rpc-v2-cbor');
  res.setHeader('x-amzn-requestid', crypto.randomUUID());
  res.setHeader('content-length', bytes.length);
  res.end(bytes);
}

function metricId(input: Input): MetricId {
  if (typeof input.Namespace !== 'string' || typeof input.MetricName !== 'string') {
    throw new AwsError('MissingParameter', 'Namespace and MetricName are required');
  }
  return {
    Namespace: input.Namespace,
    MetricName: input.MetricName,
    Dimensions: (asList(input.Dimensions) as Dimension[]).map((d) => ({
      Name: String(d.Name),
      Value: String(d.Value),
    })),
  };
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A timestamp as any protocol sends it: ISO text (query), epoch seconds (JSON), tag 1 (CBOR). */
function toDate(value: unknown, name: string): Date {
  const raw =
    value && typeof value === 'object' && 'tag' in value
      ? (value as unknown as { value: unknown }).value
      : value;
  const date =
    raw instanceof Date
      ? raw
      : typeof raw === 'number' || (typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw))
        ? new Date(Number(raw) * 1000)
        : new Date(String(raw));
  if (Number.isNaN(date.getTime()))
    throw new AwsError('InvalidParameterValue', `${name} is not a timestamp: ${String(value)}`);
  return date;
}

/** A result with its Dates encoded as the protocol sends timestamps. */
function mapDates(value: unknown, encode: (d: Date) => unknown): unknown {
  if (value instanceof Date) return encode(value);
  if (Array.isArray(value)) return value.map((v) => mapDates(v, encode));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, mapDates(v, encode)]),
    );
  }
  return value;
}
