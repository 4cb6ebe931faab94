import type { FileLimits } from './content.ts';
import { type FileResult, ingestFile } from './ingest-file.ts';
import type { FileReceipt, Log, ObjectSource, RowSink } from './ports.ts';
import { type ObjectRef, parseNotification } from './s3-event.ts';

export interface MessageDeps {
  readonly bucket: string;
  readonly prefix: string;
  readonly source: ObjectSource;
  readonly sink: RowSink;
  /** A logger whose every line carries these keys. */
  readonly logFor: (keys: Record<string, string>) => Log;
  readonly now?: () => number;
  readonly limits?: FileLimits;
}

export type RecordResult =
  | { readonly ref: ObjectRef; readonly kind: 'refused' | 'ignored'; readonly reason: string }
  | { readonly kind: 'malformed'; readonly index: number; readonly reason: string }
  | {
      readonly ref: ObjectRef;
      readonly kind: 'file';
      readonly result: FileResult;
      readonly durationMs: number;
    };

export type MessageResult =
  | { readonly kind: 'test' }
  | { readonly kind: 'records'; readonly records: RecordResult[] };

/**
 * Handles one SQS message from S3: the test event is acknowledged, records for another
 * bucket are refused unread, keys outside the prefix or non-create events are ignored, and
 * each remaining object is ingested. Throws only what a retry could fix, or a message that
 * is not an S3 notification at all.
 */
export async function processMessage(
  body: string,
  receipt: FileReceipt,
  deps: MessageDeps,
): Promise<MessageResult> {
  const messageLog = deps.logFor({ messageId: receipt.messageId ?? '' });
  const notification = parseNotification(body);
  if (notification.kind === 'test') {
    messageLog.info('s3:TestEvent acknowledged', { bucket: notification.bucket });
    return { kind: 'test' };
  }
  const records: RecordResult[] = [];
  for (const bad of notification.malformed) {
    messageLog.error('record names no S3 object; skipped, the others go on', {
      recordIndex: bad.index,
      reason: bad.reason,
    });
    records.push({ kind: 'malformed', ...bad });
  }
  for (const ref of notification.records) {
    const log = deps.logFor({
      messageId: receipt.messageId ?? '',
      bucket: ref.bucket,
      key: ref.key,
    });
    if (ref.bucket !== deps.bucket) {
      log.warn('record for another bucket refused', { expectedBucket: deps.bucket });
      records.push({ ref, kind: 'refused', reason: 'foreign bucket' });
      continue;
    }
    if (!ref.eventName.startsWith('ObjectCreated:')) {
      log.info('not an object-created event; ignored', { eventName: ref.eventName });
      records.push({ ref, kind: 'ignored', reason: ref.eventName });
      continue;
    }
    if (!ref.key.startsWith(deps.prefix)) {
      log.info('key outside the incoming prefix; ignored', { prefix: deps.prefix });
      records.push({ ref, kind: 'ignored', reason: 'outside prefix' });
      continue;
    }
    const started = performance.now();
    log.info('ingesting', { size: ref.size, versionId: ref.versionId, etag: ref.etag });
    const result = await ingestFile(ref, receipt, {
      source: deps.source,
      sink: deps.sink,
      log,
      now: deps.now,
      limits: deps.limits,
    });
    const durationMs = Math.round(performance.now() - started);
    if (result.kind === 'ingested') {
      log.info('file ingested', {
        fileId: result.fileId,
        ...result.outcome,
        merged: result.merged,
        durationMs,
      });
    }
    records.push({ ref, kind: 'file', result, durationMs });
  }
  return { kind: 'records', records };
}
