import type { BatchProcessor, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ExportRequestError, parseExportRequest } from '#shared/export-queue.ts';
import { backoffSeconds, DEFAULT_LEASE, type MessageVisibility } from '../ingest/visibility.ts';
import { compactLake } from './compact.ts';
import { exportFile } from './export-file.ts';
import { type GaugeSource, type MetricSink, recordGauges } from './gauges.ts';
import type { ExportLedger, ExportQueue, LakeStore, StreamPublisher } from './ports.ts';

/** What the schedules send: a sweep for files whose message was lost, or a compaction. */
export interface ExportAction {
  readonly action: 'sweep' | 'compact';
}

export interface RunDeps {
  readonly ledger: ExportLedger;
  readonly lake: LakeStore;
  readonly stream: StreamPublisher;
  readonly queue: ExportQueue;
  readonly logger: Logger;
  readonly processor: () => BatchProcessor;
  readonly processPartialResponse: typeof processPartialResponse;
  /**
   * The exports queue's side: a failed message comes back after 5 s, 10 s, 20 s, ... rather
   * than after the queue's visibility timeout. Without it, that timeout.
   */
  readonly visibility?: MessageVisibility;
  /** EMF metrics: each export's counts, and the sweep's gauges of the pipeline. */
  readonly metrics?: MetricSink;
  readonly gauges?: GaugeSource;
}

/** Files committed this long ago without an export are queued by the sweep. */
export const SWEEP_AFTER_SECONDS = 30;
const SWEEP_LIMIT = 1_000;

export async function runExport(
  event: SQSEvent | ExportAction,
  deps: RunDeps,
  context: Context,
): Promise<SQSBatchResponse | undefined> {
  if ('Records' in event) {
    const handleRecord = async (record: SQSRecord) => {
      let fileId: string;
      try {
        fileId = parseExportRequest(record.body).fileId;
      } catch (error) {
        if (!(error instanceof ExportRequestError)) throw error;
        // Not a request this function can ever serve: logged and consumed.
        deps.logger.error('exports queue message ignored', { reason: error.message });
        return;
      }
      const started = performance.now();
      let result: Awaited<ReturnType<typeof exportFile>>;
      try {
        result = await exportFile(fileId, deps);
      } catch (error) {
        // The message goes back to the queue for a retry; the log says why.
        deps.logger.error('file export failed', { fileId, error: error as Error });
        throw error;
      }
      const durationMs = Math.round(performance.now() - started);
      deps.logger.info('file exported', { fileId, ...result, durationMs });
      // A skip (already exported, say) has no counts.
      if (deps.metrics && 'rows' in result) {
        deps.metrics.addMetric('EventsExported', 'Count', result.rows);
        deps.metrics.addMetric('LakeObjects', 'Count', result.objects);
        deps.metrics.addMetric('StreamBatches', 'Count', result.batches);
        deps.metrics.addMetric('ExportDuration', 'Milliseconds', durationMs);
      }
    };
    const response = await deps.processPartialResponse(event, handleRecord, deps.processor(), {
      context,
      throwOnFullBatchFailure: false,
    });
    deps.metrics?.publishStoredMetrics();
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    if (deps.visibility && failed.size > 0) {
      const changes = event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({
        receiptHandle: r.receiptHandle,
        seconds: backoffSeconds(Number(r.attributes?.ApproximateReceiveCount ?? 1), DEFAULT_LEASE),
      }));
      await deps.visibility
        .change(changes)
        .catch((error: Error) => deps.logger.warn('failed messages not delayed', { error }));
    }
    return response;
  }
  if (event.action === 'sweep') {
    const fileIds = await deps.ledger.takeUnexported(SWEEP_AFTER_SECONDS, SWEEP_LIMIT);
    if (fileIds.length > 0) await deps.queue.send(fileIds);
    deps.logger.info('sweep done', { queued: fileIds.length });
    if (deps.metrics && deps.gauges) {
      // The figures are for people; a failure to read them never fails the sweep.
      try {
        recordGauges(deps.metrics, await deps.gauges.read());
        deps.metrics.publishStoredMetrics();
      } catch (error) {
        deps.logger.warn('pipeline gauges not published', { error: error as Error });
      }
    }
    return undefined;
  }
  if (event.action === 'compact') {
    const result = await compactLake(deps);
    deps.logger.info(result ? 'compaction done' : 'compaction already running', { ...result });
    return undefined;
  }
  throw new Error(
    `unknown export action ${JSON.stringify((event as { action?: unknown }).action)}`,
  );
}
