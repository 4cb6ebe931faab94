import type { IncomingMessage, ServerResponse } from 'node:http';
import { type JsonAction, serveJson } from './aws/json-protocol.ts';
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

  register(service: Service): this {
    if (service.json) this.byTarget.set(service.json.targetPrefix, service);
    if (service.query) this.bySigningName.set(service.query.signingName, service);
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

  /** The handler for a request, or null when fauxqs answers it. */
  route(req: IncomingMessage): RequestHandler | null {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.includes('.')) {
      const dot = target.indexOf('.');
      const json = this.byTarget.get(target.slice(0, dot))?.json;
      if (json && (json.actions[target.slice(dot + 1)] || !json.extends))
        return (rq, rs) => serveJson(rq, rs, json.actions, json.contentType);
      if (json) return null;
    }
    const contentType = String(req.headers['content-type'] ?? '');
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      const query = this.bySigningName.get(signingName(req))?.query;
      if (query) return (rq, rs) => serveQuery(rq, rs, query.actions, query.namespace);
    }
    const url = req.url ?? '/';
    const rest = this.rest.find((s) => url.startsWith(s.rest?.pathPrefix as string))?.rest;
    if (rest) return rest.handle;
    for (const service of this.s3) {
      const handle = service.s3?.route(req);
      if (handle) return handle;
    }
    return null;
  }
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
