import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from '../aws/errors.ts';
import { readBody, send } from '../aws/json-protocol.ts';
import type { Service } from '../registry.ts';
import type { FunctionConfig } from './environment.ts';
import type { LambdaService } from './service.ts';

const PREFIX = '/2015-03-31/functions';

/** Lambda's REST API on the router. */
export function lambdaApi(lambda: LambdaService): Service {
  return {
    name: 'Lambda',
    rest: { pathPrefix: PREFIX, handle: (req, res) => serveLambda(req, res, lambda) },
  };
}

function describe(f: FunctionConfig) {
  return {
    FunctionName: f.name,
    FunctionArn: f.arn,
    Runtime: f.runtime,
    Handler: f.handler,
    Timeout: f.timeoutSeconds,
    MemorySize: f.memoryMb,
    Environment: { Variables: f.environment },
    LoggingConfig: { LogFormat: 'Text', LogGroup: f.logGroup },
    PackageType: 'Zip',
    State: 'Active',
    Version: '$LATEST',
  };
}

/** Lambda's REST API: Invoke, ListFunctions, GetFunction. */
export async function serveLambda(
  req: IncomingMessage,
  res: ServerResponse,
  lambda: LambdaService,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const rest = url.pathname.slice(PREFIX.length).replace(/^\/+|\/+$/g, '');
  const [encodedName, action] = rest.split('/');
  try {
    if (req.method === 'GET' && !encodedName) {
      send(
        res,
        200,
        'application/json',
        JSON.stringify({ Functions: lambda.list().map(describe) }),
      );
      return;
    }
    const name = decodeURIComponent(encodedName ?? '');
    if (req.method === 'GET' && !action) {
      const config = lambda.get(name);
      send(
        res,
        200,
        'application/json',
        JSON.stringify({ Configuration: describe(config), Code: { RepositoryType: 'S3' } }),
      );
      return;
    }
    if (req.method === 'POST' && action === 'invocations') {
      const raw = (await readBody(req)).toString('utf8');
      const event = raw === '' ? {} : JSON.parse(raw);
      const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      lambda.get(name);
      if (type === 'DryRun') {
        res.statusCode = 204;
        res.end();
        return;
      }
      if (type === 'Event') {
        lambda.invoke(name, event).catch(() => {});
        res.statusCode = 202;
        res.end();
        return;
      }
      const result = await lambda.invoke(name, event);
      res.setHeader('x-amz-executed-version', '$LATEST');
      if (req.headers['x-amz-log-type'] === 'Tail') {
        res.setHeader(
          'x-amz-log-result',
          Buffer.from(`RequestId: ${result.requestId}`).toString('base64'),
        );
      }
      if (result.error) {
        res.setHeader('x-amz-function-error', 'Unhandled');
        send(res, 200, 'application/json', JSON.stringify(result.error));
      } else {
        send(res, 200, 'application/json', result.payload ?? 'null');
      }
      return;
    }
    throw new AwsError(
      'UnknownOperationException',
      `${req.method} ${url.pathname} is not supported`,
      404,
    );
  } catch (error) {
    const e =
      error instanceof AwsError
        ? error
        : new AwsError('ServiceException', (error as Error).message, 500);
    res.setHeader('x-amzn-errortype', e.code);
    send(res, e.status, 'application/json', JSON.stringify({ Type: 'User', message: e.message }));
  }
}
