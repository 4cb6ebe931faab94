/**
 * `npm start` and `npm run reset`: a thin command line over startLocalCloud().
 *   npm start [-- --port 4566] [--state-dir .local] [--skip-synth] [--assembly DIR]
 *   npm run reset [-- --state-dir .local]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  DEFAULT_PORT,
  type LocalCloud,
  removeCloudState,
  runningEndpoint,
  startLocalCloud,
  takeTerminationSignals,
} from '../local/index.ts';
import { parseCommand, portOption, UsageError } from './lib/cli.ts';
import { serveDashboard } from './lib/dashboard.ts';
import { formatStatus, openStatus } from './lib/status-line.ts';
import { LOCAL_STATE_DIR } from './lib/target.ts';

const ROOT = resolve(import.meta.dirname, '..');

const STATE_DIR = {
  type: 'string',
  default: LOCAL_STATE_DIR,
  value: 'DIR',
  description:
    'where objects, messages, the database and logs live between runs (or SHOPSTREAM_STATE_DIR)',
} as const;

const SPECS = {
  start: {
    usage: 'npm start --',
    summary:
      'Synthesizes the CDK app (-c target=local) unless its sources are unchanged since the last\nsynth, deploys it onto the embedded cloud and runs it until Ctrl-C, with a status line.',
    options: {
      port: {
        type: 'string',
        default: process.env.SHOPSTREAM_PORT ?? String(DEFAULT_PORT),
        value: 'N',
        description: 'the endpoint on 127.0.0.1:N; 0 picks a free one (or SHOPSTREAM_PORT)',
      },
      'state-dir': STATE_DIR,
      'skip-synth': { type: 'boolean', description: 'deploy cdk.out as it is' },
      synth: { type: 'boolean', description: 'synthesize even if the sources are unchanged' },
      assembly: {
        type: 'string',
        value: 'DIR',
        description: 'a cloud assembly synthesized elsewhere; implies --skip-synth',
      },
    },
    notes:
      'The other commands (npm run status, logs, ...) find the running cloud by itself, on\nwhatever port it took.',
  },
  reset: {
    usage: 'npm run reset --',
    summary:
      "Removes the embedded cloud's state: objects, queued messages, database and logs. Refuses\nwhile the cloud runs.",
    options: { 'state-dir': STATE_DIR },
  },
} as const;

async function isRunning(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, {
      signal: AbortSignal.timeout(1_000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** The context `npm start` synthesizes with. */
const SYNTH_CONTEXT = ['-c', 'target=local', '-c', 'generatorSchedule=rate(1 minute)'];

/** A digest of what the synthesized app depends on: its sources, settings and locked packages. */
export function sourcesDigest(root = ROOT): string {
  const hash = createHash('sha256').update(SYNTH_CONTEXT.join(' '));
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name));
      return;
    }
    hash.update(relative(root, path)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const part of [
    'infra',
    'functions',
    'sql',
    'cdk.json',
    'package-lock.json',
    'tsconfig.json',
  ])
    walk(join(root, part));
  return hash.digest('hex');
}

/**
 * A digest of the templates in a cloud assembly: another synth into the same folder (`npm run
 * synth` or `npm test`, for AWS) changes it, and the stamp no longer matches.
 */
export function assemblyDigest(dir: string): string {
  const hash = createHash('sha256');
  if (!existsSync(dir)) return '';
  for (const name of readdirSync(dir).sort())
    if (name.endsWith('.template.json')) hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest('hex');
}

/**
 * Synthesizes into cdk.out unless it already holds this digest's synth, untouched since;
 * returns what it did.
 */
