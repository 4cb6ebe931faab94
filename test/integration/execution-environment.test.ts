import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutionEnvironment } from '../../local/lambda/environment.ts';
import { LogStore } from '../../local/logs/store.ts';

describe('an execution environment started for an invocation', () => {
  let env: ExecutionEnvironment | undefined;
  afterEach(() => env?.stop());

  it('stays busy with it through its cold start, so no second invocation is let in', async () => {
    const codeDir = mkdtempSync(join(tmpdir(), 'shopstream-fn-'));
    writeFileSync(
      join(codeDir, 'index.mjs'),
      'export const handler = async (event) => { await new Promise((r) => setTimeout(r, 300)); return event; };',
    );
    const logDir = join(mkdtempSync(join(tmpdir(), 'shopstream-logs-')), 'logs');
    mkdirSync(logDir);
    env = new ExecutionEnvironment(
      {
        name: 'fn',
        arn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
        runtime: 'nodejs24.x',
        handler: 'index.handler',
        codeDir,
        timeoutSeconds: 10,
        memoryMb: 128,
        environment: {},
        logGroup: '/aws/lambda/fn',
      },
      { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' },
      new LogStore(logDir),
    );
    const states: string[] = [];
    const watch = setInterval(() => states.push(env?.state ?? ''), 5);
    const outcome = await env.invoke({ n: 1 }, 'req-1');
    clearInterval(watch);
    expect(outcome.payload).toBe('{"n":1}');
    // From the invoke until its answer the environment was never offered as idle.
    expect(states.length).toBeGreaterThan(10);
    expect(states).not.toContain('idle');
    expect(env.state).toBe('idle');
  });
});
