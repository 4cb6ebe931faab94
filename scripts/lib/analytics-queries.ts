import type pg from 'pg';

/**
 * The questions `npm run analytics` answers, over the relations of sql/0005_analytics.sql;
 * `npm run status` and the dashboard read the same. Windows are anchored at the latest
 * committed event time, so replayed or paused data still shows its last minutes.
 */
export interface Analytics {
  readonly anchor: string | null;
  readonly minutes: number;
  readonly watermark: {
    maxEventTime: string | null;
    allowedLatenessSeconds: number;
    watermark: string | null;
  };
  readonly activity: {
    minute: string;
    views: number;
    carts: number;
    removals: number;
    purchases: number;
    revenue: number;
    lateEvents: number;
  }[];
  readonly activeUsers: { windowStart: string; users: number }[];
  readonly topProducts: { productId: string; views: number }[];
  readonly funnel: {
    hour: string;
    sessions: number;
    withView: number;
    withCart: number;
    withPurchase: number;
    viewToCart: number | null;
    cartToPurchase: number | null;
  }[];
  readonly revenueByCategory: {
    category: string;
    purchases: number;
    units: number;
    revenue: number;
  }[];
  readonly sessions: {
    count: number;
    inferred: number;
    medianSeconds: number | null;
    p90Seconds: number | null;
  };
  readonly late: { events: number; windowsCorrected: number; revisions: number };
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const maybe = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : v === null ? null : String(v));

export async function readAnalytics(db: pg.Pool, minutes: number): Promise<Analytics> {
  const mark = await db.query(
    `SELECT max_event_time, extract(epoch FROM allowed_lateness)::int AS lateness, watermark
       FROM pipeline_watermark`,
  );
  const m = mark.rows[0] ?? {};
  const anchor = (m.max_event_time as Date | null) ?? null;
  const from = anchor ? new Date(anchor.getTime() - minutes * 60_000) : new Date(0);
  const [activity, users, products, revenue, funnel, sessions] = await Promise.all([
    db.query(
      `SELECT window_start,
              coalesce(sum(events) FILTER (WHERE event_type = 'view'), 0) AS views,
              coalesce(sum(events) FILTER (WHERE event_type = 'add_to_cart'), 0) AS carts,
              coalesce(sum(events) FILTER (WHERE event_type = 'remove_from_cart'), 0) AS removals,
              coalesce(sum(events) FILTER (WHERE event_type = 'purchase'), 0) AS purchases,
              sum(revenue) AS revenue, sum(late_events) AS late, sum(revisions) AS revisions,
              count(*) FILTER (WHERE late_events > 0) AS corrected
         FROM activity_per_minute WHERE window_start >= $1
        GROUP BY window_start ORDER BY window_start`,
      [from],
    ),
    db.query(
      `SELECT window_start, users FROM active_users_between(
         date_trunc('minute', $1::timestamptz), date_trunc('minute', $2::timestamptz))
        ORDER BY window_start`,
      [from, anchor ?? new Date(0)],
    ),
    db.query(
      `SELECT product_id, sum(views) AS views FROM page_views_per_minute
        WHERE window_start >= $1 GROUP BY product_id ORDER BY views DESC, product_id LIMIT 5`,
      [from],
    ),
    db.query(
      `SELECT coalesce(category, '(none)') AS category, sum(events) AS purchases,
              sum(units) AS units, sum(revenue) AS revenue
         FROM activity_per_minute WHERE event_type = 'purchase' AND window_start >= $1
        GROUP BY 1 ORDER BY revenue DESC, category`,
      [from],
    ),
    // The funnel of the last hours and the sessions of the minutes shown, each read through
    // the sessions with a delta since then (sql/0005_analytics.sql).
    db.query(
      `SELECT * FROM funnel_since(date_trunc('hour', $1::timestamptz) - interval '2 hours')
        ORDER BY hour`,
      [from],
    ),
    db.query(
      `SELECT count(*) AS n, count(*) FILTER (WHERE inferred) AS inferred,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_seconds) AS median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY duration_seconds) AS p90
         FROM sessions_since($1)`,
      [from],
    ),
  ]);
  const s = sessions.rows[0] ?? {};
  return {
    anchor: iso(anchor),
    minutes,
    watermark: {
      maxEventTime: iso(m.max_event_time ?? null),
      allowedLatenessSeconds: num(m.lateness),
      watermark: iso(m.watermark ?? null),
    },
    activity: activity.rows.map((r) => ({
      minute: iso(r.window_start) as string,
      views: num(r.views),
      carts: num(r.carts),
      removals: num(r.removals),
      purchases: num(r.purchases),
      revenue: num(r.revenue),
      lateEvents: num(r.late),
    })),
    activeUsers: users.rows.map((r) => ({
      windowStart: iso(r.window_start) as string,
      users: num(r.users),
    })),
    topProducts: products.rows.map((r) => ({ productId: r.product_id, views: num(r.views) })),
    funnel: funnel.rows.map((r) => ({
      hour: iso(r.hour) as string,
      sessions: num(r.sessions),
      withView: num(r.with_view),
      withCart: num(r.with_cart),
      withPurchase: num(r.with_purchase),
      viewToCart: maybe(r.view_to_cart),
      cartToPurchase: maybe(r.cart_to_purchase),
    })),
    revenueByCategory: revenue.rows.map((r) => ({
      category: r.category,
      purchases: num(r.purchases),
      units: num(r.units),
      revenue: num(r.revenue),
    })),
    sessions: {
      count: num(s.n),
      inferred: num(s.inferred),
      medianSeconds: maybe(s.median),
      p90Seconds: maybe(s.p90),
    },
    late: {
      events: activity.rows.reduce((n, r) => n + num(r.late), 0),
      windowsCorrected: activity.rows.reduce((n, r) => n + num(r.corrected), 0),
      revisions: activity.rows.reduce((n, r) => n + num(r.revisions), 0),
    },
  };
}

/** Event-to-commit latency percentiles over recent ingestion, from the latency histogram. */
export async function eventLatency(
  db: pg.Pool,
  minutes: number,
): Promise<{ p50Seconds: number | null; p99Seconds: number | null }> {
  const { rows } = await db.query(
    `WITH b AS (SELECT bucket, sum(events) AS n FROM latency_deltas
                 WHERE minute > now() - make_interval(mins => $1) GROUP BY bucket),
          r AS (SELECT bucket, sum(n) OVER (ORDER BY bucket) AS upto, sum(n) OVER () AS total FROM b)
     SELECT min(latency_of_bucket(bucket)) FILTER (WHERE upto >= 0.5 * total) AS p50,
            min(latency_of_bucket(bucket)) FILTER (WHERE upto >= 0.99 * total) AS p99
       FROM r`,
    [minutes],
  );
  return { p50Seconds: maybe(rows[0]?.p50), p99Seconds: maybe(rows[0]?.p99) };
}
