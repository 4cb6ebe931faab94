import { buildFauxqs, type FauxqsApp } from './aws/fauxqs.ts';
import type { ServiceRegistry } from './registry.ts';
import type { CreatedObject, ObjectCreatedEvent } from './s3/notifications.ts';
import { ObjectVersions } from './s3/versions.ts';

export interface ServerOptions {
  readonly port: number;
  readonly stateDir: string;
  readonly region: string;
  /** The services added to fauxqs's; filled in once the endpoint is known. */
  readonly registry: ServiceRegistry;
  /** Runs inside the transaction that stores the object: what it enqueues commits with it. */
  readonly onObjectCreated: (object: CreatedObject) => void;
}

export interface CloudServer {
  readonly fauxqs: FauxqsApp;
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * One endpoint for every service, on loopback: the registry's services answer first, by
 * protocol; fauxqs answers the rest (S3, SQS, SNS, STS). Object writes notify from inside the
 * transaction that stores them.
 */
export async function startServer(options: ServerOptions): Promise<CloudServer> {
  // How each object write in progress was asked for: the store's write, which notifies, knows
  // only the object.
  const writes = new Map<string, { copy: boolean; sourceIp: string }>();
  // Bucket versioning, in fauxqs's database: built once that database is open.
  let versions: ObjectVersions | undefined;
  const fauxqs = await buildFauxqs({
    stateDir: options.stateDir,
    region: options.region,
    beforeObjectChange: (bucket, key, change) =>
      versions?.beforeChange(bucket, key, change) ?? null,
    onObjectWritten: (object) => {
      const request = writes.get(`${object.bucket}/${object.key}`);
      const eventName: ObjectCreatedEvent =
        object.via === 'complete'
          ? 'ObjectCreated:CompleteMultipartUpload'
          : request?.copy
            ? 'ObjectCreated:Copy'
            : request
              ? 'ObjectCreated:Put'
              : 'ObjectCreated:Post';
      options.onObjectCreated({
        bucket: object.bucket,
        key: object.key,
        size: object.size,
        etag: object.etag,
        eventName,
        sourceIp: request?.sourceIp ?? '127.0.0.1',
        versionId: object.versionId,
      });
    },
  });
  const objectVersions = new ObjectVersions(fauxqs.objects);
  versions = objectVersions;
  options.registry.register({ name: 'S3 versioning', s3: objectVersions });
  const { app } = fauxqs;
  const objectPath = (url: string) => {
    const segments = (url.split('?')[0] ?? '').split('/').filter(Boolean);
    if (segments.length < 2) return null;
    return segments.map((s) => decodeURIComponent(s)).join('/');
  };

  app.addHook('onRequest', async (request, reply) => {
    const raw = request.raw;
    const url = raw.url ?? '/';
    const handle = options.registry.route(raw);
    if (handle) {
      reply.hijack();
      await handle(raw, reply.raw);
      return;
    }
    const path = request.method === 'PUT' ? objectPath(url) : null;
    if (path)
      writes.set(path, { copy: Boolean(raw.headers['x-amz-copy-source']), sourceIp: request.ip });
  });

  // What fauxqs answered about an object of a versioned bucket names its current version.
  app.addHook('onSend', async (request, reply, payload) => {
    const path = objectPath(request.url);
    if (path) {
      const slash = path.indexOf('/');
      const headers = objectVersions.headersFor(path.slice(0, slash), path.slice(slash + 1));
      for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    }
    return payload;
  });

  app.addHook('onResponse', async (request) => {
    const path = request.method === 'PUT' ? objectPath(request.url) : null;
    if (path) writes.delete(path);
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
