import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from './errors.ts';
import { readBody, send } from './json-protocol.ts';

export type QueryAction = (
  params: URLSearchParams,
  req: IncomingMessage,
) => Promise<unknown> | unknown;

/** XML a query action built itself (SQS's flattened lists), put in its result as it is. */
export class Xml {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/**
 * Serves an AWS query-protocol service (form-encoded `Action=...`, XML answers): results as
 * `<ActionResponse><ActionResult>`, lists as `<member>` elements, errors as an
 * `<ErrorResponse>` naming the code, as the SDKs and the AWS CLI expect.
 */
export async function serveQuery(
  req: IncomingMessage,
  res: ServerResponse,
  actions: Readonly<Record<string, QueryAction>>,
  namespace: string,
  /** Named in the error for an action not served, when no action of the service is. */
  service?: string,
): Promise<void> {
  const requestId = crypto.randomUUID();
  let params: URLSearchParams;
  try {
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    params = new URLSearchParams((await readBody(req)).toString('utf8'));
    for (const [key, value] of query) if (!params.has(key)) params.set(key, value);
  } catch {
    params = new URLSearchParams();
  }
  const action = params.get('Action') ?? '';
  try {
    const handler = actions[action];
    if (!handler) {
      throw new AwsError(
        'InvalidAction',
        `${action || 'A request without an Action'}${service ? ` (${service})` : ''} is not served by the embedded cloud`,
      );
    }
    const result = (await handler(params, req)) ?? {};
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${namespace}">` +
      `<${action}Result>${toXml(result)}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
    send(res, 200, 'text/xml', body);
  } catch (error) {
    const e =
      error instanceof AwsError
        ? error
        : new AwsError('InternalFailure', (error as Error).message, 500);
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${namespace}"><Error>` +
      `<Type>${e.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(e.code)}</Code>` +
      `<Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    send(res, e.status, 'text/xml', body);
  }
}

/** An object as query-protocol XML: members as elements, arrays as `<member>` lists. */
export function toXml(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Xml) return value.text;
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}

/**
 * A query-protocol request's parameters as the JSON protocol's input, for services whose lists
 * are not flattened (CloudFormation, CloudWatch): `Dimensions.member.1.Name=x` is
 * `{ Dimensions: [{ Name: 'x' }] }`; `Tags.entry.1.key` maps likewise become arrays of
 * entries. Values stay strings: each action reads numbers and times itself.
 */
export function queryInput(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const path = key.split('.');
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as string;
      const last = i === path.length - 1;
      if ((segment === 'member' || segment === 'entry') && Array.isArray(node)) continue;
      const next = path[i + 1];
      const isList = next === 'member' || next === 'entry';
      const slot = Array.isArray(node) ? Number(segment) - 1 : segment;
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[slot] = value;
      } else {
        container[slot] ??= isList ? [] : {};
        node = container[slot] as Record<string, unknown> | unknown[];
      }
    }
  }
  return compactLists(root) as Record<string, unknown>;
}

/** Lists built from 1-based indices, holes dropped. */
function compactLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactLists);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactLists(v)]));
  }
  return value;
}
