import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LogStore } from '../logs/store.ts';

const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.ts', import.meta.url));

const HEAP_OPTION = /--max[-_](semi|old)[-_]space[-_]size/;

/**
 * V8 heap limits for a function of `memoryMb`, as Lambda's Node.js runtime sets them: a tenth
 * of the memory for the young generation (V8 splits it over three semi-spaces), the rest for
 * the old one. A function that sizes either space itself in NODE_OPTIONS gets neither flag, as
 * on Lambda, where the runtime then leaves both to the function.
 */
export function heapArguments(memoryMb: number, nodeOptions = ''): string[] {
  if (HEAP_OPTION.test(nodeOptions)) return [];
  const youngMb = Math.floor(memoryMb / 10);
  return [
    `--max-semi-space-size=${Math.max(1, Math.floor(youngMb / 3))}`,
    `--max-old-space-size=${memoryMb - youngMb}`,
  ];
}

export interface FunctionConfig {
  readonly name: string;
  readonly arn: string;
  readonly runtime: string;
  readonly handler: string;
  readonly codeDir: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly logGroup: string;
}

export interface ErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: string[];
}

export interface InvocationOutcome {
  readonly payload?: string;
  readonly error?: ErrorPayload;
  readonly durationMs: number;
  readonly timedOut: boolean;
  /**
   * The runtime was ended from outside by a terminal's signal (SIGINT, SIGTERM, SIGHUP: a
   * Ctrl-C to the process group reaches the environments before the cloud stops them), not by
   * its own code or a timeout.
   */
  readonly interrupted?: boolean;
}

/** Signals that end an environment from outside; the cloud itself kills with SIGKILL. */
const INTERRUPTS = new Set<string | null>(['SIGINT', 'SIGTERM', 'SIGHUP']);

export interface RuntimeEnvironment {
  readonly endpoint: string;
  readonly region: string;
}

/**
 * One execution environment: a Node.js process with the function's environment and memory,
 * reused while warm. Its output lands in its own log stream, between START and END/REPORT
 * lines; a timeout kills it, so the next invocation starts cold.
 */
export class ExecutionEnvironment {
  readonly streamName: string;
  state: 'starting' | 'idle' | 'busy' | 'dead' = 'starting';
  lastUsed = Date.now();
  private readonly child: ChildProcess;
  private readonly ready: Promise<
    { initMs: number } | { error: ErrorPayload; interrupted?: boolean }
  >;
  private initMs: number | null = null;
  private readonly doneMarkers = new Map<string, () => void>();
  private readonly seenMarkers = new Set<string>();
  private pending: ((message: Record<string, unknown>) => void) | null = null;
  private readonly config: FunctionConfig;
  private readonly logs: LogStore;

