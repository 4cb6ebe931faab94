import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from 'fauxqs';
import { faultPoint } from '../faults.ts';

/**
 * fauxqs (S3, SQS, SNS, STS), built here rather than through its `startFauxqs`, which always
 * listens on 0.0.0.0: the embedded cloud listens on loopback only and adds its own services
 * to the same Fastify app. The stores and persistence are fauxqs's own classes, reached by
 * file because the package exports only its entry point; the version is pinned exactly.
 *
 * Queues and objects share one SQLite database (fauxqs's own persistence), so what must
 * happen together commits together: an object and its notifications, a receive of up to ten
 * messages, a move to the dead-letter queue.
 */
const distDir = dirname(fileURLToPath(import.meta.resolve('fauxqs')));
const load = async <T>(file: string): Promise<T> =>
  import(pathToFileURL(join(distDir, file)).href) as Promise<T>;

type Ctor<T = unknown> = new (...args: never[]) => T;

/** An object write as the embedded cloud sees it, inside the transaction that stores it. */
export interface WrittenObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  /** `complete` for CompleteMultipartUpload; `put` for PutObject, CopyObject and POST. */
  readonly via: 'put' | 'complete';
  /** The version the write made, in a versioned bucket. */
  readonly versionId: string | null;
}

/** A SQLite statement as node:sqlite prepares it. */
export interface Statement {
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: unknown[]): Record<string, unknown> | undefined;
  all(...params: unknown[]): Record<string, unknown>[];
}

/**
 * The object store's tables (s3_objects, one row per current object) for what the embedded
 * cloud keeps beside them: object versions.
 */
export interface ObjectTables {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  /** Runs `fn` in one transaction with the store's writes (or the one already open). */
  atomically<T>(fn: () => T): T;
  hasBucket(bucket: string): boolean;
  /** The store's memory follows its s3_objects row for this key again, after SQL changed it. */
  reload(bucket: string, key: string): void;
}

export interface FauxqsApp {
  readonly app: ReturnType<typeof buildApp>;
  /** Puts a message on a standard queue directly, as SendMessage would, without an HTTP round trip. */
  enqueue(queueArn: string, body: string): void;
  /**
   * Makes every message in flight on a queue visible again, receive counts kept: for a
   * consumer that knows it holds none of them (a restart after a crash). Returns how many.
   */
  releaseInFlight(queueArn: string): number;
  /** Age in seconds of a queue's oldest message (visible, delayed or in flight), or null if empty. */
  oldestMessageAgeSeconds(queueName: string): number | null;
  /**
   * Deletes the waiting messages older than their queue's MessageRetentionPeriod, as SQS does
   * (fauxqs keeps them forever); runs every minute by itself. Returns how many went.
   */
  expireMessages(now?: number): number;
  readonly objects: ObjectTables;
  close(): Promise<void>;
}

