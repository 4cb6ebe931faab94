import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildFauxqs, type FauxqsApp } from './aws/fauxqs.ts';
import { type JsonAction, serveJson } from './aws/json-protocol.ts';
import { isLambdaRequest, serveLambda } from './lambda/api.ts';
import type { LambdaService } from './lambda/service.ts';
import type { ObjectCreatedEvent } from './s3/notifications.ts';

export interface ServiceRoutes {
  readonly logs: Record<string, JsonAction>;
  readonly secrets: Record<string, JsonAction>;
  /** SQS actions fauxqs lacks (message move tasks), answered in its JSON protocol. */
  readonly sqsExtra: Record<string, JsonAction>;
  readonly lambda: LambdaService;
  /** `/_shopstream/...` paths: custom resource responses. */
  readonly internal: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  readonly onObjectCreated: (
    bucket: string,
    key: string,
    eventName: ObjectCreatedEvent,
    sourceIp: string,
  ) => void;
}

export interface CloudServer {
  readonly fauxqs: FauxqsApp;
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

const NOT_OBJECT_WRITES = [
  'uploadId',
  'partNumber',
  'tagging',
  'acl',
  'retention',
  'legal-hold',
  'renameObject',
];

/**
 * One endpoint for every service, on loopback: fauxqs answers S3, SQS, SNS and STS; the
 * embedded cloud's own services are routed before fauxqs sees the request, by X-Amz-Target
 * (Logs, Secrets Manager, SQS move tasks) or by path (Lambda).
 */
export async function startServer(options: {
  port: number;
  stateDir: string;
  region: string;
  routes: () => ServiceRoutes;
}): Promise<CloudServer> {
  const fauxqs = await buildFauxqs({ stateDir: options.stateDir, region: options.region });
  const { app } = fauxqs;

  app.addHook('onRequest', async (request, reply) => {
    const routes = options.routes();
    const raw = request.raw;
    const target = String(raw.headers['x-amz-target'] ?? '');
    const url = raw.url ?? '/';
    let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
    if (target.startsWith('Logs_20140328.'))
      handle = (req, res) => serveJson(req, res, routes.logs);
    else if (target.startsWith('secretsmanager.'))
      handle = (req, res) => serveJson(req, res, routes.secrets);
    else if (
      target.startsWith('AmazonSQS.') &&
      routes.sqsExtra[target.slice('AmazonSQS.'.length)]
    ) {
      handle = (req, res) => serveJson(req, res, routes.sqsExtra, 'application/x-amz-json-1.0');
    } else if (isLambdaRequest(url)) handle = (req, res) => serveLambda(req, res, routes.lambda);
    else if (url.startsWith('/_shopstream/')) {
      handle = async (req, res) => {
        if (!(await routes.internal(req, res))) {
          res.statusCode = 404;
          res.end();
        }
      };
    }
    if (!handle) return;
    reply.hijack();
    await handle(raw, reply.raw);
  });

  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode !== 200) return;
    const [path = '', query = ''] = request.url.split('?');
    const segments = path.split('/').filter(Boolean);
    if (segments.length < 2) return;
    const params = new URLSearchParams(query);
    let eventName: ObjectCreatedEvent | null = null;
    if (request.method === 'PUT' && !NOT_OBJECT_WRITES.some((p) => params.has(p))) {
      eventName = request.headers['x-amz-copy-source'] ? 'ObjectCreated:Copy' : 'ObjectCreated:Put';
    } else if (request.method === 'POST' && params.has('uploadId')) {
      eventName = 'ObjectCreated:CompleteMultipartUpload';
    }
    if (!eventName) return;
    const [bucket, ...keyParts] = segments.map((s) => decodeURIComponent(s));
    options.routes().onObjectCreated(bucket as string, keyParts.join('/'), eventName, request.ip);
  });

  const address = await app.listen({ port: options.port, host: '127.0.0.1' });
  const port = Number(new URL(address).port);
  return {
    fauxqs,
    port,
    endpoint: `http://127.0.0.1:${port}`,
    close: () => fauxqs.close(),
  };
}
