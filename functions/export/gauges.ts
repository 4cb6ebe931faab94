import type pg from 'pg';

/**
 * The pipeline's figures the sweep publishes to CloudWatch each minute, for the dashboard and
 * alarms on AWS: the analytics of the latest complete minute of event time (active users over
 * the five minutes that end with it), late data, the watermark's delay and the export lag.
 * Analytics figures are null before the first event.
 */
export interface PipelineGauges {
  readonly activeUsers: number | null;
  readonly eventsPerMinute: number | null;
  readonly purchasesPerMinute: number | null;
  readonly revenuePerMinute: number | null;
  /** Late events in the 15 minutes of event time up to the latest event (as the dashboard). */
  readonly lateEvents: number | null;
  /** Seconds from the watermark to now. */
  readonly watermarkDelaySeconds: number | null;
  readonly filesAwaitingExport: number;
  readonly exportLagSeconds: number;
}

export interface GaugeSource {
  read(): Promise<PipelineGauges>;
}

/** What `Metrics` of Powertools offers that the export uses. */
export interface MetricSink {
  addMetric(name: string, unit: 'Count' | 'Seconds' | 'Milliseconds' | 'None', value: number): void;
  publishStoredMetrics(): void;
}

const maybe = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** One query over the views `npm run status` and `npm run analytics` read (sql/0009). */
export class PgGauges implements GaugeSource {
  private readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async read(): Promise<PipelineGauges> {
    const { rows } = await this.pool.query(
      `SELECT (SELECT users FROM active_users_between(l.minute - interval '4 minutes',
                                                      l.minute - interval '4 minutes'))
                AS active_users,
              a.events, a.purchases, a.revenue,
              (SELECT coalesce(sum(late_events), 0) FROM activity_per_minute
                WHERE window_start >= w.max_event_time - interval '15 minutes') AS late_events,
              extract(epoch FROM now() - w.watermark) AS watermark_delay,
              x.files_pending, x.lag_seconds
         FROM export_lag x
         LEFT JOIN pipeline_watermark w ON w.max_event_time IS NOT NULL
         LEFT JOIN LATERAL (SELECT date_trunc('minute', w.max_event_time) - interval '1 minute'
                              AS minute) l ON true
         LEFT JOIN LATERAL (
           SELECT coalesce(sum(events), 0) AS events,
                  coalesce(sum(events) FILTER (WHERE event_type = 'purchase'), 0) AS purchases,
                  coalesce(sum(revenue), 0) AS revenue
             FROM activity_per_minute WHERE window_start = l.minute) a ON l.minute IS NOT NULL`,
    );
    const r = rows[0] ?? {};
    const none = r.events === null || r.events === undefined;
    return {
      activeUsers: none ? null : Number(r.active_users ?? 0),
      eventsPerMinute: maybe(r.events),
      purchasesPerMinute: maybe(r.purchases),
      revenuePerMinute: maybe(r.revenue),
      lateEvents: none ? null : Number(r.late_events ?? 0),
      watermarkDelaySeconds: maybe(r.watermark_delay),
      filesAwaitingExport: Number(r.files_pending ?? 0),
      exportLagSeconds: Number(r.lag_seconds ?? 0),
    };
  }
}

/** The gauges as metrics (namespace shopstream, service export): what is null is left out. */
export function recordGauges(metrics: MetricSink, g: PipelineGauges): void {
  const add = (name: string, unit: Parameters<MetricSink['addMetric']>[1], v: number | null) => {
    if (v !== null && Number.isFinite(v)) metrics.addMetric(name, unit, v);
  };
  add('ActiveUsers', 'Count', g.activeUsers);
  add('EventsPerMinute', 'Count', g.eventsPerMinute);
  add('PurchasesPerMinute', 'Count', g.purchasesPerMinute);
  add('RevenuePerMinute', 'None', g.revenuePerMinute);
  add('LateEvents', 'Count', g.lateEvents);
  add('WatermarkDelay', 'Seconds', g.watermarkDelaySeconds);
  add('FilesAwaitingExport', 'Count', g.filesAwaitingExport);
  add('ExportLag', 'Seconds', g.exportLagSeconds);
}