export async function buildFauxqs(options: {
  stateDir: string;
  region: string;
  /** Called inside the transaction that stores an object: what it enqueues commits with it. */
  onObjectWritten?: (object: WrittenObject) => void;
  /**
   * Called inside the transaction that writes or deletes an object, before the store's row
   * changes; returns the version id the change makes, or null in an unversioned bucket.
   */
  beforeObjectChange?: (bucket: string, key: string, change: 'write' | 'delete') => string | null;
}): Promise<FauxqsApp> {
  const [
    { SqsStore, SqsQueue },
    { SnsStore },
    { S3Store },
    { PersistenceManager },
    { FileS3Persistence },
  ] = await Promise.all([
    load<{ SqsStore: Ctor; SqsQueue: Ctor }>('sqs/sqsStore.js'),
    load<{ SnsStore: Ctor }>('sns/snsStore.js'),
    load<{ S3Store: Ctor }>('s3/s3Store.js'),
    load<{ PersistenceManager: Ctor }>('persistence.js'),
    load<{ FileS3Persistence: Ctor }>('s3/fileS3Persistence.js'),
  ]);
  const queuesDir = join(options.stateDir, 'queues');
  mkdirSync(queuesDir, { recursive: true, mode: 0o700 });

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
  const atomically = <T>(fn: () => T): T => inTransaction(persistence, fn);
  // SQLite creates its files with the process's umask: objects and messages are the owner's.
  for (const file of readdirSync(queuesDir)) chmodSync(join(queuesDir, file), 0o600);
  repairPersistence(persistence, SqsQueue);
  migrateObjectFiles(join(options.stateDir, 'objects'), persistence, S3Store, FileS3Persistence);
  persistence.loadSqsAndSns(sqsStore, snsStore);
  persistence.loadS3(s3Store);
  sqsStore.persistence = persistence;
  snsStore.persistence = persistence;
  for (const queue of sqsStore.allQueues()) queue.persistence = persistence;
  s3Store.persistence = persistence;

  // An object and the notifications of its creation are one transaction: after a crash at any
  // point, either the object is not there or its notifications are queued.
  const upsertObject = persistence.upsertObject.bind(persistence);
  // biome-ignore lint/suspicious/noExplicitAny: fauxqs's object record
  persistence.upsertObject = (bucket: string, obj: any, via: 'put' | 'complete' = 'put') =>
    atomically(() => {
      const versionId = options.beforeObjectChange?.(bucket, obj.key, 'write') ?? null;
      upsertObject(bucket, obj);
      faultPoint('after-object-write', obj.key);
      options.onObjectWritten?.({
        bucket,
        key: obj.key,
        size: obj.contentLength,
        etag: obj.etag,
        via,
        versionId,
      });
    });
  const deleteObject = persistence.deleteObject.bind(persistence);
  persistence.deleteObject = (bucket: string, key: string) =>
    atomically(() => {
      options.beforeObjectChange?.(bucket, key, 'delete');
      deleteObject(bucket, key);
    });
  const deleteMultipartUpload = persistence.stmts.deleteMultipartUpload;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  persistence.completeMultipartUpload = (uploadId: string, bucket: string, obj: any) =>
    atomically(() => {
      persistence.upsertObject(bucket, obj, 'complete');
      deleteMultipartUpload.run(uploadId);
    });

  const readObjectMeta = persistence.db.prepare(
    `SELECT key, content_type, content_length, etag, last_modified, metadata, content_language,
            content_disposition, cache_control, content_encoding, parts, checksum_algorithm,
            checksum_value, checksum_type, part_checksums
       FROM s3_objects WHERE bucket = ? AND key = ?`,
  );
  const app = buildApp({
    logger: false,
    defaultRegion: options.region,
    stores: { sqsStore, snsStore, s3Store },
  });
  // Standard queues only (the stack has no FIFO queue); a message in flight expires once it is
  // back, at the next pass.
  function expireMessages(now = Date.now()): number {
    let expired = 0;
    atomically(() => {
      for (const queue of sqsStore.queues.values()) {
        if (queue.isFifo()) continue;
        const seconds = Number(queue.attributes.MessageRetentionPeriod ?? 345_600);
        const cutoff = now - seconds * 1000;
        const keep = (list: { messageId: string; sentTimestamp: number }[]) =>
          list.filter((m) => {
            if (m.sentTimestamp >= cutoff) return true;
            persistence.deleteMessage(m.messageId);
            expired++;
            return false;
          });
        if (queue.messages.length > 0) queue.messages = keep(queue.messages);
        if (queue.delayedMessages.length > 0) queue.delayedMessages = keep(queue.delayedMessages);
      }
    });
    return expired;
  }
  const expiry = setInterval(() => {
    try {
      expireMessages();
    } catch {
      // The next pass tries again; a message kept a minute longer is harmless.
    }
  }, 60_000);
  expiry.unref();

  return {
    app,
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
    releaseInFlight(queueArn) {
      const queue = sqsStore.getQueueByArn(queueArn);
      if (!queue) return 0;
      const handles = [...queue.inflightMessages.keys()];
      atomically(() => {
        for (const handle of handles) queue.changeVisibility(handle, 0);
      });
      return handles.length;
    },
    oldestMessageAgeSeconds(queueName) {
      const q = sqsStore.inspectQueue(queueName);
      if (!q) return null;
      const times = [
        ...q.messages.ready.map((m: { sentTimestamp: number }) => m.sentTimestamp),
        ...q.messages.delayed.map((m: { sentTimestamp: number }) => m.sentTimestamp),
        ...q.messages.inflight.map(
          (e: { message: { sentTimestamp: number } }) => e.message.sentTimestamp,
        ),
      ];
      return times.length === 0 ? null : Math.floor((Date.now() - Math.min(...times)) / 1000);
    },
    expireMessages,
    objects: {
      prepare: (sql) => persistence.db.prepare(sql),
      exec: (sql) => persistence.db.exec(sql),
      atomically,
      hasBucket: (bucket) => s3Store.hasBucket(bucket),
      reload(bucket, key) {
        const row = readObjectMeta.get(bucket, key);
        if (row) s3Store.restoreObject(bucket, objectOfRow(row));
        else s3Store.buckets.get(bucket)?.delete(key);
      },
    },
    async close() {
      clearInterval(expiry);
      await app.close();
      persistence.close();
    },
  };
}

