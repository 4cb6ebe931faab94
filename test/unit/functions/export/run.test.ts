import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import type { ExportLedger } from '../../../../functions/export/ports.ts';
import { runExport } from '../../../../functions/export/run.ts';
import type { VisibilityChange } from '../../../../functions/ingest/visibility.ts';
import { sqsEvent, sqsRecord } from '../../../helpers/events.ts';
import { lambdaContext } from '../../../helpers/lambda-context.ts';

/** A ledger whose file 13 fails to open, and whose other files have no rows. */
function ledger(): ExportLedger {
  return {
    async open(fileId) {
      if (fileId === '13') throw new Error('database unreachable');
      return { skip: 'no-rows' as const };
    },
    exported: async () => new Set(),
    takeUnexported: async () => [],
    withCompactionLock: async () => true,
  };
}

describe('runExport on an SQS batch', () => {
  it('fails only the message whose export failed, logs why, and brings it back after a backoff', async () => {
    const changes: VisibilityChange[] = [];
    const errors: string[] = [];
    const logger = new Logger({ serviceName: 'export-test', logLevel: 'SILENT' });
    logger.error = ((message: string) => {
      errors.push(message);
    }) as Logger['error'];
    const good = sqsRecord(JSON.stringify({ fileId: '12' }), 'good');
    const bad = sqsRecord(JSON.stringify({ fileId: '13' }), 'bad');
    const again = { ...bad, messageId: 'again', receiptHandle: 'handle-again' };
    again.attributes = { ...bad.attributes, ApproximateReceiveCount: '3' };
    const response = await runExport(
      sqsEvent(good, bad, again),
      {
        ledger: ledger(),
        lake: {} as never,
        stream: {} as never,
        queue: { send: async () => {} },
        logger,
        processor: () => new BatchProcessor(EventType.SQS),
        processPartialResponse,
        visibility: {
          change: async (c) => {
            changes.push(...c);
          },
        },
      },
      lambdaContext('export'),
    );
    expect(response?.batchItemFailures).toEqual([
      { itemIdentifier: 'bad' },
      { itemIdentifier: 'again' },
    ]);
    expect(changes).toEqual([
      { receiptHandle: 'handle-bad', seconds: 5 },
      { receiptHandle: 'handle-again', seconds: 20 },
    ]);
    expect(errors).toEqual(['file export failed', 'file export failed']);
  });
});
