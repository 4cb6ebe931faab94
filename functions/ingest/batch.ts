import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { FileLimits } from './content.ts';
import type { DeadLetters } from './dead-letters.ts';
import { MalformedMessageError } from './errors.ts';
import type { Log, ObjectSource, RowSink } from './ports.ts';
import { type MessageResult, processMessage } from './process-message.ts';
import {
  backoffSeconds,
  DEFAULT_LEASE,
  holdMessages,
  type LeaseSettings,
  type MessageVisibility,
} from './visibility.ts';

export interface BatchDeps {
  readonly bucket: string;
  readonly prefix: string;
  readonly source: ObjectSource;
  readonly sink: RowSink;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Where held messages are leased and failed ones delayed; without it, the queue's timeout. */
  readonly visibility?: MessageVisibility;
  /** @default DEFAULT_LEASE */
  readonly lease?: LeaseSettings;
  /** @default DEFAULT_LIMITS */
  readonly limits?: FileLimits;
  /**
   * Where a message that can never succeed (not an S3 notification) goes at once; without
   * it, such a message fails until the queue's redrive policy moves it.
   */
  readonly deadLetters?: DeadLetters;
  /**
   * Where files committed with rows are announced, after the commit, for the lake and the
   * stream; without it, the export's sweep finds them.
   */
  readonly exports?: { send(fileIds: readonly string[]): Promise<void> };
}

/**
 * The SQS side: each message succeeds or fails on its own (ReportBatchItemFailures), so a
 * transient failure retries only its message, and it reaches the dead-letter queue after
 * maxReceiveCount receives. Messages are held on a short lease while they load, and a failed
 * one comes back after a backoff that grows with its receive count, not after the queue's
 * half-hour visibility timeout.
 */
export function createBatchHandler(deps: BatchDeps) {
  const { logger, metrics } = deps;
  const logFor = (keys: Record<string, string>) => keyedLog(logger, keys);

  let committed: string[] = [];
  const handleRecord = async (record: SQSRecord) => {
    const receipt = { messageId: record.messageId, receivedAt: new Date() };
    try {
      const result = await processMessage(record.body, receipt, { ...deps, logFor });
      recordMetrics(metrics, result);
      committed.push(...committedFiles(result));
    } catch (error) {
      const log = logFor({ messageId: record.messageId });
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
      // A body that is not an S3 notification fails the same way on every receive.
      if (error instanceof MalformedMessageError && deps.deadLetters) {
        await deps.deadLetters.send({
          body: record.body,
          reason: error.message,
          sourceMessageId: record.messageId,
          receiveCount,
        });
        log.error('message can never succeed; sent to the dead-letter queue', {
          reason: error.message,
        });
        metrics.addMetric('MessagesDeadLettered', MetricUnit.Count, 1);
        return;
      }
      log.error('message failed; it will be retried', { error: error as Error, receiveCount });
      throw error;
    }
  };

  const lease = deps.lease ?? DEFAULT_LEASE;
  const log = logFor({});
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const started = performance.now();
    committed = [];
    const held = deps.visibility
      ? holdMessages(
          deps.visibility,
          event.Records.map((r) => r.receiptHandle),
          lease,
          log,
        )
      : null;
    try {
      let response: SQSBatchResponse;
      try {
        response = await processPartialResponse(
          event,
          handleRecord,
          new BatchProcessor(EventType.SQS),
          {
            context,
            throwOnFullBatchFailure: false,
          },
        );
      } finally {
        await held?.release();
      }
      await delayFailed(event, response, deps.visibility, lease, log);
      await settleAnalytics(deps.sink, log);
      await announceExports(deps.exports, committed, log);
      logger.info('batch done', {
        messages: event.Records.length,
        failed: response.batchItemFailures.length,
      });
      return response;
    } finally {
      metrics.addMetric(
        'BatchDuration',
        MetricUnit.Milliseconds,
        Math.round(performance.now() - started),
      );
      metrics.publishStoredMetrics();
    }
  };
}