/**
 * An s3_objects row as the store holds it in memory: metadata only, the body read on demand
 * (as fauxqs's own loading at start does).
 */
// biome-ignore lint/suspicious/noExplicitAny: an s3_objects row
function objectOfRow(row: any) {
  const json = (text: string | null) => (text ? JSON.parse(text) : undefined);
  const optional = {
    contentLanguage: row.content_language,
    contentDisposition: row.content_disposition,
    cacheControl: row.cache_control,
    contentEncoding: row.content_encoding,
    parts: json(row.parts),
    checksumAlgorithm: row.checksum_algorithm,
    checksumValue: row.checksum_value,
    checksumType: row.checksum_type,
    partChecksums: json(row.part_checksums),
  };
  return {
    key: row.key,
    body: Buffer.alloc(0),
    contentType: row.content_type,
    contentLength: row.content_length,
    etag: row.etag,
    lastModified: new Date(row.last_modified),
    metadata: JSON.parse(row.metadata),
    ...Object.fromEntries(
      Object.entries(optional).filter(([, v]) => v !== null && v !== undefined),
    ),
  };
}

/** Runs `fn` in a transaction of fauxqs's persistence, or in the one already open. */
// biome-ignore lint/suspicious/noExplicitAny: fauxqs's internal classes are untyped here.
function inTransaction<T>(persistence: any, fn: () => T): T {
  if (persistence.db.isTransaction) return fn();
  let result: T | undefined;
  persistence.transaction(() => {
    result = fn();
  });
  return result as T;
}

/**
 * Two repairs to fauxqs 2.4.1's SQLite persistence, both found by the fault suite:
 * - making a message visible again (ChangeMessageVisibility to 0, as every consumer that
 *   gives a message back does) writes NULL into the NOT NULL receive count: the statement
 *   fails after the message has left the in-memory queue, so the message vanished until a
 *   restart, and then waited out its old visibility timeout. Here it keeps the receive count.
 * - a receive updates each message it takes, and a move to the dead-letter queue deletes in
 *   one statement and inserts in another: here each receive is one transaction.
 */
function repairPersistence(
  // biome-ignore lint/suspicious/noExplicitAny: fauxqs's internal classes are untyped here.
  persistence: any,
  SqsQueue: Ctor,
): void {
  const ready = persistence.db.prepare(
    'UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE message_id = ?',
  );
  persistence.updateMessageReady = (messageId: string) => ready.run(messageId);
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const proto = SqsQueue.prototype as any;
  if (proto.transactionalReceive) return;
  proto.transactionalReceive = true;
  for (const name of ['dequeue', 'dequeueFifo']) {
    const original = proto[name];
    proto[name] = function (this: { persistence?: unknown }, ...args: unknown[]) {
      // The queue's persistence is the one this receive writes to; its own transaction.
      const run = () => original.apply(this, args);
      return this.persistence ? inTransaction(this.persistence, run) : run();
    };
  }
}

/**
 * State from before objects moved into the SQLite database (one file per object under
 * `.local/objects/`) is copied in, in one transaction, then the folder is removed.
 */
function migrateObjectFiles(
  objectsDir: string,
  // biome-ignore lint/suspicious/noExplicitAny: fauxqs's internal classes are untyped here.
  persistence: any,
  S3Store: Ctor,
  FileS3Persistence: Ctor,
): void {
  if (!existsSync(join(objectsDir, 'buckets'))) return;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const files: any = new (FileS3Persistence as Ctor)(...([objectsDir] as never[]));
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const old: any = new S3Store();
  files.loadS3(old);
  persistence.transaction(() => {
    for (const [bucket, objects] of old.buckets as Map<string, Map<string, { key: string }>>) {
      persistence.insertBucket(
        bucket,
        old.bucketCreationDates.get(bucket),
        old.bucketTypes.get(bucket),
      );
      for (const obj of objects.values())
        persistence.upsertObject(bucket, { ...obj, body: files.readBody(bucket, obj.key) });
    }
  });
  rmSync(objectsDir, { recursive: true, force: true });
}
