/**
 * npm run generate -- [--files N] [--rows M] [--seed S] [--no-wait] [--target local|localstack|aws]
 * One generator invocation through Lambda Invoke, then the files followed into the ledger.
 */

import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { WrittenFile } from '../functions/generator/run.ts';
import { parseCommand, TARGET_OPTIONS } from './lib/cli.ts';
import { connectDatabase } from './lib/database.ts';
import { Progress } from './lib/progress.ts';
import { output, resolveTarget, runCommand, TargetError } from './lib/target.ts';

function count(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new TargetError(`--${name} must be a whole number from 0 to ${max}, got "${value}"`);
  return n;
}

async function main() {
  const { values } = parseCommand({
    usage: 'npm run generate --',
    summary:
      'One generator invocation through Lambda Invoke, then its files followed into the ledger.',
    options: {
      files: { type: 'string', default: '1', value: 'N', description: 'files to write' },
      rows: { type: 'string', default: '1000', value: 'M', description: 'rows per file' },
      seed: { type: 'string', value: 'S', description: 'the same seed writes the same rows' },
      'no-wait': {
        type: 'boolean',
        description: 'return once the files are written, without following them',
      },
      ...TARGET_OPTIONS,
    },
  });
  const request = {
    files: count('files', values.files, 1_000),
    rows: count('rows', values.rows, 10_000_000),
    seed: count('seed', values.seed, 2 ** 31 - 1),
    intervalMs: 0,
  };
  const target = await resolveTarget(values);
  const functionName = output(target, 'GeneratorFunctionName');
  const lambda = new LambdaClient(target.clientConfig);
  const progress = new Progress();
  progress.update(
    `generating ${request.files} file(s) of ${request.rows} rows with ${functionName}`,
  );
  let files: WrittenFile[];
  try {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(request) }),
    );
    const payload = Buffer.from(out.Payload ?? []).toString('utf8');
    if (out.FunctionError) throw new TargetError(`the generator failed: ${payload}`);
    files = (JSON.parse(payload) as { files: WrittenFile[] }).files;
  } finally {
    lambda.destroy();
  }
  progress.done(`wrote ${files.length} file(s) in ${progress.elapsed()}`);
  for (const f of files) {
    console.log(
      `  ${f.key}  ${f.stats.rows} rows (${f.stats.invalid} invalid, ${f.stats.duplicates} duplicates, ${f.stats.late} late)`,
    );
  }
  if (values['no-wait'] || files.length === 0) return;

  const db = await connectDatabase(target);
  try {
    const keys = files.map((f) => f.key);
    for (;;) {
      const { rows } = await db.query<{
        n: number;
        loaded: number;
        rejected: number;
        duplicate: number;
      }>(
        `SELECT count(*)::int AS n, coalesce(sum(rows_loaded), 0)::int AS loaded,
                coalesce(sum(rows_rejected), 0)::int AS rejected, coalesce(sum(rows_duplicate), 0)::int AS duplicate
           FROM ingested_files WHERE key = ANY($1)`,
        [keys],
      );
      const r = rows[0] ?? { n: 0, loaded: 0, rejected: 0, duplicate: 0 };
      progress.update(
        `ingested ${r.n}/${keys.length} file(s): ${r.loaded} rows loaded, ${r.rejected} rejected, ${r.duplicate} duplicate`,
      );
      if (r.n === keys.length) {
        progress.done(
          `ingested ${r.n}/${keys.length} file(s): ${r.loaded} rows loaded, ${r.rejected} rejected, ${r.duplicate} duplicate (${progress.elapsed()})`,
        );
        return;
      }
      if (progress.seconds() > 600)
        throw new TargetError(
          'the files were not all ingested within 10 minutes; see npm run status',
        );
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await db.end();
  }
}

if (import.meta.main) runCommand(main);
