/**
 * The inside of one Lambda execution environment, run in its own process by
 * environment.ts: loads the handler from LAMBDA_TASK_ROOT, then runs invocations sent over
 * IPC, writing console output in the Lambda runtime's format.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { peakRssMb } from './peak-memory.ts';

type Handler = (
  event: unknown,
  context: unknown,
  callback?: (error: unknown, result?: unknown) => void,
) => unknown;

interface InvokeMessage {
  readonly type: 'invoke';
  readonly requestId: string;
  readonly event: unknown;
  readonly deadline: number;
  readonly invokedFunctionArn: string;
}

let requestId: string | undefined;

for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
] as const) {
  console[method] = (...args: unknown[]) => {
    process.stdout.write(
      `${new Date().toISOString()}\t${requestId ?? 'undefined'}\t${level}\t${format(...args).replaceAll('\n', '\r')}\n`,
    );
  };
}

function errorPayload(error: unknown) {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    errorType: e.name || 'Error',
    errorMessage: e.message,
    trace: (e.stack ?? '').split('\n'),
  };
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve) => process.send?.(message, () => resolve()));
}

async function loadHandler(): Promise<Handler> {
  const root = process.env.LAMBDA_TASK_ROOT ?? process.cwd();
  const spec = process.env._HANDLER ?? 'index.handler';
  const dot = spec.lastIndexOf('.');
  const moduleName = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const file = ['.mjs', '.js', '.cjs']
    .map((ext) => join(root, `${moduleName}${ext}`))
    .find((f) => existsSync(f));
  if (!file) {
    throw Object.assign(new Error(`Cannot find module '${moduleName}'`), {
      name: 'Runtime.ImportModuleError',
    });
  }
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const handler =
    mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${spec} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  return handler as Handler;
}

function run(handler: Handler, message: InvokeMessage): Promise<unknown> {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  return new Promise((resolve, reject) => {
    const callback = (error: unknown, result?: unknown) =>
      error ? reject(error) : resolve(result);
    try {
      const returned = handler(message.event, context, callback);
      if (returned && typeof (returned as Promise<unknown>).then === 'function') {
        (returned as Promise<unknown>).then(resolve, reject);
      } else if (handler.length < 3) {
        resolve(returned);
      }
    } catch (error) {
      reject(error);
    }
  });
}

const started = performance.now();
let handler: Handler;
try {
  handler = await loadHandler();
  await send({ type: 'ready', initMs: performance.now() - started });
} catch (error) {
  console.error(format('%s', (error as Error).stack ?? error));
  await send({ type: 'init-error', error: errorPayload(error) });
  process.exit(1);
}

process.on('message', async (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  requestId = message.requestId;
  let reply: Record<string, unknown>;
  try {
    const result = await run(handler, message);
    reply = {
      type: 'result',
      requestId: message.requestId,
      payload: JSON.stringify(result ?? null),
    };
  } catch (error) {
    const payload = errorPayload(error);
    process.stdout.write(
      `${new Date().toISOString()}\t${message.requestId}\tERROR\tInvoke Error \t${JSON.stringify(payload)}\n`,
    );
    reply = { type: 'result', requestId: message.requestId, error: payload };
  }
  // The marker tells the parent that every line of this invocation has been written.
  process.stdout.write(`\u0000done ${message.requestId}\n`, () => {
    void send({ ...reply, maxRssMb: peakRssMb() });
  });
  requestId = undefined;
});

// The cloud that started this environment is gone (killed): so is the environment, as a
// sandbox ends with its host, rather than running on unobserved.
process.on('disconnect', () => process.exit(129));

process.on('uncaughtException', (error) => {
  process.stdout.write(
    `${new Date().toISOString()}\t${requestId ?? 'undefined'}\tERROR\tUncaught Exception \t${JSON.stringify(errorPayload(error))}\n`,
  );
  process.exit(129);
});
