import type { Dimension, MetricStore } from './metrics.ts';
import { statistic } from './metrics.ts';

/** An alarm as the template defines it (AWS::CloudWatch::Alarm's resolved properties). */
export interface AlarmDefinition {
  readonly AlarmName: string;
  readonly AlarmArn: string;
  readonly AlarmDescription?: string;
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: readonly Dimension[];
  readonly Statistic?: string;
  readonly ExtendedStatistic?: string;
  readonly Period: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly TreatMissingData?: string;
  readonly ActionsEnabled: boolean;
  readonly AlarmActions: readonly string[];
  readonly OKActions: readonly string[];
  readonly InsufficientDataActions: readonly string[];
  readonly Unit?: string;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmState {
  readonly value: AlarmStateValue;
  readonly reason: string;
}

const COMPARE: Record<string, (value: number, threshold: number) => boolean> = {
  GreaterThanThreshold: (v, t) => v > t,
  GreaterThanOrEqualToThreshold: (v, t) => v >= t,
  LessThanThreshold: (v, t) => v < t,
  LessThanOrEqualToThreshold: (v, t) => v <= t,
};

/** The definition of an alarm from its template properties, or null for a metric-math alarm. */
export function alarmDefinition(
  name: string,
  arn: string,
  props: Record<string, unknown>,
): AlarmDefinition | null {
  if (typeof props.MetricName !== 'string' || typeof props.Namespace !== 'string') return null;
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  return {
    AlarmName: name,
    AlarmArn: arn,
    AlarmDescription: props.AlarmDescription as string | undefined,
    Namespace: props.Namespace,
    MetricName: props.MetricName,
    Dimensions: ((props.Dimensions ?? []) as Dimension[]).map((d) => ({
      Name: String(d.Name),
      Value: String(d.Value),
    })),
    Statistic: props.Statistic as string | undefined,
    ExtendedStatistic: props.ExtendedStatistic as string | undefined,
    Period: Number(props.Period ?? 60),
    EvaluationPeriods: Number(props.EvaluationPeriods ?? 1),
    DatapointsToAlarm:
      props.DatapointsToAlarm === undefined ? undefined : Number(props.DatapointsToAlarm),
    Threshold: Number(props.Threshold ?? 0),
    ComparisonOperator: String(props.ComparisonOperator),
    TreatMissingData: props.TreatMissingData as string | undefined,
    ActionsEnabled: props.ActionsEnabled !== false,
    AlarmActions: list(props.AlarmActions),
    OKActions: list(props.OKActions),
    InsufficientDataActions: list(props.InsufficientDataActions),
    Unit: props.Unit as string | undefined,
  };
}

/**
 * An alarm's state now, as CloudWatch evaluates it: the statistic over each of the last
 * EvaluationPeriods periods (the current one included, so that a local change shows at once),
 * ALARM when at least DatapointsToAlarm of them breach; missing periods treated as
 * TreatMissingData says (`missing` by default: no data at all is INSUFFICIENT_DATA).
 */
export function evaluateAlarm(
  alarm: AlarmDefinition,
  metrics: MetricStore,
  now = Date.now(),
): AlarmState {
  const period = alarm.Period * 1000;
  const end = Math.floor(now / period) * period + period;
  const start = end - alarm.EvaluationPeriods * period;
  const buckets = metrics.buckets(alarm, start, end, alarm.Period);
  const stat = alarm.ExtendedStatistic ?? alarm.Statistic ?? 'Average';
  const compare = COMPARE[alarm.ComparisonOperator] ?? COMPARE.GreaterThanThreshold;
  const values = buckets.map((b) => statistic(b.values, stat));
  const missing = alarm.EvaluationPeriods - values.length;
  const treat = alarm.TreatMissingData ?? 'missing';
  let breaching = values.filter((v) => compare?.(v, alarm.Threshold)).length;
  if (treat === 'breaching') breaching += missing;
  const needed = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods;
  const shown = values.length > 0 ? ` (latest ${values[values.length - 1]})` : '';
  const window = `${alarm.EvaluationPeriods} period(s) of ${alarm.Period} s`;
  if (breaching >= needed) {
    return {
      value: 'ALARM',
      reason: `Threshold Crossed: ${breaching} of the last ${window} breached ${alarm.ComparisonOperator} ${alarm.Threshold}${shown}`,
    };
  }
  if (values.length === 0 && (treat === 'missing' || treat === 'ignore')) {
    return {
      value: 'INSUFFICIENT_DATA',
      reason: `Insufficient Data: no datapoints in the last ${window}`,
    };
  }
  return {
    value: 'OK',
    reason: `Threshold Crossed: ${breaching} of the last ${window} breached ${alarm.ComparisonOperator} ${alarm.Threshold}${shown}`,
  };
}
