import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { eventLatency } from './analytics-queries.ts';
import type { Target } from './target.ts';

/**
 * The pipeline's health as `npm run status`, the status line of `npm start` and the dashboard
 * read it: the queues, the ledger's counts, throughput, latency, rejected rows and export lag.
 */
export interface QueueFigures {
  readonly visible: number;
  readonly inFlight: number;
  readonly oldestAgeSeconds: number | null;
}

/** A queue's depth and, unless `withAge` is false, its oldest message's age (CloudWatch on AWS). */
export async function queueFigures(
  target: Target,
  sqs: SQSClient,
  url: string,
  withAge = true,
): Promise<QueueFigures> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const name = url.split('/').at(-1) as string;
  let oldestAgeSeconds: number | null = null;
  if (withAge && target.name === 'local' && target.endpoint) {
    const res = await fetch(
      `${target.endpoint}/_shopstream/queues/${encodeURIComponent(name)}/oldest-age`,
    );
    oldestAgeSeconds = ((await res.json()) as { ageSeconds: number | null }).ageSeconds;
  } else if (withAge) {
    // AWS reports the age as a CloudWatch metric of the queue.
    const cw = new CloudWatchClient(target.clientConfig);
    try {
      const data = await cw.send(
        new GetMetricDataCommand({
          StartTime: new Date(Date.now() - 10 * 60_000),
          EndTime: new Date(),
          MetricDataQueries: [
            {
              Id: 'age',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/SQS',
                  MetricName: 'ApproximateAgeOfOldestMessage',
                  Dimensions: [{ Name: 'QueueName', Value: name }],
                },
                Period: 60,
                Stat: 'Maximum',
              },
            },
          ],
        }),
      );
      oldestAgeSeconds = data.MetricDataResults?.[0]?.Values?.[0] ?? null;
    } catch {
      oldestAgeSeconds = null;
    } finally {
      cw.destroy();
    }
  }
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    oldestAgeSeconds,
  };
}

export interface PipelineFigureOptions {
  /** How far back the rejected rows' reasons are counted. @default 24 */
  readonly rejectedWithinHours?: number;
}

export async function pipelineFigures(db: pg.Pool, options: PipelineFigureOptions = {}) {
  const [files, rate, latency, reasons, events, exports] = await Promise.all([
    db.query(
      `SELECT id::int, key, status, rows_total, rows_loaded, rows_rejected, rows_duplicate, error, completed_at,
              exported_at, export_objects, export_batches
         FROM ingested_files ORDER BY id DESC LIMIT 10`,
    ),
    db.query(
      `SELECT coalesce(sum(rows_loaded), 0)::int AS rows, count(*)::int AS files
         FROM ingested_files WHERE completed_at > now() - interval '1 minute'`,
    ),
    db.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - object_created_at)) AS file_p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - object_created_at)) AS file_p99
         FROM ingested_files
        WHERE completed_at > now() - interval '15 minutes' AND object_created_at IS NOT NULL`,
    ),
    db.query(
      `SELECT reason, count(*)::int AS rows
         FROM rejected_rows, unnest(reasons) AS reason
        WHERE rejected_at > now() - make_interval(hours => $1)
        GROUP BY reason ORDER BY rows DESC, reason LIMIT 5`,
      [options.rejectedWithinHours ?? 24],
    ),
    // From the latency histogram the analytics keep, not a scan of events.
    eventLatency(db, 15),
    db.query(`SELECT files_pending::int, rows_pending::int, lag_seconds FROM export_lag`),
  ]);
  const e = exports.rows[0] ?? {};
  const l = latency.rows[0] ?? {};
  const seconds = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    lastFiles: files.rows,
    lastMinute: {
      rowsPerSecond: Math.round((rate.rows[0]?.rows ?? 0) / 60),
      files: rate.rows[0]?.files ?? 0,
    },
    latency: {
      fileP50Seconds: seconds(l.file_p50),
      fileP99Seconds: seconds(l.file_p99),
      eventP50Seconds: events.p50Seconds,
      eventP99Seconds: events.p99Seconds,
    },
    topRejectReasons: reasons.rows as { reason: string; rows: number }[],
    /** Committed files not yet in the lake and the stream (the export_lag view). */
    exportLag: {
      filesPending: Number(e.files_pending ?? 0),
      rowsPending: Number(e.rows_pending ?? 0),
      seconds: Number(e.lag_seconds ?? 0),
    },
  };
}

/** Every file the ledger has seen, and its rows: what the status line of `npm start` shows. */
export async function ledgerTotals(db: pg.Pool) {
  const { rows } = await db.query(
    `SELECT count(*)::bigint AS files, coalesce(sum(rows_loaded), 0)::bigint AS loaded,
            coalesce(sum(rows_rejected), 0)::bigint AS rejected,
            coalesce(sum(rows_duplicate), 0)::bigint AS duplicate
       FROM ingested_files`,
  );
  const r = rows[0] ?? {};
  return {
    files: Number(r.files ?? 0),
    rowsLoaded: Number(r.loaded ?? 0),
    rowsRejected: Number(r.rejected ?? 0),
    rowsDuplicate: Number(r.duplicate ?? 0),
  };
}

/** Files committed and rows loaded in each of the last `minutes` minutes, by commit time. */
export async function ingestPerMinute(db: pg.Pool, minutes: number) {
  const { rows } = await db.query(
    `SELECT date_trunc('minute', completed_at) AS minute, count(*)::int AS files,
            coalesce(sum(rows_loaded), 0)::bigint AS rows
       FROM ingested_files
      WHERE completed_at > date_trunc('minute', now()) - make_interval(mins => $1)
      GROUP BY 1 ORDER BY 1`,
    [minutes],
  );
  return rows.map((r) => ({
    minute: (r.minute as Date).toISOString(),
    files: Number(r.files),
    rows: Number(r.rows),
  }));
}
