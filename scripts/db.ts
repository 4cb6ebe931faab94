/**
 * npm run db [-- --target local|localstack|aws] [--url] [-c "SQL"]
 * A psql shell on the stack's database, with credentials from its secret (passed through the
 * environment, never the command line); --url prints the connection URL instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { connectionUrl, databaseSecret } from './lib/database.ts';
import { resolveTarget, runCommand, TargetError } from './lib/target.ts';

async function main() {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      url: { type: 'boolean', default: false },
      command: { type: 'string', short: 'c' },
    },
  });
  const target = await resolveTarget(values.target);
  const secret = await databaseSecret(target);
  if (values.url) {
    console.log(connectionUrl(secret));
    return;
  }
  if (spawnSync('psql', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new TargetError(
      `psql is not installed; connect with any client to:\n${connectionUrl(secret)}`,
    );
  }
  const args = values.command ? ['-X', '-v', 'ON_ERROR_STOP=1', '-c', values.command] : [];
  const child = spawn('psql', args, {
    stdio: 'inherit',
    env: {
      ...process.env,
      PGHOST: secret.host,
      PGPORT: String(secret.port),
      PGUSER: secret.username,
      PGPASSWORD: secret.password,
      PGDATABASE: secret.dbname,
      PGSSLMODE: secret.sslmode === 'verify-full' ? 'verify-full' : 'disable',
      PGAPPNAME: 'shopstream-db',
    },
  });
  await new Promise<void>((resolve) => {
    child.on('exit', (code) => {
      process.exitCode = code ?? 1;
      resolve();
    });
  });
}

if (import.meta.main) runCommand(main);
