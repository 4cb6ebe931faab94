import { afterEach, describe, expect, it } from 'vitest';
import { AlarmNotifier } from '../../../../local/cloudwatch/alarm-actions.ts';
import { type AlarmDefinition, alarmDefinition } from '../../../../local/cloudwatch/alarms.ts';
import { MetricStore } from '../../../../local/cloudwatch/metrics.ts';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:alarms';
const METRIC = {
  Namespace: 'AWS/SQS',
  MetricName: 'ApproximateNumberOfMessagesVisible',
  Dimensions: [{ Name: 'QueueName', Value: 'dlq' }],
};

function deadLetterAlarm(actionsEnabled = true): AlarmDefinition {
  return alarmDefinition(
    'DeadLetters',
    'arn:aws:cloudwatch:us-east-1:000000000000:alarm:DeadLetters',
    {
      ...METRIC,
      AlarmDescription: 'Messages in the dead-letter queue.',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      ActionsEnabled: actionsEnabled,
      AlarmActions: [TOPIC],
      OKActions: [TOPIC],
    },
  ) as AlarmDefinition;
}

describe('AlarmNotifier', () => {
  const notifiers: AlarmNotifier[] = [];
  afterEach(() => {
    for (const n of notifiers.splice(0)) n.stop();
  });

  // Half a minute into a minute an hour ago; `clock.now` moves on as a test says.
  const clock = { now: Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000 + 30_000 };
  const rig = (alarm: AlarmDefinition) => {
    const metrics = new MetricStore();
    const published: { topic: string; subject: string; message: Record<string, unknown> }[] = [];
    const notifier = new AlarmNotifier({
      alarms: () => [alarm],
      metrics,
      refresh: async () => {},
      publish: async (topic, subject, message) => {
        published.push({ topic, subject, message: JSON.parse(message) });
      },
      region: 'us-east-1',
      accountId: '000000000000',
      intervalMs: 3_600_000,
      now: () => clock.now,
    });
    notifiers.push(notifier);
    // A sample in the clock's minute: the period the alarm evaluates.
    const sample = (value: number) => metrics.put(METRIC, clock.now, [value], 'Count');
    return { notifier, published, sample };
  };

  it('notifies a change of state, not the state it starts from or one that stays', async () => {
    const { notifier, published, sample } = rig(deadLetterAlarm());
    sample(2);
    await notifier.check();
    expect(published).toEqual([]);
    await notifier.check();
    expect(published).toEqual([]);
  });

  it('publishes CloudWatch notification to the alarm actions on ALARM, and to the OK actions on OK', async () => {
    const { notifier, published, sample } = rig(deadLetterAlarm());
    sample(0);
    await notifier.check();
    clock.now += 1_000;
    sample(1);
    await notifier.check();
    expect(published).toHaveLength(1);
    expect(published[0]?.topic).toBe(TOPIC);
    expect(published[0]?.subject).toBe('ALARM: "DeadLetters" in US East (N. Virginia)');
    expect(published[0]?.message).toMatchObject({
      AlarmName: 'DeadLetters',
      AlarmDescription: 'Messages in the dead-letter queue.',
      NewStateValue: 'ALARM',
      OldStateValue: 'OK',
      Region: 'US East (N. Virginia)',
      Trigger: {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'MAXIMUM',
        Dimensions: [{ name: 'QueueName', value: 'dlq' }],
        Threshold: 0,
      },
    });
    expect(String(published[0]?.message.StateChangeTime)).toMatch(/^\d{4}-.*\+0000$/);
    // The next minute the queue is empty again.
    clock.now += 60_000;
    sample(0);
    await notifier.check();
    expect(published.map((p) => p.message.NewStateValue)).toEqual(['ALARM', 'OK']);
    expect(published[1]?.subject).toBe('OK: "DeadLetters" in US East (N. Virginia)');
  });

  it('runs no action of an alarm whose actions are disabled', async () => {
    const { notifier, published, sample } = rig(deadLetterAlarm(false));
    await notifier.check();
    sample(3);
    await notifier.check();
    expect(published).toEqual([]);
  });
});