/**
 * The analytics of the batch's files are applied, and the sessions inferred from inactivity
 * settled, after the commits, within the invocation that made them. A settle that fails
 * changes no file: what it would have done stays pending and the next invocation's settle
 * does it.
 */
async function settleAnalytics(sink: BatchDeps['sink'], log: Log): Promise<void> {
  try {
    const users = await sink.settle();
    if (users > 0) log.debug('inferred sessions settled', { users });
  } catch (error) {
    log.warn('inferred sessions not settled; the next batch will', { error: error as Error });
  }
}

/** Failed messages wait a backoff growing with their receive count, then come back. */
/**
 * The files this batch committed go to the exports queue once settled. A send that fails
 * loses nothing: the export function's sweep queues every committed file not yet exported.
 */
async function announceExports(
  exports: BatchDeps['exports'],
  fileIds: readonly string[],
  log: Log,
): Promise<void> {
  if (!exports || fileIds.length === 0) return;
  try {
    await exports.send(fileIds);
  } catch (error) {
    log.warn('exports not announced; the sweep will queue them', { error: error as Error });
  }
}

function committedFiles(result: MessageResult): string[] {
  if (result.kind !== 'records') return [];
  return result.records.flatMap((record) =>
    record.kind === 'file' &&
    record.result.kind === 'ingested' &&
    record.result.outcome.rowsLoaded > 0
      ? [record.result.fileId]
      : [],
  );
}

async function delayFailed(
  event: SQSEvent,
  response: SQSBatchResponse,
  visibility: MessageVisibility | undefined,
  lease: LeaseSettings,
  log: Log,
): Promise<void> {
  if (!visibility || response.batchItemFailures.length === 0) return;
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  const changes = event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
    receiptHandle: r.receiptHandle,
    seconds: backoffSeconds(Number(r.attributes?.ApproximateReceiveCount ?? 1), lease),
  }));
  await visibility
    .change(changes)
    .catch((error: Error) => log.warn('failed messages not delayed', { error }));
}

function recordMetrics(metrics: Metrics, result: MessageResult) {
  if (result.kind !== 'records') return;
  for (const record of result.records) {
    if (record.kind !== 'file') continue;
    const { result: file } = record;
    if (file.kind === 'skipped') {
      metrics.addMetric('FilesSkipped', MetricUnit.Count, 1);
      continue;
    }
    const { outcome } = file;
    metrics.addMetric(`Files${capitalize(outcome.status)}`, MetricUnit.Count, 1);
    metrics.addMetric('RowsLoaded', MetricUnit.Count, outcome.rowsLoaded);
    metrics.addMetric('RowsRejected', MetricUnit.Count, outcome.rowsRejected);
    metrics.addMetric('RowsDuplicate', MetricUnit.Count, outcome.rowsDuplicate);
    metrics.addMetric('FileDuration', MetricUnit.Milliseconds, record.durationMs);
    if (record.ref.eventTime) {
      const latency = Date.now() - Date.parse(record.ref.eventTime);
      if (Number.isFinite(latency))
        metrics.addMetric('FileLatency', MetricUnit.Milliseconds, Math.max(0, latency));
    }
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A log whose every line carries `keys`. The keys go with each call rather than into a
 * `createChild` logger: a child re-reads its configuration from the environment, and with two
 * per file that was about 5 % of the function's CPU on files of 100 rows.
 */
function keyedLog(logger: Logger, keys: Record<string, string>): Log {
  return {
    debug: (message, extra) => logger.debug(message, { ...keys, ...extra }),
    info: (message, extra) => logger.info(message, { ...keys, ...extra }),
    warn: (message, extra) => logger.warn(message, { ...keys, ...extra }),
    error: (message, extra) => logger.error(message, { ...keys, ...extra }),
  };
}
