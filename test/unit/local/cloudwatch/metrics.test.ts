import { describe, expect, it } from 'vitest';
import { alarmDefinition, evaluateAlarm } from '../../../../local/cloudwatch/alarms.ts';
import { MetricStore, statistic } from '../../../../local/cloudwatch/metrics.ts';

// A minute boundary an hour ago: within the store's retention whenever the test runs.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

describe('MetricStore', () => {
  it('reads an EMF line under each dimension set it declares', () => {
    const store = new MetricStore();
    const line = JSON.stringify({
      _aws: {
        Timestamp: T0 + 5_000,
        CloudWatchMetrics: [
          {
            Namespace: 'shopstream',
            Dimensions: [['service'], ['service', 'kind']],
            Metrics: [{ Name: 'RowsLoaded', Unit: 'Count' }],
          },
        ],
      },
      service: 'ingest',
      kind: 'csv',
      RowsLoaded: [3, 4],
    });
    expect(store.putEmf(`2026-12-01T10:00:05Z\t${line}`, T0)).toBe(2);
    expect(store.putEmf('REPORT RequestId: x', 0)).toBe(0);
    expect(store.list({ Namespace: 'shopstream', Dimensions: [{ Name: 'kind' }] })).toEqual([
      {
        Namespace: 'shopstream',
        MetricName: 'RowsLoaded',
        Dimensions: [
          { Name: 'kind', Value: 'csv' },
          { Name: 'service', Value: 'ingest' },
        ],
      },
    ]);
    const id = {
      Namespace: 'shopstream',
      MetricName: 'RowsLoaded',
      Dimensions: [{ Name: 'service', Value: 'ingest' }],
    };
    expect(store.buckets(id, T0, T0 + 60_000, 60)).toEqual([{ start: T0, values: [3, 4] }]);
    expect(store.unit(id)).toBe('Count');
    expect(() => store.buckets(id, T0, T0 + 60_000, 30)).toThrow(/multiple of 60/);
  });

  it('computes the statistics CloudWatch names', () => {
    const values = [5, 1, 4, 2, 3];
    expect(
      ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'].map((s) => statistic(values, s)),
    ).toEqual([5, 15, 3, 1, 5]);
    expect(statistic(values, 'p50')).toBe(3);
    expect(statistic(values, 'p99')).toBe(5);
    expect(() => statistic(values, 'tm99')).toThrow(/not served/);
  });
});

describe('evaluateAlarm', () => {
  const alarm = (props: Record<string, unknown>) =>
    alarmDefinition('a', 'arn', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'dlq' }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 2,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      ...props,
    }) as NonNullable<ReturnType<typeof alarmDefinition>>;
  const id = {
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: 'dlq' }],
  };
  const now = T0 + 90_000;

  it('is INSUFFICIENT_DATA without data unless missing data is treated otherwise', () => {
    const store = new MetricStore();
    expect(evaluateAlarm(alarm({}), store, now).value).toBe('INSUFFICIENT_DATA');
    expect(evaluateAlarm(alarm({ TreatMissingData: 'notBreaching' }), store, now).value).toBe('OK');
    expect(evaluateAlarm(alarm({ TreatMissingData: 'breaching' }), store, now).value).toBe('ALARM');
  });

  it('goes to ALARM when enough periods breach, the current one included', () => {
    const store = new MetricStore();
    store.put(id, T0 + 10_000, [0]);
    expect(evaluateAlarm(alarm({}), store, now).value).toBe('OK');
    store.put(id, T0 + 70_000, [2]);
    expect(evaluateAlarm(alarm({ DatapointsToAlarm: 1 }), store, now).value).toBe('ALARM');
    expect(evaluateAlarm(alarm({}), store, now).value).toBe('OK');
    // Periods older than the evaluation window do not count.
    expect(evaluateAlarm(alarm({ DatapointsToAlarm: 1 }), store, now + 180_000).value).toBe(
      'INSUFFICIENT_DATA',
    );
  });
});
