import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from 'fauxqs';

/**
 * fauxqs (S3, SQS, SNS, STS), built here rather than through its `startFauxqs`, which always
 * listens on 0.0.0.0: the embedded cloud listens on loopback only and adds its own services
 * to the same Fastify app. The stores and persistence are fauxqs's own classes, reached by
 * file because the package exports only its entry point; the version is pinned exactly.
 */
const distDir = dirname(fileURLToPath(import.meta.resolve('fauxqs')));
const load = async <T>(file: string): Promise<T> =>
  import(pathToFileURL(join(distDir, file)).href) as Promise<T>;

type Ctor<T = unknown> = new (...args: never[]) => T;

export interface S3ObjectInfo {
  readonly contentLength: number;
  readonly etag: string;
}

/** What the embedded cloud uses of fauxqs's S3 store. */
export interface S3StoreView {
  headObject(bucket: string, key: string): S3ObjectInfo;
}

export interface FauxqsStores {
  readonly s3: S3StoreView;
  /** Raw stores, for the services the embedded cloud adds on top (move tasks, inspection). */
  readonly sqs: unknown;
}

export interface FauxqsApp {
  readonly app: ReturnType<typeof buildApp>;
  readonly stores: FauxqsStores;
  /** Puts a message on a standard queue directly, as SendMessage would, without an HTTP round trip. */
  enqueue(queueArn: string, body: string): void;
  close(): Promise<void>;
}

export async function buildFauxqs(options: {
  stateDir: string;
  region: string;
}): Promise<FauxqsApp> {
  const [{ SqsStore }, { SnsStore }, { S3Store }, { PersistenceManager }, { FileS3Persistence }] =
    await Promise.all([
      load<{ SqsStore: Ctor }>('sqs/sqsStore.js'),
      load<{ SnsStore: Ctor }>('sns/snsStore.js'),
      load<{ S3Store: Ctor }>('s3/s3Store.js'),
      load<{ PersistenceManager: Ctor }>('persistence.js'),
      load<{ FileS3Persistence: Ctor }>('s3/fileS3Persistence.js'),
    ]);
  const queuesDir = join(options.stateDir, 'queues');
  const objectsDir = join(options.stateDir, 'objects');
  mkdirSync(queuesDir, { recursive: true });
  mkdirSync(objectsDir, { recursive: true });

  // biome-ignore lint/suspicious/noExplicitAny: fauxqs's internal classes are untyped here.
  const sqsStore: any = new SqsStore();
  // Queue URLs name the host the request came to (http://127.0.0.1:4566/000000000000/q), as
  // LocalStack's path strategy does: no sqs.<region>.localhost name that may not resolve.
  sqsStore.host = undefined;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const snsStore: any = new SnsStore();
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const s3Store: any = new S3Store();
  // Same order as startFauxqs: load state before wiring persistence into the stores.
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const persistence: any = new (PersistenceManager as Ctor)(...([queuesDir] as never[]));
  // fauxqs keeps queues in SQLite in WAL mode at the default synchronous=FULL: an fsync for
  // every send, receive and delete. With NORMAL a commit survives the process crashing, only
  // not the machine losing power, which is what a local cloud needs (sqlite.org/wal.html).
  persistence.db.exec('PRAGMA synchronous = NORMAL');
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const objects: any = new (FileS3Persistence as Ctor)(...([objectsDir] as never[]));
  persistence.loadSqsAndSns(sqsStore, snsStore);
  objects.loadS3(s3Store);
  sqsStore.persistence = persistence;
  snsStore.persistence = persistence;
  for (const queue of sqsStore.allQueues()) queue.persistence = persistence;
  s3Store.persistence = objects;

  const app = buildApp({
    logger: false,
    defaultRegion: options.region,
    stores: { sqsStore, snsStore, s3Store },
  });
  return {
    app,
    stores: { s3: s3Store as S3StoreView, sqs: sqsStore },
    enqueue(queueArn, body) {
      const queue = sqsStore.getQueueByArn(queueArn);
      if (!queue) throw new Error(`no queue ${queueArn}`);
      const delay = Number.parseInt(queue.attributes.DelaySeconds ?? '0', 10);
      queue.enqueue(
        (SqsStore as unknown as { createMessage: (...a: unknown[]) => unknown }).createMessage(
          body,
          {},
          delay > 0 ? delay : undefined,
        ),
      );
    },
    async close() {
      await app.close();
      persistence.close();
      objects.close();
    },
  };
}
