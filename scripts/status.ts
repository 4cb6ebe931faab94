/**
 * npm run status [-- --target local|localstack|aws] [--json]
 * One screen: queues, the last files with their ledger counts, throughput, latency, and why rows
 * were rejected.
 */

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { eventLatency } from './lib/analytics-queries.ts';
import { parseCommand, TARGET_OPTIONS } from './lib/cli.ts';
import { connectDatabase } from './lib/database.ts';
import { output, resolveTarget, runCommand, type Target } from './lib/target.ts';

interface QueueFigures {
  readonly visible: number;
  readonly inFlight: number;
  readonly oldestAgeSeconds: number | null;
}

async function queueFigures(target: Target, sqs: SQSClient, url: string): Promise<QueueFigures> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const name = url.split('/').at(-1) as string;
  let oldestAgeSeconds: number | null = null;
  if (target.name === 'local' && target.endpoint) {
    const res = await fetch(
      `${target.endpoint}/_shopstream/queues/${encodeURIComponent(name)}/oldest-age`,
    );
    oldestAgeSeconds = ((await res.json()) as { ageSeconds: number | null }).ageSeconds;
  } else {
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

export async function pipelineFigures(db: pg.Pool) {
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
        WHERE rejected_at > now() - interval '24 hours'
        GROUP BY reason ORDER BY rows DESC, reason LIMIT 5`,
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

const secs = (v: number | null) =>
  v === null ? '-' : v < 10 ? `${v.toFixed(2)} s` : `${Math.round(v)} s`;

async function main() {
  const { values } = parseCommand({
    usage: 'npm run status --',
    summary:
      'One screen: queues, the last files with their ledger counts, throughput, latency, and why\nrows were rejected.',
    options: {
      ...TARGET_OPTIONS,
      json: {
        type: 'boolean',
        description: "one JSON object on stdout (npm run -s keeps npm's banner out of it)",
      },
    },
  });
  const target = await resolveTarget(values);
  const sqs = new SQSClient(target.clientConfig);
  const db = await connectDatabase(target);
  try {
    const [queue, deadLetters, figures] = await Promise.all([
      queueFigures(target, sqs, output(target, 'IngestQueueUrl')),
      queueFigures(target, sqs, output(target, 'DeadLetterQueueUrl')),
      pipelineFigures(db),
    ]);
    if (values.json) {
      console.log(JSON.stringify({ target: target.name, queue, deadLetters, ...figures }, null, 2));
      return;
    }
    const age = (q: QueueFigures) =>
      q.oldestAgeSeconds === null ? 'empty' : `oldest ${q.oldestAgeSeconds} s`;
    console.log(`shopstream on ${target.name}${target.endpoint ? ` (${target.endpoint})` : ''}\n`);
    console.log(
      `ingest queue       ${queue.visible} waiting, ${queue.inFlight} in flight, ${age(queue)}`,
    );
    console.log(
      `dead-letter queue  ${deadLetters.visible + deadLetters.inFlight} message(s)${deadLetters.visible + deadLetters.inFlight > 0 ? ' -> inspect, then npm run redrive' : ''}`,
    );
    console.log(
      `last minute        ${figures.lastMinute.files} file(s), ${figures.lastMinute.rowsPerSecond} rows/s`,
    );
    const l = figures.latency;
    console.log(
      `latency (15 min)   file p50 ${secs(l.fileP50Seconds)}, p99 ${secs(l.fileP99Seconds)}; event to row p50 ${secs(l.eventP50Seconds)}, p99 ${secs(l.eventP99Seconds)}`,
    );
    const x = figures.exportLag;
    console.log(
      `lake and stream    ${x.filesPending === 0 ? 'every committed file exported' : `${x.filesPending} file(s), ${x.rowsPending} rows to export, oldest committed ${secs(x.seconds)} ago`}`,
    );
    console.log('\nlast files');
    console.log('  id      status    total   loaded  rejected  dup  exported  key');
    for (const f of figures.lastFiles) {
      const exported = f.exported_at
        ? `${f.export_objects}+${f.export_batches}`
        : f.rows_loaded > 0 && f.completed_at
          ? 'pending'
          : '-';
      console.log(
        `  ${String(f.id).padEnd(7)} ${String(f.status).padEnd(9)} ${String(f.rows_total).padStart(5)} ${String(f.rows_loaded).padStart(8)} ${String(f.rows_rejected).padStart(9)} ${String(f.rows_duplicate).padStart(4)}  ${exported.padEnd(8)}  ${f.key}${f.error ? `  (${f.error})` : ''}`,
      );
    }
    console.log('  (exported: Parquet objects + stream batches written for the file)');
    console.log('\ntop reasons for rejected rows (24 h)');
    if (figures.topRejectReasons.length === 0) console.log('  none');
    for (const r of figures.topRejectReasons)
      console.log(`  ${String(r.rows).padStart(7)}  ${r.reason}`);
  } finally {
    sqs.destroy();
    await db.end();
  }
}

if (import.meta.main) runCommand(main);
