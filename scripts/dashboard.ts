/**
 * npm run dashboard [-- --target local|localstack|aws] [--listen N]
 * The live dashboard. The embedded cloud serves it itself (npm start prints its URL); for
 * LocalStack and AWS this command serves the same page on 127.0.0.1, reading that target.
 */
import { parseCommand, portOption, TARGET_OPTIONS } from './lib/cli.ts';
import { DASHBOARD_PATH, listenDashboard } from './lib/dashboard.ts';
import { resolveTarget, runCommand } from './lib/target.ts';

async function main() {
  const { values } = parseCommand({
    usage: 'npm run dashboard --',
    summary:
      'The live dashboard: pipeline health and the stream analytics, pushed every 2 s. The embedded\ncloud serves it at <endpoint>/_shopstream/dashboard/ (this prints that URL); for localstack\nand aws this serves the same page on 127.0.0.1 until Ctrl-C.',
    options: {
      ...TARGET_OPTIONS,
      listen: {
        type: 'string',
        default: '4580',
        value: 'N',
        description: 'serve on 127.0.0.1:N (localstack and aws); 0 picks a free port',
      },
    },
    notes:
      'On AWS the database is private: forward a port to it and set SHOPSTREAM_DB_HOST and\nSHOPSTREAM_DB_PORT (docs/connecting.md).',
  });
  const listen = portOption('listen', values.listen);
  const target = await resolveTarget(values);
  if (target.name === 'local') {
    const url = `${target.endpoint}${DASHBOARD_PATH}/`;
    const res = await fetch(url, { signal: AbortSignal.timeout(3_000) }).catch(() => null);
    if (!res?.ok)
      throw new Error(
        `the embedded cloud at ${target.endpoint} serves no dashboard; restart it with npm start`,
      );
    console.log(`the embedded cloud serves the dashboard: ${url}`);
    return;
  }
  const served = await listenDashboard(target, listen);
  console.log(`dashboard for ${target.name}: ${served.url} (Ctrl-C stops it)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await served.close();
}

if (import.meta.main) runCommand(main);
