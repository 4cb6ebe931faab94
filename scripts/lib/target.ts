import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_PORT, runningEndpoint } from '../../local/index.ts';
import { UsageError } from './cli.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

export type TargetName = 'local' | 'localstack' | 'aws';

/** Where the commands talk to: the embedded cloud by default, LocalStack or AWS on request. */
export interface Target {
  readonly name: TargetName;
  /** Undefined on AWS: the SDK's own endpoints. */
  readonly endpoint?: string;
  readonly region: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly outputsFile: string;
  /** Client settings for every AWS SDK client. */
  readonly clientConfig: Record<string, unknown>;
}

/** The target cannot be used; the message says what to do. */
export class TargetError extends Error {
  override name = 'TargetError';
}

/** The embedded cloud's state folder: `npm start`'s default, and where commands look for it. */
export const LOCAL_STATE_DIR = resolve(
  process.env.SHOPSTREAM_STATE_DIR ?? resolve(PROJECT_ROOT, '.local'),
);

const OUTPUTS: Record<TargetName, string> = {
  local: resolve(LOCAL_STATE_DIR, 'outputs.json'),
  localstack: '.localstack/outputs.json',
  aws: 'cdk-outputs.json',
};

const HOW_TO_START: Record<TargetName, string> = {
  local: 'start it with `npm start`',
  localstack: 'start and deploy with `npm run deploy:localstack`',
  aws: 'deploy with `npm run deploy`',
};

/** Where a command was told to look: its --target, --endpoint and --port. */
export interface TargetFlags {
  readonly target?: string;
  readonly endpoint?: string;
  readonly port?: string;
}

/**
 * Resolves the target from `--target`, else SHOPSTREAM_TARGET, else the embedded cloud, and
 * checks it answers. The endpoint of local and LocalStack: `--endpoint`, else `--port`, else
 * AWS_ENDPOINT_URL, else SHOPSTREAM_PORT, else (local) the cloud running on its state folder
 * (SHOPSTREAM_STATE_DIR, default .local/), else port 4566. SHOPSTREAM_OUTPUTS names the
 * outputs file.
 */
export async function resolveTarget(flags: TargetFlags = {}): Promise<Target> {
  const { target: requested, endpoint: endpointFlag, port } = flags;
  const name = (requested ?? process.env.SHOPSTREAM_TARGET ?? 'local') as TargetName;
  if (!(name in OUTPUTS))
    throw new TargetError(`--target must be local, localstack or aws, got "${name}"`);
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  if (port !== undefined && !/^\d{1,5}$/.test(port))
    throw new UsageError(`--port must be a port number, got "${port}" (see --help)`);
  if (endpointFlag !== undefined && !URL.canParse(endpointFlag))
    throw new UsageError(`--endpoint must be a URL, got "${endpointFlag}" (see --help)`);
  if (name === 'aws' && (endpointFlag || port))
    throw new UsageError('--endpoint and --port are for local and localstack, not aws');
  const explicit =
    endpointFlag?.replace(/\/$/, '') ??
    (port ? `http://127.0.0.1:${port}` : undefined) ??
    process.env.AWS_ENDPOINT_URL;
  let endpoint: string | undefined;
  if (name === 'local')
    endpoint =
      explicit ??
      (process.env.SHOPSTREAM_PORT
        ? `http://127.0.0.1:${process.env.SHOPSTREAM_PORT}`
        : (runningEndpoint(LOCAL_STATE_DIR) ?? `http://127.0.0.1:${DEFAULT_PORT}`));
  // LocalStack's edge port, which the embedded cloud's default follows.
  if (name === 'localstack') endpoint = explicit ?? `http://127.0.0.1:${DEFAULT_PORT}`;

  if (endpoint) {
    const health = name === 'local' ? '/health' : '/_localstack/health';
    const up = await fetch(`${endpoint}${health}`, { signal: AbortSignal.timeout(3_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (!up)
      throw new TargetError(
        `nothing answers at ${endpoint}: the ${name === 'local' ? 'embedded cloud' : 'LocalStack'} target is not running; ${HOW_TO_START[name]}`,
      );
  }

  const outputsFile = resolve(
    process.env.SHOPSTREAM_OUTPUTS ?? resolve(PROJECT_ROOT, OUTPUTS[name]),
  );
  if (!existsSync(outputsFile))
    throw new TargetError(`no stack outputs at ${outputsFile}; ${HOW_TO_START[name]}`);
  const stacks = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  const stackName = process.env.SHOPSTREAM_STACK ?? Object.keys(stacks)[0];
  const outputs = stackName ? stacks[stackName] : undefined;
  if (!outputs)
    throw new TargetError(`${outputsFile} has no outputs for stack ${stackName ?? '(none)'}`);

  const clientConfig: Record<string, unknown> = { region };
  if (endpoint) {
    clientConfig.endpoint = endpoint;
    clientConfig.credentials = {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    };
  }
  return { name, endpoint, region, outputs, outputsFile, clientConfig };
}

/** An output the stack must have, or a clear error. */
export function output(target: Target, key: string): string {
  const value = target.outputs[key];
  if (!value) throw new TargetError(`the stack outputs in ${target.outputsFile} have no ${key}`);
  return value;
}

/** Runs a command's main, printing a failure as one clear line and exiting non-zero. */
export function runCommand(main: () => Promise<void>): void {
  main().catch((error: Error) => {
    console.error(`error: ${error.message}`);
    process.exitCode = 1;
  });
}
