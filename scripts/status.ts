/**
 * npm run status [-- --target local|localstack|aws] [--json]
 * One screen: queues, the last files with their ledger counts, throughput, latency, and why rows
 * were rejected.
 */

import { SQSClient } from '@aws-sdk/client-sqs';
import { parseCommand, TARGET_OPTIONS } from './lib/cli.ts';
import { connectDatabase } from './lib/database.ts';
import { pipelineFigures, type QueueFigures, queueFigures } from './lib/pipeline-figures.ts';
import { output, resolveTarget, runCommand } from './lib/target.ts';

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
