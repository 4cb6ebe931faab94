/**
 * `npm start` and `npm run reset`: a thin command line over startLocalCloud().
 *   npm start [-- --port 4566] [--state-dir .local] [--skip-synth]
 *   npm run reset
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalCloud } from './cloud.ts';
import { formatStatus, openStatus } from './status.ts';

const ROOT = resolve(import.meta.dirname, '..');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: process.env.SHOPSTREAM_PORT ?? '4566' },
    'state-dir': { type: 'string', default: resolve(ROOT, '.local') },
    'skip-synth': { type: 'boolean', default: false },
  },
});
const command = positionals[0] ?? 'start';
const stateDir = resolve(values['state-dir']);

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

async function start() {
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be a port number, got ${values.port}`);
  if (port !== 0 && (await isRunning(port))) {
    throw new Error(
      `something already answers on 127.0.0.1:${port}: is the embedded cloud running in another terminal? (--port picks another)`,
    );
  }
  if (!values['skip-synth']) {
    console.log('synthesizing the CDK app (cdk synth -c target=local) ...');
    const synth = spawnSync(
      resolve(ROOT, 'node_modules/.bin/cdk'),
      ['synth', '--quiet', '-c', 'target=local', '-c', 'generatorSchedule=rate(1 minute)'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, PATH: `${resolve(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
      },
    );
    if (synth.status !== 0) throw new Error('cdk synth failed (see above)');
  }
  const started = performance.now();
  const cloud = await startLocalCloud({
    port,
    stateDir,
    assemblyDir: resolve(ROOT, 'cdk.out'),
    fireSchedulesAtStart: true,
    progress: (line) => console.log(`  ${line}`),
  });
  console.log(
    `\nshopstream is up on ${cloud.endpoint} in ${((performance.now() - started) / 1000).toFixed(1)} s (Ctrl-C stops it)`,
  );
  console.log(`stack outputs (${cloud.outputsFile}):`);
  for (const [key, value] of Object.entries(cloud.outputs))
    console.log(`  ${key.padEnd(24)} ${value}`);
  console.log(
    `\nAWS CLI or SDK: AWS_ENDPOINT_URL=${cloud.endpoint} AWS_REGION=${cloud.region} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\n`,
  );

  const status = await openStatus(cloud.endpoint, cloud.region, cloud.outputs);
  const tty = process.stdout.isTTY;
  let lastLine = '';
  let lastPrinted = 0;
  const timer = setInterval(async () => {
    try {
      const line = formatStatus(await status.read());
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

  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    clearInterval(timer);
    if (tty) process.stdout.write('\n');
    console.log('stopping (state kept in .local/; npm run reset wipes it) ...');
    await status.close().catch(() => {});
    await cloud.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function reset() {
  const port = Number(values.port);
  if (await isRunning(port))
    throw new Error(
      `the embedded cloud is running on port ${port}: stop it (Ctrl-C) before resetting`,
    );
  if (!existsSync(stateDir)) {
    console.log(`nothing to reset: ${stateDir} does not exist`);
    return;
  }
  rmSync(stateDir, { recursive: true, force: true });
  console.log(`removed ${stateDir}: objects, queued messages, database and logs`);
}

const commands: Record<string, () => Promise<void>> = { start, reset };
const run = commands[command];
if (!run) {
  console.error(`unknown command "${command}"; use start or reset`);
  process.exit(2);
}
run().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