function synthesize(force: boolean): string {
  const out = join(ROOT, 'cdk.out');
  const stamp = join(out, '.shopstream-sources');
  const digest = sourcesDigest();
  const current =
    existsSync(join(out, 'manifest.json')) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === `${digest}\n${assemblyDigest(out)}`;
  if (current && !force) return 'synth skipped (sources unchanged; --synth forces it)';
  console.log('synthesizing the CDK app (cdk synth -c target=local) ...');
  const began = performance.now();
  const synth = spawnSync(
    resolve(ROOT, 'node_modules/.bin/cdk'),
    ['synth', '--quiet', ...SYNTH_CONTEXT],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, PATH: `${resolve(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
    },
  );
  if (synth.status !== 0) throw new Error('cdk synth failed (see above)');
  writeFileSync(stamp, `${digest}\n${assemblyDigest(out)}`);
  return `synth ${seconds(performance.now() - began)}`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function start(values: {
  port: string;
  'state-dir': string;
  'skip-synth'?: boolean;
  synth?: boolean;
  assembly?: string;
}) {
  const stateDir = resolve(values['state-dir']);
  const port = portOption('port', values.port);
  const running = runningEndpoint(stateDir);
  if (running)
    throw new Error(
      `the embedded cloud already runs on ${stateDir}, at ${running}: stop it (Ctrl-C in its terminal) or give another --state-dir`,
    );
  if (port !== 0 && (await isRunning(port))) {
    throw new Error(
      `something already answers on 127.0.0.1:${port}: is the embedded cloud running in another terminal? (--port picks another)`,
    );
  }
  const synthesis =
    values['skip-synth'] || values.assembly ? 'synth skipped' : synthesize(values.synth === true);
  const started = performance.now();
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let status: Awaited<ReturnType<typeof openStatus>> | undefined;
  const tty = process.stdout.isTTY;
  // Assigned once started; a fatal error during the deploy finds none to stop.
  let cloud: LocalCloud | undefined;
  const stop = async (code: number) => {
    stopping = true;
    clearInterval(timer);
    if (tty) process.stdout.write('\n');
    console.log(`stopping (state kept in ${stateDir}; npm run reset wipes it) ...`);
    // The cloud's stop starts first: a terminal's Ctrl-C reaches PostgreSQL too, and its end
    // must already be expected when it comes, not taken for a crash.
    await Promise.all([cloud?.stop(), status?.close().catch(() => {})]);
    process.exit(code);
  };
  // A second Ctrl-C does not wait for the stop. One Ctrl-C under `npm start` arrives twice,
  // from the terminal and forwarded by npm, a moment apart: that is not a second one.
  let firstSignalAt = 0;
  const interrupt = () => {
    if (!stopping) {
      firstSignalAt = Date.now();
      void stop(0);
    } else if (Date.now() - firstSignalAt > 1_000) {
      process.exit(1);
    }
  };
  cloud = await startLocalCloud({
    port,
    stateDir,
    assemblyDir: values.assembly ? resolve(values.assembly) : resolve(ROOT, 'cdk.out'),
    fireSchedulesAtStart: true,
    progress: (line) => console.log(`  ${line}`),
    onFatal: (error) => {
      // While stopping, what ends is expected to end.
      if (stopping) return;
      console.error(`\nerror: ${error.message}; stopping`);
      void stop(1);
    },
  });
  const dashboard = await serveDashboard(cloud);
  console.log(
    `\nshopstream is up on ${cloud.endpoint}: ${synthesis}, deploy and start ${seconds(performance.now() - started)} (Ctrl-C stops it)`,
  );
  console.log(`dashboard: ${dashboard}`);
  console.log(`stack outputs (${cloud.outputsFile}):`);
  for (const [key, value] of Object.entries(cloud.outputs))
    console.log(`  ${key.padEnd(24)} ${value}`);
  console.log(
    `\nAWS CLI or SDK: AWS_ENDPOINT_URL=${cloud.endpoint} AWS_REGION=${cloud.region} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\n`,
  );

  const reader = await openStatus(cloud.endpoint, cloud.region, cloud.outputs);
  status = reader;
  let lastLine = '';
  let lastPrinted = 0;
  timer = setInterval(async () => {
    try {
      const line = formatStatus(await reader.read());
      if (tty) process.stdout.write(`\r\u001b[2K${line}`);
      else if (line !== lastLine && Date.now() - lastPrinted > 10_000) {
        console.log(line);
        lastPrinted = Date.now();
      }
      lastLine = line;
    } catch {
      // The database is briefly busy; the next tick will show the figures.
    }
  }, 1_000);

  takeTerminationSignals();
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  process.on('SIGHUP', interrupt);
}

async function reset(values: { 'state-dir': string }) {
  const stateDir = resolve(values['state-dir']);
  const running = runningEndpoint(stateDir);
  if (running)
    throw new Error(
      `the embedded cloud is running on ${stateDir} (${running}): stop it (Ctrl-C) before resetting`,
    );
  if (!existsSync(stateDir)) {
    console.log(`nothing to reset: ${stateDir} does not exist`);
    return;
  }
  removeCloudState(stateDir);
  console.log(`removed ${stateDir}: objects, queued messages, database and logs`);
}

if (import.meta.main) {
  const [command = 'start', ...args] = process.argv.slice(2);
  const run = async () => {
    if (command === 'start') await start(parseCommand(SPECS.start, args).values);
    else if (command === 'reset') await reset(parseCommand(SPECS.reset, args).values);
    else throw new UsageError(`unknown command "${command}"; use start or reset`);
  };
  // A failure before the cloud is up ends the process: nothing of it is left to stop.
  run().catch((error: Error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  });
}