  constructor(config: FunctionConfig, runtime: RuntimeEnvironment, logs: LogStore) {
    this.config = config;
    this.logs = logs;
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    this.streamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    logs.createStream(config.logGroup, this.streamName);

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      AWS_REGION: runtime.region,
      AWS_DEFAULT_REGION: runtime.region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SESSION_TOKEN: 'test',
      // As LocalStack does: the SDK sends every call to the embedded cloud.
      AWS_ENDPOINT_URL: runtime.endpoint,
      AWS_EXECUTION_ENV: `AWS_Lambda_${config.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: config.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: config.logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: this.streamName,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: config.codeDir,
      LAMBDA_RUNTIME_DIR: config.codeDir,
      _HANDLER: config.handler,
      ...config.environment,
    };
    // Lambda's own CA bundle path does not exist here; Node would only warn about it.
    if (env.NODE_EXTRA_CA_CERTS && !existsSync(env.NODE_EXTRA_CA_CERTS))
      delete env.NODE_EXTRA_CA_CERTS;

    this.child = fork(BOOTSTRAP, [], {
      cwd: config.codeDir,
      env,
      // NODE_OPTIONS, from the function's environment, applies as on Lambda.
      execArgv: heapArguments(config.memoryMb, env.NODE_OPTIONS),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.pipeLines(this.child.stdout);
    this.pipeLines(this.child.stderr);
    this.ready = new Promise((resolve) => {
      this.child.once('message', (message: Record<string, unknown>) => {
        if (message.type === 'ready') {
          this.initMs = message.initMs as number;
          // An environment started for an invocation is already busy with it: marking it idle
          // here would let a second invocation in, and the first would never be answered.
          if (this.state === 'starting') this.state = 'idle';
          resolve({ initMs: this.initMs });
        } else {
          this.state = 'dead';
          resolve({ error: message.error as ErrorPayload });
        }
      });
      this.child.once('exit', (_code, signal) => {
        this.state = 'dead';
        resolve({
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: 'Runtime exited before it was ready',
          },
          interrupted: INTERRUPTS.has(signal),
        });
      });
    });
    this.child.on('message', (message: Record<string, unknown>) => {
      if (message.type === 'result') this.pending?.(message);
    });
    this.child.on('exit', (code, signal) => {
      this.state = 'dead';
      this.pending?.({ type: 'exit', code, signal });
    });
    // A kill of a process already gone, or a failed spawn: the environment is dead, the
    // cloud carries on.
    this.child.on('error', () => {
      this.state = 'dead';
    });
  }

  async invoke(event: unknown, requestId: string): Promise<InvocationOutcome> {
    this.state = 'busy';
    const log = (message: string) =>
      this.logs.put(this.config.logGroup, this.streamName, [{ message }]);
    const readiness = await this.ready;
    const coldInit = this.initMs;
    this.initMs = null;
    log(`START RequestId: ${requestId} Version: $LATEST`);
    const started = performance.now();
    if ('error' in readiness) {
      this.finish(log, requestId, started, null, 'error');
      return {
        error: readiness.error,
        durationMs: performance.now() - started,
        timedOut: false,
        interrupted: readiness.interrupted ?? false,
      };
    }
    const timeoutMs = this.config.timeoutSeconds * 1000;
    const outcome = await new Promise<Record<string, unknown>>((resolve) => {
      const timer = setTimeout(() => resolve({ type: 'timeout' }), timeoutMs);
      this.pending = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      const invocation = {
        type: 'invoke',
        requestId,
        event,
        deadline: Date.now() + timeoutMs,
        invokedFunctionArn: this.config.arn,
      };
      // A process that ended while idle (a Ctrl-C to the process group reaches it first) is
      // found here: the send fails (EPIPE, or the channel closed) and the invocation fails as
      // a runtime exit, instead of an unhandled 'error' ending the cloud.
      this.child.send(invocation, (error) => {
        if (!error) return;
        this.state = 'dead';
        // Its 'exit' event, with the signal that ended it, answers; this only if none comes.
        const exited = () =>
          this.pending?.({
            type: 'exit',
            code: this.child.exitCode,
            signal: this.child.signalCode,
          });
        if (this.child.exitCode !== null || this.child.signalCode !== null) exited();
        else setTimeout(exited, 1_000).unref();
      });
    });
    this.pending = null;
    const durationMs = performance.now() - started;

    if (outcome.type === 'timeout') {
      this.child.kill('SIGKILL');
      this.state = 'dead';
      const seconds = (durationMs / 1000).toFixed(2);
      log(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
      this.finish(log, requestId, started, coldInit, 'timeout');
      return {
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${seconds} seconds`,
        },
        durationMs,
        timedOut: true,
      };
    }
    if (outcome.type === 'exit') {
      this.finish(log, requestId, started, coldInit, 'error');
      return {
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with ${outcome.signal ?? `error: exit status ${outcome.code}`}`,
        },
        durationMs,
        timedOut: false,
        interrupted: INTERRUPTS.has(outcome.signal as string | null),
      };
    }
    await this.waitForOutput(requestId);
    this.finish(log, requestId, started, coldInit, null, outcome.maxRssMb as number | undefined);
    this.state = 'idle';
    this.lastUsed = Date.now();
    return {
      payload: outcome.payload as string | undefined,
      error: outcome.error as ErrorPayload | undefined,
      durationMs,
      timedOut: false,
    };
  }

  stop(): void {
    this.state = 'dead';
    this.child.kill('SIGKILL');
  }

  private finish(
    log: (m: string) => void,
    requestId: string,
    started: number,
    initMs: number | null,
    status: 'timeout' | 'error' | null,
    maxRssMb?: number,
  ) {
    const duration = performance.now() - started;
    log(`END RequestId: ${requestId}`);
    const parts = [
      `REPORT RequestId: ${requestId}`,
      `Duration: ${duration.toFixed(2)} ms`,
      `Billed Duration: ${Math.ceil(duration + (initMs ?? 0))} ms`,
      `Memory Size: ${this.config.memoryMb} MB`,
      `Max Memory Used: ${maxRssMb ?? 0} MB`,
    ];
    if (initMs !== null) parts.push(`Init Duration: ${initMs.toFixed(2)} ms`);
    if (status) parts.push(`Status: ${status}`);
    log(`${parts.join('\t')}\t`);
  }

  /** Waits until the invocation's end marker has come through stdout (it races the IPC reply). */
  private waitForOutput(requestId: string): Promise<void> {
    if (this.seenMarkers.delete(requestId)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      this.doneMarkers.set(requestId, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private pipeLines(stream: NodeJS.ReadableStream | null) {
    if (!stream) return;
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => {
      if (line.startsWith('\u0000done ')) {
        const id = line.slice(6);
        const done = this.doneMarkers.get(id);
        this.doneMarkers.delete(id);
        if (done) done();
        else this.seenMarkers.add(id);
        return;
      }
      this.logs.put(this.config.logGroup, this.streamName, [{ message: line }]);
    });
  }
}
