import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readAssembly } from './cloudformation/assembly.ts';
import { deployStack } from './cloudformation/deploy.ts';
import { DEFAULT_PORT, DEFAULT_REGION } from './constants.ts';
import type { LambdaService } from './lambda/service.ts';
import type { SqsEventSource } from './lambda/sqs-event-source.ts';
import type { LogStore } from './logs/store.ts';
import { removeClusterLink } from './postgres/reachable.ts';
import type { RequestHandler } from './registry.ts';
import { startRuntime } from './runtime.ts';
import { openCloudServices } from './services.ts';
import { writeFileAtomic } from './shared/atomic-file.ts';

export { ACCOUNT_ID, TEST_CREDENTIALS as CREDENTIALS } from './constants.ts';

export interface LocalCloudOptions {
  /** @default 4566; 0 picks a free port */
  readonly port?: number;
  /** Where state lives between runs. @default `.local` */
  readonly stateDir?: string;
  /** The synthesized cloud assembly. @default `cdk.out` */
  readonly assemblyDir?: string;
  /** @default us-east-1 */
  readonly region?: string;
  /** Run each schedule once right after deploying, not only when it next fires. @default false */
  readonly fireSchedulesAtStart?: boolean;
  /** Deployment progress lines. */
  readonly progress?: (line: string) => void;
  /**
   * Something the cloud cannot run on without failed after start (PostgreSQL ended and could
   * not be started again). @default a progress line
   */
  readonly onFatal?: (error: Error) => void;
}

export interface LocalCloud {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly stackName: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly outputsFile: string;
  readonly lambda: LambdaService;
  readonly logs: LogStore;
  readonly eventSources: readonly SqsEventSource[];
  /**
   * Serves more on the endpoint: every request whose path starts with `pathPrefix` (a
   * `/_shopstream/` path) goes to `handle`. `close` runs first at the stop.
   */
  serve(route: {
    name: string;
    pathPrefix: string;
    handle: RequestHandler;
    close?: () => Promise<void>;
  }): void;
  stop(): Promise<void>;
}

/**
 * The embedded cloud: deploys a synthesized CDK stack onto S3, SQS, Lambda, Secrets Manager,
 * CloudWatch Logs and PostgreSQL in this process, on one endpoint, and runs it.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stateDir = resolve(options.stateDir ?? '.local');
  const progress = options.progress ?? (() => {});
  const assembly = readAssembly(resolve(options.assemblyDir ?? 'cdk.out'));
  const services = await openCloudServices({
    port: options.port ?? DEFAULT_PORT,
    stateDir,
    region: options.region ?? DEFAULT_REGION,
    stackName: assembly.stackName,
    codeByS3Key: assembly.codeByS3Key,
    progress,
    onFatal: options.onFatal ?? ((error) => progress(`error: ${error.message}`)),
  });
  const resources = Object.keys(assembly.template.Resources).length;
  progress(`deploying ${assembly.stackName} (${resources} resources)`);
  const deployed = await deployStack(assembly, services.state, services).catch(async (error) => {
    services.save();
    await services.close();
    throw error;
  });
  services.deployed(assembly.template, deployed.outputs);
  services.save();
  // The alarms' states before anything runs: what changes from here on is notified.
  await services.alarmNotifier.check().catch(() => {});
  const runtime = startRuntime(deployed.runtime, services, {
    fireSchedulesAtStart: options.fireSchedulesAtStart ?? false,
  });
  const outputsFile = join(stateDir, 'outputs.json');
  const outputs = { [assembly.stackName]: deployed.outputs };
  writeFileAtomic(outputsFile, `${JSON.stringify(outputs, null, 2)}\n`);
  progress(`deployed: ${deployed.created} created, ${deployed.kept} kept from the last run`);
  // Where the commands find this cloud, whatever port it took; removed at the stop.
  const endpointFile = join(stateDir, ENDPOINT_FILE);
  writeFileAtomic(
    endpointFile,
    `${JSON.stringify({ endpoint: services.endpoint, pid: process.pid })}\n`,
  );

  let stopping: Promise<void> | undefined;
  const closers: (() => Promise<void>)[] = [];
  return {
    endpoint: services.endpoint,
    port: services.server.port,
    region: services.region,
    stackName: assembly.stackName,
    outputs: deployed.outputs,
    outputsFile,
    lambda: services.lambda,
    logs: services.logs,
    eventSources: runtime.eventSources,
    serve({ name, pathPrefix, handle, close }) {
      services.registry.register({ name, rest: { pathPrefix, handle } });
      if (close) closers.push(close);
    },
    stop() {
      stopping ??= (async () => {
        await Promise.all(closers.map((close) => close().catch(() => {})));
        services.database.halt();
        await runtime.stop();
        services.save();
        await services.close();
        rmSync(endpointFile, { force: true });
      })();
      return stopping;
    },
  };
}

/** The file in the state folder that names the running cloud's endpoint. */
const ENDPOINT_FILE = 'endpoint.json';

/**
 * The endpoint of the cloud running on this state folder, or null: none started, or the
 * process that wrote it is gone (killed, so it could not remove the file).
 */
export function runningEndpoint(stateDir: string): string | null {
  const file = join(resolve(stateDir), ENDPOINT_FILE);
  if (!existsSync(file)) return null;
  let recorded: { endpoint: string; pid: number };
  try {
    recorded = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  try {
    process.kill(recorded.pid, 0);
  } catch (error) {
    // EPERM: alive, another user's.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  return recorded.endpoint;
}

/**
 * Removes a state folder: objects, messages, logs, and the database wherever its cluster lives
 * (outside the folder when root's PostgreSQL user could not reach it).
 */
export function removeCloudState(stateDir: string): void {
  removeClusterLink(join(resolve(stateDir), 'postgres'));
  rmSync(resolve(stateDir), { recursive: true, force: true });
}
