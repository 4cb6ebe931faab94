/**
 * npm run db [-- --target local|localstack|aws] [--url] [psql options]
 * A psql shell on the stack's database, with credentials from its secret (passed through the
 * environment, never the command line); --url prints the connection URL instead. Every option
 * that is not the command's own goes to psql as given.
 */
import { spawn, spawnSync } from 'node:child_process';
import { parseCommand, TARGET_OPTIONS } from './lib/cli.ts';
import { connectionUrl, databaseSecret } from './lib/database.ts';
import { resolveTarget, runCommand, TargetError } from './lib/target.ts';

const SPEC = {
  usage: 'npm run db --',
  positionals: '[psql options]',
  summary:
    "psql on the stack's database as its master user, with the credentials of its secret (in the\nenvironment, never on the command line). Any other option goes to psql as given.",
  options: {
    ...TARGET_OPTIONS,
    url: { type: 'boolean', description: 'print the connection URL instead of starting psql' },
  },
  notes:
    'examples:\n  npm run db\n  npm run db -- -c "SELECT count(*) FROM events"\n  npm run -s db -- -A -t -c "SELECT key FROM ingested_files" -c "SELECT 1"\n  npm run db -- -f report.sql',
} as const;

/** The command's own options, and the rest, in order, for psql. */
export function splitArgs(args: readonly string[]): { own: string[]; psql: string[] } {
  const own: string[] = [];
  const psql: string[] = [];
  const valued = new Set(['--target', '--endpoint', '--port']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const name = arg.split('=')[0] as string;
    if (valued.has(name)) {
      own.push(arg);
      if (!arg.includes('=') && i + 1 < args.length) own.push(args[++i] as string);
    } else if (arg === '--url' || arg === '--help' || arg === '-h') own.push(arg);
    else psql.push(arg);
  }
  return { own, psql };
}

async function main() {
  const { own, psql } = splitArgs(process.argv.slice(2));
  const { values } = parseCommand(SPEC, own);
  const target = await resolveTarget(values);
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
  // Run from a command line, not typed: no ~/.psqlrc, and the first error ends it.
  const scripted = psql.some(
    (a) => /^(-c|-f|--command|--file)(=|$)/.test(a) || /^-[^-]*[cf]/.test(a),
  );
  const args = [...(scripted ? ['-X', '-v', 'ON_ERROR_STOP=1'] : []), ...psql];
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
