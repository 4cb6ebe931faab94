import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from './errors.ts';

export type JsonAction = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Serves an AWS JSON-protocol service (X-Amz-Target: `<prefix>.<Action>`): one function per
 * action, errors as `{ "__type", "message" }` with `x-amzn-ErrorType`, as the SDKs expect.
 */
export async function serveJson(
  req: IncomingMessage,
  res: ServerResponse,
  actions: Readonly<Record<string, JsonAction>>,
  contentType = 'application/x-amz-json-1.1',
): Promise<void> {
  const target = String(req.headers['x-amz-target'] ?? '');
  const action = target.slice(target.indexOf('.') + 1);
  try {
    const handler = actions[action];
    if (!handler)
      throw new AwsError(
        'UnknownOperationException',
        `${action} is not supported by the embedded cloud`,
      );
    const raw = (await readBody(req)).toString('utf8');
    const input = raw.trim() === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    const output = (await handler(input)) ?? {};
    send(res, 200, contentType, JSON.stringify(output));
  } catch (error) {
    const e =
      error instanceof AwsError
        ? error
        : new AwsError('InternalFailure', (error as Error).message, 500);
    res.setHeader('x-amzn-ErrorType', e.code);
    send(res, e.status, contentType, JSON.stringify({ __type: e.code, message: e.message }));
  }
}

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
) {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('x-amzn-requestid', crypto.randomUUID());
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
