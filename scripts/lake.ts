/**
 * npm run lake -- query "SQL" [--json] [--target local|localstack|aws]
 * npm run lake -- list
 * SQL over the Parquet data lake with DuckDB: the lake's visible objects are copied into a
 * temporary folder (DuckDB's httpfs would need a download), then `events` is a view over them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { S3LakeStore } from '../functions/export/s3-lake.ts';
import { LAKE_COLUMNS, type LakeColumnType } from '../functions/shared/lake.ts';
import { parseCommand, TARGET_OPTIONS, UsageError } from './lib/cli.ts';
import { copyLake, type LakeObject, readLake } from './lib/lake-reader.ts';
import { Progress } from './lib/progress.ts';
import { output, resolveTarget, runCommand } from './lib/target.ts';

/** A lake column's type in DuckDB. */
function duckType(type: LakeColumnType): string {
  switch (type.kind) {
    case 'string':
      return 'VARCHAR';
    case 'timestamp':
      return 'TIMESTAMPTZ';
    case 'decimal':
      return `DECIMAL(${type.precision},2)`;
    case 'int32':
      return 'INTEGER';
    case 'int64':
      return 'BIGINT';
  }
}

/** The view over an empty lake: the lake's columns and the partition column, no rows. */
const EMPTY_EVENTS = `SELECT ${[
  ...LAKE_COLUMNS.map((c) => `NULL::${duckType(c.type)} AS ${c.name}`),
  'NULL::DATE AS event_date',
].join(', ')} WHERE false`;

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** Runs `sql` with `events` over the given objects; rows as JSON values (big numbers as text). */
export async function queryLake(
  objects: readonly LakeObject[],
  sql: string,
): Promise<{ columns: string[]; rows: unknown[][] }> {
  const dir = await mkdtemp(join(tmpdir(), 'shopstream-lake-'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await copyLake(objects, dir);
    const glob = join(dir, '*', '*.parquet').replaceAll("'", "''");
    await conn.run("SET TimeZone = 'UTC'");
    await conn.run(
      objects.length === 0
        ? `CREATE VIEW events AS ${EMPTY_EVENTS}`
        : `CREATE VIEW events AS SELECT * FROM read_parquet('${glob}', hive_partitioning = true, hive_types = {'event_date': DATE})`,
    );
    const reader = await conn.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowsJson() };
  } finally {
    conn.closeSync();
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatTable(columns: string[], rows: unknown[][]): string {
  const text = (v: unknown) =>
    v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const cells = rows.map((r) => r.map(text));
  const widths = columns.map((c, i) =>
    Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const numeric = columns.map((_, i) =>
    rows.every(
      (r) => r[i] === null || typeof r[i] === 'number' || /^-?\d+(\.\d+)?$/.test(text(r[i])),
    ),
  );
  const line = (r: string[]) =>
    r
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
    `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
  ].join('\n');
}

async function main() {
  const { values, positionals } = parseCommand({
    usage: 'npm run lake --',
    summary:
      'The Parquet data lake (docs/lake-and-stream.md). `query "SQL"` runs SQL with DuckDB over a\n' +
      'view `events` of every event exactly once (partition column event_date); `list` shows the\n' +
      "partitions. The lake's objects are copied into a temporary folder first: fine for a local\n" +
      'lake, slow for a large one on AWS (use Athena there).',
    positionals: '<query "SQL" | list>',
    options: {
      json: { type: 'boolean', description: 'rows as a JSON array on stdout' },
      ...TARGET_OPTIONS,
    },
    notes:
      'examples:\n' +
      '  npm run lake -- query "select event_type, count(*) from events group by 1"\n' +
      '  npm run lake -- query "select event_date, sum(revenue) from events group by 1" --json\n' +
      '  npm run lake -- list',
  });
  const [command, sql, ...rest] = positionals;
  if (command !== 'query' && command !== 'list')
    throw new UsageError('give a command: query "SQL" or list (see --help)');
  if (command === 'query' && !sql?.trim())
    throw new UsageError('query takes the SQL as one argument: query "select ..." (see --help)');
  if (rest.length > 0 || (command === 'list' && sql !== undefined))
    throw new UsageError(`unexpected argument "${rest[0] ?? sql}"; quote the SQL as one argument`);

  const target = await resolveTarget(values);
  const bucket = output(target, 'LakeBucketName');
  const lake = new S3LakeStore(new S3Client(target.clientConfig), bucket);
  const progress = new Progress();
  // The summary goes to stderr with --json, so that stdout is the JSON alone.
  const summary = (line: string) => {
    if (!values.json) return progress.done(line);
    progress.update(line);
    if (process.stderr.isTTY) process.stderr.write('\n');
  };
  progress.update(`reading s3://${bucket}/events/`);
  const objects = await readLake(lake, (done, total, count, bytes) =>
    progress.update(
      `reading the lake: ${done}/${total} partitions, ${count} objects, ${mib(bytes)}`,
    ),
  );
  const bytes = objects.reduce((n, o) => n + o.body.byteLength, 0);

  if (command === 'list') {
    const counted = await queryLake(
      objects,
      'SELECT CAST(event_date AS VARCHAR), count(*) FROM events GROUP BY 1',
    );
    const events = new Map(counted.rows.map((r) => [String(r[0]), Number(r[1])]));
    const perDate = new Map<string, { objects: number; bytes: number }>();
    for (const o of objects) {
      const d = perDate.get(o.date) ?? { objects: 0, bytes: 0 };
      d.objects++;
      d.bytes += o.body.byteLength;
      perDate.set(o.date, d);
    }
    summary(`s3://${bucket}/events/: ${objects.length} objects, ${mib(bytes)}`);
    const table = [...perDate.entries()].map(([date, d]) => ({
      event_date: date,
      objects: d.objects,
      events: events.get(date) ?? 0,
      bytes: d.bytes,
    }));
    if (values.json) console.log(JSON.stringify(table));
    else
      console.log(
        formatTable(
          ['event_date', 'objects', 'events', 'size'],
          table.map((t) => [t.event_date, t.objects, t.events, mib(t.bytes)]),
        ),
      );
    return;
  }

  progress.update(`querying ${objects.length} objects (${mib(bytes)}) with DuckDB`);
  let result: { columns: string[]; rows: unknown[][] };
  try {
    result = await queryLake(objects, sql as string);
  } catch (error) {
    // DuckDB's messages span lines (a caret under the error); the first names the problem.
    throw new Error((error as Error).message.split('\n')[0]);
  }
  summary(
    `${objects.length} objects, ${mib(bytes)} from s3://${bucket}/events/ in ${progress.elapsed()}`,
  );
  if (values.json) {
    console.log(
      JSON.stringify(
        result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i]]))),
      ),
    );
  } else console.log(formatTable(result.columns, result.rows));
}

if (import.meta.main) runCommand(main);
