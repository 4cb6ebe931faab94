import { AwsError } from '../aws/errors.ts';

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

/** A metric as CloudWatch names it: namespace, name and its whole set of dimensions. */
export interface MetricId {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions: readonly Dimension[];
}

interface Point {
  readonly t: number;
  readonly v: number;
}

interface Series {
  readonly id: MetricId;
  unit?: string;
  readonly points: Point[];
}

/** One period's statistics. */
export interface Bucket {
  readonly start: number;
  readonly values: readonly number[];
}

/** How long points are kept, as CloudWatch keeps 1-minute data (15 days). */
const RETENTION_MS = 15 * 24 * 3600_000;

/**
 * CloudWatch's metric data for the embedded cloud: points in memory by metric, fed by the
 * functions' embedded metric format (EMF) log lines, by Lambda's own invocation figures and by
 * samples of the queues. Queries aggregate by period at read time.
 */
export class MetricStore {
  private readonly series = new Map<string, Series>();

  put(id: MetricId, timestamp: number, values: readonly number[], unit?: string): void {
    const dimensions = [...id.Dimensions].sort((a, b) => a.Name.localeCompare(b.Name));
    const key = seriesKey({ ...id, Dimensions: dimensions });
    let series = this.series.get(key);
    if (!series) {
      series = { id: { ...id, Dimensions: dimensions }, points: [] };
      this.series.set(key, series);
    }
    if (unit && unit !== 'None') series.unit = unit;
    const points = series.points;
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      // Nearly always appended in time order; an older point is put in its place.
      let i = points.length;
      while (i > 0 && (points[i - 1] as Point).t > timestamp) i--;
      points.splice(i, 0, { t: timestamp, v });
    }
    const cutoff = Date.now() - RETENTION_MS;
    while (points.length > 0 && (points[0] as Point).t < cutoff) points.shift();
  }

  /**
   * The metrics of one EMF log line (the JSON object with `_aws.CloudWatchMetrics` that
   * Powertools Metrics prints), each under every dimension set it declares. Other lines: none.
   */
  putEmf(message: string, fallbackTimestamp: number): number {
    if (!message.includes('"_aws"')) return 0;
    const start = message.indexOf('{');
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(message.slice(start)) as Record<string, unknown>;
    } catch {
      return 0;
    }
    const aws = doc._aws as
      | {
          Timestamp?: number;
          CloudWatchMetrics?: {
            Namespace: string;
            Dimensions?: string[][];
            Metrics?: { Name: string; Unit?: string }[];
          }[];
        }
      | undefined;
    let count = 0;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const names of directive.Dimensions?.length ? directive.Dimensions : [[]]) {
        const dimensions = names.map((name) => ({ Name: name, Value: String(doc[name]) }));
        for (const metric of directive.Metrics ?? []) {
          const raw = doc[metric.Name];
          const values = (Array.isArray(raw) ? raw : [raw]).map(Number);
          this.put(
            { Namespace: directive.Namespace, MetricName: metric.Name, Dimensions: dimensions },
            aws?.Timestamp ?? fallbackTimestamp,
            values,
            metric.Unit,
          );
          count++;
        }
      }
    }
    return count;
  }

  /** ListMetrics: metrics with data, filtered as CloudWatch filters them. */
  list(filter: {
    readonly Namespace?: string;
    readonly MetricName?: string;
    readonly Dimensions?: readonly { readonly Name: string; readonly Value?: string }[];
  }): MetricId[] {
    return [...this.series.values()]
      .map((s) => s.id)
      .filter(
        (id) =>
          (!filter.Namespace || id.Namespace === filter.Namespace) &&
          (!filter.MetricName || id.MetricName === filter.MetricName) &&
          (filter.Dimensions ?? []).every((f) =>
            id.Dimensions.some(
              (d) => d.Name === f.Name && (f.Value == null || d.Value === f.Value),
            ),
          ),
      )
      .sort((a, b) => seriesKey(a).localeCompare(seriesKey(b)));
  }

  unit(id: MetricId): string | undefined {
    return this.series.get(seriesKey(sorted(id)))?.unit;
  }

  /** The metric's points in [start, end), grouped by period (seconds), oldest first. */
  buckets(id: MetricId, start: number, end: number, periodSeconds: number): Bucket[] {
    if (!(periodSeconds > 0) || periodSeconds % 60 !== 0) {
      throw new AwsError(
        'InvalidParameterValue',
        `The parameter Period must be a multiple of 60 (got ${periodSeconds})`,
      );
    }
    const period = periodSeconds * 1000;
    const byStart = new Map<number, number[]>();
    for (const p of this.series.get(seriesKey(sorted(id)))?.points ?? []) {
      if (p.t < start || p.t >= end) continue;
      const bucket = Math.floor(p.t / period) * period;
      const list = byStart.get(bucket);
      if (list) list.push(p.v);
      else byStart.set(bucket, [p.v]);
    }
    return [...byStart.entries()]
      .sort(([a], [b]) => a - b)
      .map(([bucketStart, values]) => ({ start: bucketStart, values }));
  }
}

/**
 * One statistic of a period's values, as CloudWatch names them: SampleCount, Sum, Average,
 * Minimum, Maximum, or a percentile `p0`..`p100`.
 */
export function statistic(values: readonly number[], stat: string): number {
  switch (stat) {
    case 'SampleCount':
      return values.length;
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
  }
  const percentile = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  if (percentile) {
    const sortedValues = [...values].sort((a, b) => a - b);
    const rank = Math.ceil((Number(percentile[1]) / 100) * sortedValues.length);
    return sortedValues[Math.max(0, rank - 1)] as number;
  }
  throw new AwsError(
    'InvalidParameterValue',
    `The statistic ${stat} is not served by the embedded cloud (SampleCount, Sum, Average, Minimum, Maximum, pNN)`,
  );
}

function sorted(id: MetricId): MetricId {
  return { ...id, Dimensions: [...id.Dimensions].sort((a, b) => a.Name.localeCompare(b.Name)) };
}

function seriesKey(id: MetricId): string {
  return JSON.stringify([id.Namespace, id.MetricName, id.Dimensions.map((d) => [d.Name, d.Value])]);
}
