import { execFile, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/lib/target.ts';
import { s3Record } from '../helpers/events.ts';
import { startTestCloud, synthPipelineAssembly, type TestCloud } from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';

const run = promisify(execFile);

describe('operator commands against the embedded cloud', () => {
  let t: TestCloud;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    t = await startTestCloud(synthPipelineAssembly());
    env = {
      ...process.env,
      AWS_ENDPOINT_URL: t.cloud.endpoint,
      SHOPSTREAM_OUTPUTS: t.cloud.outputsFile,
      SHOPSTREAM_TARGET: 'local',
    };
  }, 120_000);
  afterAll(() => t?.stop());

  const command = (script: string, ...args: string[]) =>
    run(process.execPath, [join(PROJECT_ROOT, 'scripts', `${script}.ts`), ...args], {
      env,
      cwd: PROJECT_ROOT,
    });

  it('generate: invokes the generator and follows its files into the ledger', async () => {
    const { stdout } = await command('generate', '--files', '2', '--rows', '300', '--seed', '3');
    expect(stdout).toMatch(/wrote 2 file\(s\)/);
    expect(stdout).toMatch(/ingested 2\/2 file\(s\): \d+ rows loaded, \d+ rejected, \d+ duplicate/);
  });

  it('status: queues, last files with ledger counts, throughput, latency and reject reasons', async () => {
    const { stdout } = await command('status', '--json');
    const status = JSON.parse(stdout);
    expect(status.queue).toEqual({ visible: 0, inFlight: 0, oldestAgeSeconds: null });
    expect(status.lastFiles).toHaveLength(2);
    for (const f of status.lastFiles) {
      expect(f.rows_total).toBe(f.rows_loaded + f.rows_rejected + f.rows_duplicate);
    }
    expect(status.lastMinute.files).toBe(2);
    expect(status.latency.fileP50Seconds).toBeGreaterThan(0);
    const rejected = status.lastFiles.reduce(
      (n: number, f: { rows_rejected: number }) => n + f.rows_rejected,
      0,
    );
    expect(
      status.topRejectReasons.reduce((n: number, r: { rows: number }) => n + r.rows, 0),
    ).toBeGreaterThanOrEqual(rejected);
    const screen = (await command('status')).stdout;
    expect(screen).toMatch(/ingest queue\s+0 waiting, 0 in flight, empty/);
    expect(screen).toMatch(/top reasons for rejected rows/);
  });

  it('finds why a file had rejected rows: ledger, rejected rows with reasons, and its log lines', async () => {
    const status = JSON.parse((await command('status', '--json')).stdout);
    const file = status.lastFiles.find((f: { rows_rejected: number }) => f.rows_rejected > 0);
    const ledger = await command('db', '--url');
    expect(ledger.stdout.trim()).toMatch(
      /^postgres:\/\/shopstream:.+@127\.0\.0\.1:\d+\/shopstream$/,
    );
    const psql = spawnSync('psql', ['--version']).status === 0;
    const rows = await command(
      'db',
      '-c',
      `SELECT line_number, reasons FROM rejected_rows WHERE file_id = ${file.id} ORDER BY line_number`,
    ).catch((error: { stdout: string; stderr: string }) => error);
    if (psql) expect(rows.stdout).toMatch(new RegExp(`\\(${file.rows_rejected} rows?\\)`));
    else expect(rows.stderr).toMatch(/psql is not installed/);
    const logs = await command(
      'logs',
      'ingest',
      '--since',
      '10m',
      '--format',
      'json',
      '--filter-pattern',
      `{ $.key = "${file.key}" }`,
    );
    const lines = logs.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const messages = lines.map((l) => JSON.parse(l.message));
    expect(messages[0].message).toBe('ingesting');
    expect(messages.at(-1)).toMatchObject({
      message: 'file ingested',
      rowsRejected: file.rows_rejected,
      status: 'loaded',
    });
    for (const m of messages) expect(m.key).toBe(file.key);
  });

  it('logs --follow prints new events as they come', async () => {
    const child = spawn(
      process.execPath,
      [
        join(PROJECT_ROOT, 'scripts/logs.ts'),
        'generator',
        '--follow',
        '--since',
        '1s',
        '--format',
        'short',
      ],
      { env },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await command('generate', '--files', '1', '--rows', '10', '--no-wait');
      await waitFor(
        'the generator log lines',
        async () => output.includes('file written') && output.includes('REPORT RequestId'),
        {
          timeoutMs: 15_000,
        },
      );
    } finally {
      child.kill('SIGINT');
    }
  });

  it('redrive: moves dead letters back to the ingest queue, with a count', async () => {
    const out = t.cloud.outputs;
    const facts = { bucket: out.BucketName as string, encodedKey: 'incoming/never-written.csv' };
    for (let i = 0; i < 3; i++) {
      await t.sqs.send(
        new SendMessageCommand({
          QueueUrl: out.DeadLetterQueueUrl,
          MessageBody: JSON.stringify({ Records: [s3Record(facts)] }),
        }),
      );
    }
    const { stdout } = await command('redrive');
    expect(stdout).toMatch(/redrove 3 message\(s\) from the dead-letter queue to the ingest queue/);
    const dlq = await t.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: out.DeadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('0');
    expect((await command('redrive')).stdout).toMatch(/the dead-letter queue is empty/);
  });

  it('every command says so when the target is not up', async () => {
    for (const script of ['status', 'logs', 'generate', 'redrive', 'db']) {
      const args = script === 'logs' ? ['ingest'] : [];
      const failed = await run(
        process.execPath,
        [join(PROJECT_ROOT, 'scripts', `${script}.ts`), ...args],
        {
          env: { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:1' },
        },
      ).catch((error: { code: number; stderr: string }) => error);
      expect((failed as { code: number }).code).toBe(1);
      expect((failed as { stderr: string }).stderr).toMatch(
        /error: nothing answers at http:\/\/127\.0\.0\.1:1: the embedded cloud target is not running; start it with `npm start`/,
      );
    }
  });
});
