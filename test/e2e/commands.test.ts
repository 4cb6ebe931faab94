import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDashboard } from '../../scripts/lib/dashboard.ts';
import { PROJECT_ROOT } from '../../scripts/lib/target.ts';
import { s3Record } from '../helpers/events.ts';
import {
  databaseFromSecret,
  startTestCloud,
  synthPipelineAssembly,
  type TestCloud,
} from '../helpers/local-cloud.ts';
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

  it('analytics: windows, active users, sessions and the watermark, as the database has them', async () => {
    const a = JSON.parse((await command('analytics', '--json', '--minutes', '30')).stdout);
    const db = await databaseFromSecret(t);
    try {
      const truth = (
        await db.query(
          `SELECT max(event_time) FILTER (WHERE event_time <= ingested_at) AS latest,
                  count(*) FILTER (WHERE event_type = 'view' AND event_time >= max_time - interval '30 minutes')::int AS views
             FROM events, (SELECT max(event_time) FILTER (WHERE event_time <= ingested_at) AS max_time FROM events) m
            GROUP BY max_time`,
        )
      ).rows[0];
      expect(a.watermark.maxEventTime).toBe(truth.latest.toISOString());
      expect(a.watermark.allowedLatenessSeconds).toBe(120);
      // Windows are whole minutes: the first one shown may start before the 30 minutes.
      const shown = a.activity.reduce((n: number, m: { views: number }) => n + m.views, 0);
      expect(shown).toBeGreaterThanOrEqual(truth.views);
      expect(a.activeUsers.length).toBeGreaterThan(0);
      expect(a.sessions.count).toBeGreaterThan(0);
      expect(a.topProducts.length).toBeGreaterThan(0);
    } finally {
      await db.end();
    }
    const screen = (await command('analytics')).stdout;
    expect(screen).toMatch(/^watermark {10}\S+ \(latest event \S+ minus 120 s\)$/m);
    expect(screen).toMatch(/funnel by hour of session start/);
    expect((await command('analytics', '--help')).stdout).toMatch(/^usage: npm run analytics/);
    await expect(command('analytics', '--minutes', 'lots')).rejects.toMatchObject({
      stderr: 'error: --minutes takes a whole number from 1 to 1440, got "lots"\n',
    });
  });

  it('lake and events: the exported events, once each, through DuckDB and the stream', async () => {
    // The generate test's files, once the export has them.
    await waitFor('every committed file exported', async () => {
      const status = JSON.parse((await command('status', '--json')).stdout);
      return status.exportLag.filesPending === 0 && status.lastFiles.length === 2;
    });
    const db = await databaseFromSecret(t);
    let truth: { n: number; purchases: number; revenue: string };
    try {
      truth = (
        await db.query(
          `SELECT count(*)::int AS n, count(*) FILTER (WHERE event_type = 'purchase')::int AS purchases,
                  coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0)::numeric(16,2)::text AS revenue
             FROM events`,
        )
      ).rows[0];
    } finally {
      await db.end();
    }
    expect(truth.n).toBeGreaterThan(500);
    const [counted] = JSON.parse(
      (
        await command(
          'lake',
          'query',
          'select count(*)::int as n, count(distinct event_id)::int as ids, sum(revenue)::varchar as revenue from events',
          '--json',
        )
      ).stdout,
    );
    expect(counted).toEqual({ n: truth.n, ids: truth.n, revenue: truth.revenue });
    const screen = (
      await command(
        'lake',
        'query',
        'select event_type, count(*) from events group by 1 order by 1',
      )
    ).stdout;
    expect(screen).toMatch(/^event_type\s+count_star\(\)$/m);
    expect(screen).toMatch(/^view\s+\d+$/m);
    const partitions = JSON.parse((await command('lake', 'list', '--json')).stdout);
    expect(partitions.reduce((n: number, p: { events: number }) => n + p.events, 0)).toBe(truth.n);
    await expect(command('lake', 'query', 'select nope from events')).rejects.toMatchObject({
      stderr: expect.stringMatching(/^error: Binder Error: Referenced column "nope" not found/m),
    });
    await expect(command('lake')).rejects.toMatchObject({
      stderr: 'error: give a command: query "SQL" or list (see --help)\n',
    });

    // The example queue's batches, read without consuming them: the same events twice over.
    for (let pass = 0; pass < 2; pass++) {
      const { stdout } = await command('events', '--from-beginning', '--idle', '1');
      const ids = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).event_id);
      expect(ids).toHaveLength(truth.n);
      expect(new Set(ids).size).toBe(truth.n);
    }
    const purchases = (
      await command('events', '--from-beginning', '--idle', '1', '--filter', 'event_type=purchase')
    ).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(purchases).toHaveLength(truth.purchases);
    expect(purchases.every((e) => e.event_type === 'purchase' && e.revenue > 0)).toBe(true);
    await expect(command('events', '--filter', 'purchase')).rejects.toMatchObject({
      stderr: 'error: --filter takes field=value, like event_type=purchase; got "purchase"\n',
    });
  });

  it('events --follow prints the events of a file that lands while it runs', async () => {
    const child = spawn(process.execPath, [script('events'), '--follow'], {
      env,
      cwd: PROJECT_ROOT,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    try {
      await waitFor('the consumer subscribed', async () =>
        err.includes('waiting for enriched events'),
      );
      await command('generate', '--files', '1', '--rows', '120', '--seed', '77');
      const lines = await waitFor('the new file on the stream', async () => {
        const lines = out.trim().split('\n').filter(Boolean);
        return lines.length >= 100 ? lines : undefined;
      });
      const keys = new Set(lines.map((l) => JSON.parse(l).file_key));
      expect(keys.size).toBe(1);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // Ctrl-C removed its temporary queue.
    const queues = (await t.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];
    expect(queues.filter((q) => q.includes('shopstream-events-'))).toEqual([]);
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

  const script = (name: string) => join(PROJECT_ROOT, 'scripts', `${name}.ts`);
  const fails = (args: string[], withEnv: NodeJS.ProcessEnv = env) =>
    run(process.execPath, args, { env: withEnv, cwd: PROJECT_ROOT }).then(
      () => {
        throw new Error(`${args.join(' ')} succeeded`);
      },
      (error: { code: number; stderr: string }) => error,
    );

  it('every command has --help, and a bad option is one line pointing at it', async () => {
    const commands: [string, ...string[]][] = [
      ['status'],
      ['logs'],
      ['generate'],
      ['redrive'],
      ['db'],
      ['analytics'],
      ['lake'],
      ['events'],
      ['bench'],
      ['diagram'],
      ['dashboard'],
      ['start', 'start'],
      ['start', 'reset'],
    ];
    for (const [name, ...sub] of commands) {
      const { stdout } = await run(process.execPath, [script(name), ...sub, '--help'], { env });
      expect(stdout).toMatch(/^usage: npm (start|run \w+)/);
      expect(stdout).toMatch(/-h, --help/);
      if (!['bench', 'start', 'diagram'].includes(name))
        expect(stdout).toMatch(/--target T[\s\S]*--port N/);
      const failed = await fails([script(name), ...sub, '--bogus']);
      expect(failed.code).toBeGreaterThan(0);
      // db hands options it does not know to psql, which names it.
      if (name === 'db') expect(failed.stderr).toMatch(/psql: .*--bogus/);
      else expect(failed.stderr.trim()).toBe("error: Unknown option '--bogus' (see --help)");
    }
  });

  it('dashboard: prints the address the running cloud serves it at, or says it serves none', async () => {
    const none = await fails([script('dashboard')]);
    expect(none.stderr).toBe(
      `error: the embedded cloud at ${t.cloud.endpoint} serves no dashboard; restart it with npm start\n`,
    );
    await serveDashboard(t.cloud);
    const { stdout } = await command('dashboard');
    expect(stdout).toBe(
      `the embedded cloud serves the dashboard: ${t.cloud.endpoint}/_shopstream/dashboard/\n`,
    );
    expect((await fails([script('dashboard'), '--target', 'aws', '--listen', 'x'])).stderr).toBe(
      'error: --listen must be a port number, got "x" (see --help)\n',
    );
  });

  it('finds the running cloud by itself, or by --port', async () => {
    const { AWS_ENDPOINT_URL: _, SHOPSTREAM_OUTPUTS: __, ...bare } = env;
    // The cloud recorded its endpoint (a free port, not 4566) in its state folder.
    const found = await run(process.execPath, [script('status')], {
      env: { ...bare, SHOPSTREAM_STATE_DIR: t.stateDir },
    });
    expect(found.stdout).toContain(`shopstream on local (${t.cloud.endpoint})`);
    const byPort = await run(process.execPath, [script('status'), '--port', String(t.cloud.port)], {
      env: { ...bare, SHOPSTREAM_OUTPUTS: t.cloud.outputsFile },
    });
    expect(byPort.stdout).toContain(`shopstream on local (${t.cloud.endpoint})`);
  });

  it('db passes psql options through; reset refuses while the cloud runs', async () => {
    const { stdout } = await command('db', '-A', '-t', '-c', 'SELECT 1', '-c', 'SELECT 2');
    expect(stdout).toBe('1\n2\n');
    const failed = await fails([script('start'), 'reset', '--state-dir', t.stateDir]);
    expect(failed.stderr).toMatch(
      /the embedded cloud is running on .*: stop it \(Ctrl-C\) before resetting/,
    );
    expect(existsSync(join(t.stateDir, 'outputs.json'))).toBe(true);
  });

  it('every command says so when the target is not up', async () => {
    for (const script of [
      'status',
      'logs',
      'generate',
      'redrive',
      'db',
      'lake',
      'events',
      'dashboard',
    ]) {
      const args = script === 'logs' ? ['ingest'] : script === 'lake' ? ['list'] : [];
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
