import type { IncomingMessage, ServerResponse } from 'node:http';
import { type JsonAction, send, serveJson } from './aws/json-protocol.ts';
import { type QueryAction, serveQuery } from './aws/query-protocol.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * A service of the embedded cloud as the router sees it: the actions it serves under each AWS
 * protocol it speaks. Requests for a service that is not registered (S3, SQS, SNS, STS) go on
 * to fauxqs.
 */
export interface Service {
  /** For people: 'CloudWatch Logs'. */
  readonly name: string;
  /** AWS JSON protocol: the X-Amz-Target prefix (`Logs_20140328`) and the actions served. */
  readonly json?: {
    readonly targetPrefix: string;
    readonly actions: Readonly<Record<string, JsonAction>>;
    /** @default application/x-amz-json-1.1 */
    readonly contentType?: string;
    /** Actions not listed go on to fauxqs (a fauxqs service extended here). @default false */
    readonly extends?: boolean;
  };
  /** AWS query protocol: the SigV4 signing name (`cloudformation`), the XML namespace, actions. */
  readonly query?: {
    readonly signingName: string;
    readonly namespace: string;
    readonly actions: Readonly<Record<string, QueryAction>>;
  };
  /** REST: every request whose path starts with the prefix. */
  readonly rest?: { readonly pathPrefix: string; readonly handle: RequestHandler };
  /** S3 requests fauxqs does not serve, picked by sub-resource or parameter; null passes on. */
  readonly s3?: { route(req: IncomingMessage): RequestHandler | null };
}

/** What fauxqs serves itself: S3, SQS over JSON, SNS and STS. */
const FAUXQS_SIGNING_NAMES = ['s3', 'sqs', 'sns', 'sts'];
const FAUXQS_TARGET_PREFIXES = ['AmazonSQS'];

/**
 * One router for every service the embedded cloud adds to fauxqs: by `X-Amz-Target` for the
 * JSON protocol, by the signing name of a form-encoded request for the query protocol, by path
 * for REST. A service registers once; an action is one entry of its table.
 */
export class ServiceRegistry {
  private readonly byTarget = new Map<string, Service>();
  private readonly bySigningName = new Map<string, Service>();
  private readonly rest: Service[] = [];
  private readonly s3: Service[] = [];
  private readonly served = new Set(FAUXQS_SIGNING_NAMES);

  register(service: Service): this {
    if (service.json) this.byTarget.set(service.json.targetPrefix, service);
    if (service.query) this.bySigningName.set(service.query.signingName, service);
    if (service.query) this.served.add(service.query.signingName);
    if (service.s3) this.s3.push(service);
    if (service.rest) {
      this.rest.push(service);
      // The longest prefix answers first.
      this.rest.sort((a, b) => (b.rest?.pathPrefix.length ?? 0) - (a.rest?.pathPrefix.length ?? 0));
    }
    return this;
  }

  services(): Service[] {
    return [
      ...new Set([
        ...this.byTarget.values(),
        ...this.bySigningName.values(),
        ...this.rest,
        ...this.s3,
      ]),
    ];
  }

  /**
   * The handler for a request, or null when fauxqs answers it. A request for a service or an
   * operation nothing here serves is answered in that service's own error format, naming it.
   */
  route(req: IncomingMessage): RequestHandler | null {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.includes('.')) {
      const dot = target.indexOf('.');
      const prefix = target.slice(0, dot);
      const json = this.byTarget.get(prefix)?.json;
      if (json && (json.actions[target.slice(dot + 1)] || !json.extends))
        return (rq, rs) => serveJson(rq, rs, json.actions, json.contentType);
      if (json || FAUXQS_TARGET_PREFIXES.includes(prefix)) return null;
      return (rq, rs) => serveJson(rq, rs, {}, req.headers['content-type'] || undefined);
    }
    const name = signingName(req);
    const contentType = String(req.headers['content-type'] ?? '');
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const query = this.bySigningName.get(name)?.query;
      if (query) return (rq, rs) => serveQuery(rq, rs, query.actions, query.namespace);
      if (name && !this.served.has(name))
        return (rq, rs) => serveQuery(rq, rs, {}, `https://${name}.amazonaws.com/`, name);
    }
    const url = req.url ?? '/';
    const rest = this.rest.find((s) => url.startsWith(s.rest?.pathPrefix as string))?.rest;
    if (rest) return rest.handle;
    for (const service of this.s3) {
      const handle = service.s3?.route(req);
      if (handle) return handle;
    }
    if (name && !this.served.has(name)) return async (_rq, rs) => unservedRest(rs, name, req);
    return null;
  }
}

/** A REST request for a service the embedded cloud does not serve: REST-JSON's error shape. */
function unservedRest(res: ServerResponse, service: string, req: IncomingMessage) {
  const message = `${req.method} ${(req.url ?? '/').split('?')[0]} (${service}) is not served by the embedded cloud`;
  res.setHeader('x-amzn-ErrorType', 'UnknownOperationException');
  send(res, 404, 'application/json', JSON.stringify({ message }));
}

/** The service a SigV4-signed request names in its credential scope. */
function signingName(req: IncomingMessage): string {
  const auth = String(req.headers.authorization ?? '');
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? '';
}

/**
 * A service's action table bound to what its actions share (a store, a region), as the JSON
 * protocol calls them: one action, its input.
 */
export function bindActions<C>(
  table: Readonly<Record<string, (input: Record<string, unknown>, context: C) => unknown>>,
  context: C,
): Record<string, JsonAction> {
  const actions: Record<string, JsonAction> = {};
  for (const [name, action] of Object.entries(table))
    actions[name] = (input) => action(input, context);
  return actions;
}
