import { randomUUID } from 'node:crypto';
import { AwsError } from '../aws/errors.ts';
import { ACCOUNT_ID } from '../constants.ts';
import type { LogStore } from '../logs/store.ts';
import {
  ExecutionEnvironment,
  type FunctionConfig,
  type InvocationOutcome,
  type RuntimeEnvironment,
} from './environment.ts';

/** Environments of one function kept warm this long after their last invocation. */
const IDLE_MS = 10 * 60_000;
/** Most environments of one function at once (the account's concurrency, scaled to a laptop). */
const MAX_ENVIRONMENTS = 32;

export interface InvokeResult extends InvocationOutcome {
  readonly requestId: string;
  readonly logStreamName: string;
}

/** Lambda: registered functions, their pools of execution environments, invocations. */
export class LambdaService {
  private readonly functions = new Map<string, FunctionConfig>();
  private readonly pools = new Map<string, ExecutionEnvironment[]>();
  private readonly waiters = new Map<string, (() => void)[]>();
  private readonly reaper: NodeJS.Timeout;
  private readonly runtime: RuntimeEnvironment;
  private readonly logs: LogStore;
  private readonly invocationListeners = new Set<
    (functionName: string, outcome: InvocationOutcome | null) => void
  >();
  private stopped = false;

  constructor(runtime: RuntimeEnvironment, logs: LogStore) {
    this.runtime = runtime;
    this.logs = logs;
    this.reaper = setInterval(() => this.reap(), 30_000);
    this.reaper.unref();
  }

  register(config: FunctionConfig): void {
    this.functions.set(config.name, config);
    this.logs.createGroup(config.logGroup);
    // New code or settings: warm environments of the old version are retired.
    for (const env of this.pools.get(config.name) ?? []) if (env.state === 'idle') env.stop();
  }

  list(): FunctionConfig[] {
    return [...this.functions.values()];
  }

  get(nameOrArn: string): FunctionConfig {
    const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? '') : nameOrArn;
    const config = this.functions.get(name);
    if (!config) {
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${this.runtime.region}:${ACCOUNT_ID}:function:${name}`,
        404,
      );
    }
    return config;
  }

  async invoke(nameOrArn: string, event: unknown): Promise<InvokeResult> {
    const config = this.get(nameOrArn);
    if (!config.runtime.startsWith('nodejs')) {
      throw new AwsError(
        'InvalidRuntimeException',
        `The embedded cloud runs Node.js functions; ${config.name} uses ${config.runtime}`,
      );
    }
    const env = await this.acquire(config);
    const requestId = randomUUID();
    let outcome: InvocationOutcome | null = null;
    try {
      outcome = await env.invoke(event, requestId);
      return { ...outcome, requestId, logStreamName: env.streamName };
    } finally {
      this.release(config.name);
      for (const listener of this.invocationListeners) listener(config.name, outcome);
    }
  }

  /**
   * Calls the listener after every invocation with its outcome, or null when the environment
   * failed before answering (what CloudWatch counts as Lambda's Invocations and Errors).
   */
  onInvocation(
    listener: (functionName: string, outcome: InvocationOutcome | null) => void,
  ): () => void {
    this.invocationListeners.add(listener);
    return () => this.invocationListeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.reaper);
    for (const pool of this.pools.values()) for (const env of pool) env.stop();
    this.pools.clear();
  }

  private async acquire(config: FunctionConfig): Promise<ExecutionEnvironment> {
    for (;;) {
      if (this.stopped)
        throw new AwsError('ServiceException', 'the embedded cloud is stopping', 503);
      const pool = (this.pools.get(config.name) ?? []).filter((e) => e.state !== 'dead');
      this.pools.set(config.name, pool);
      const idle = pool.find((e) => e.state === 'idle');
      if (idle) {
        idle.state = 'busy';
        return idle;
      }
      if (pool.length < MAX_ENVIRONMENTS) {
        const env = new ExecutionEnvironment(config, this.runtime, this.logs);
        env.state = 'busy';
        pool.push(env);
        return env;
      }
      await new Promise<void>((resolve) => {
        const list = this.waiters.get(config.name) ?? [];
        list.push(resolve);
        this.waiters.set(config.name, list);
      });
    }
  }

  private release(name: string) {
    this.waiters.get(name)?.shift()?.();
  }

  private reap() {
    const now = Date.now();
    for (const pool of this.pools.values()) {
      for (const env of pool) if (env.state === 'idle' && now - env.lastUsed > IDLE_MS) env.stop();
    }
  }
}
