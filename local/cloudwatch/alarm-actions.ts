import { type AlarmDefinition, type AlarmStateValue, evaluateAlarm } from './alarms.ts';
import type { MetricStore } from './metrics.ts';

export interface AlarmNotifierOptions {
  /** The stack's alarms as they are now. */
  readonly alarms: () => readonly AlarmDefinition[];
  readonly metrics: MetricStore;
  /** Brings the sampled metrics (queue depths) up to date before an evaluation. */
  readonly refresh: () => Promise<void>;
  /** Publishes to an SNS topic by ARN. */
  readonly publish: (topicArn: string, subject: string, message: string) => Promise<void>;
  readonly region: string;
  readonly accountId: string;
  /** How often the alarms are evaluated. @default 10 s (CloudWatch: every minute) */
  readonly intervalMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The region's name as CloudWatch writes it in a notification. */
const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-central-1': 'EU (Frankfurt)',
};

/**
 * The alarms' actions, as CloudWatch runs them: each alarm is evaluated every few seconds, and a
 * change of state publishes CloudWatch's notification to the SNS topics of its AlarmActions or
 * OKActions. The states found at the first evaluation (the embedded cloud runs one as soon as the
 * stack is deployed, before any function runs) are the starting point: a restart does not notify
 * again what was notified before it.
 */
export class AlarmNotifier {
  private readonly options: AlarmNotifierOptions;
  private readonly states = new Map<string, AlarmStateValue>();
  private readonly timer: NodeJS.Timeout;
  private checking: Promise<void> | undefined;

  constructor(options: AlarmNotifierOptions) {
    this.options = options;
    this.timer = setInterval(() => void this.check().catch(() => {}), options.intervalMs ?? 10_000);
    this.timer.unref();
  }

  /** Evaluates every alarm now (joining an evaluation under way) and notifies the changes. */
  check(): Promise<void> {
    this.checking ??= (async () => {
      try {
        await this.options.refresh();
        const now = (this.options.now ?? Date.now)();
        for (const alarm of this.options.alarms()) {
          const state = evaluateAlarm(alarm, this.options.metrics, now);
          const previous = this.states.get(alarm.AlarmArn);
          this.states.set(alarm.AlarmArn, state.value);
          if (previous === undefined || previous === state.value || !alarm.ActionsEnabled) continue;
          const topics =
            state.value === 'ALARM'
              ? alarm.AlarmActions
              : state.value === 'OK'
                ? alarm.OKActions
                : alarm.InsufficientDataActions;
          const region = REGION_NAMES[this.options.region] ?? this.options.region;
          const message = JSON.stringify({
            AlarmName: alarm.AlarmName,
            AlarmDescription: alarm.AlarmDescription ?? null,
            AWSAccountId: this.options.accountId,
            NewStateValue: state.value,
            NewStateReason: state.reason,
            StateChangeTime: new Date(now).toISOString().replace('Z', '+0000'),
            Region: region,
            AlarmArn: alarm.AlarmArn,
            OldStateValue: previous,
            OKActions: alarm.OKActions,
            AlarmActions: alarm.AlarmActions,
            InsufficientDataActions: alarm.InsufficientDataActions,
            Trigger: {
              MetricName: alarm.MetricName,
              Namespace: alarm.Namespace,
              StatisticType: alarm.ExtendedStatistic ? 'ExtendedStatistic' : 'Statistic',
              Statistic: (alarm.Statistic ?? alarm.ExtendedStatistic ?? '').toUpperCase(),
              Unit: alarm.Unit ?? null,
              Dimensions: alarm.Dimensions.map((d) => ({ value: d.Value, name: d.Name })),
              Period: alarm.Period,
              EvaluationPeriods: alarm.EvaluationPeriods,
              ComparisonOperator: alarm.ComparisonOperator,
              Threshold: alarm.Threshold,
              TreatMissingData: alarm.TreatMissingData ?? '',
              EvaluateLowSampleCountPercentile: '',
            },
          });
          const subject = `${state.value}: "${alarm.AlarmName}" in ${region}`.slice(0, 100);
          for (const topic of topics.filter((arn) => arn.startsWith('arn:aws:sns:'))) {
            // A topic that is gone fails its own notification, not the others'.
            await this.options.publish(topic, subject, message).catch(() => {});
          }
        }
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
