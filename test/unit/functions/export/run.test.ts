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

describe('runExport on a sweep', () => {
  const sink = () => {
    const added: [string, string, number][] = [];
    let published = 0;
    return {
      added,
      published: () => published,
      metrics: {
        addMetric: (name: string, unit: string, value: number) => {
          added.push([name, unit, value]);
        },
        publishStoredMetrics: () => {
          published++;
        },
      },
    };
  };
  const deps = (overrides: Partial<Parameters<typeof runExport>[1]>) => ({
    ledger: ledger(),
    lake: {} as never,
    stream: {} as never,
    queue: { send: async () => {} },
    logger: new Logger({ serviceName: 'export-test', logLevel: 'SILENT' }),
    processor: () => new BatchProcessor(EventType.SQS),
    processPartialResponse,
    ...overrides,
  });

  it("publishes the pipeline's gauges as metrics, leaving out what has no value yet", async () => {
    const s = sink();
    await runExport(
      { action: 'sweep' },
      deps({
        metrics: s.metrics,
        gauges: {
          read: async () => ({
            activeUsers: 42,
            eventsPerMinute: 310,
            purchasesPerMinute: 9,
            revenuePerMinute: 1234.5,
            lateEvents: 3,
            watermarkDelaySeconds: null,
            filesAwaitingExport: 1,
            exportLagSeconds: 12.5,
          }),
        },
      }),
      lambdaContext('export'),
    );
    expect(s.added).toEqual([
      ['ActiveUsers', 'Count', 42],
      ['EventsPerMinute', 'Count', 310],
      ['PurchasesPerMinute', 'Count', 9],
      ['RevenuePerMinute', 'None', 1234.5],
      ['LateEvents', 'Count', 3],
      ['FilesAwaitingExport', 'Count', 1],
      ['ExportLag', 'Seconds', 12.5],
    ]);
    expect(s.published()).toBe(1);
  });

  it('still sweeps when the gauges cannot be read, and says so', async () => {
    const s = sink();
    const warnings: string[] = [];
    const logger = new Logger({ serviceName: 'export-test', logLevel: 'SILENT' });
    logger.warn = ((message: string) => {
      warnings.push(message);
    }) as Logger['warn'];
    const queued: string[] = [];
    await runExport(
      { action: 'sweep' },
      deps({
        logger,
        ledger: { ...ledger(), takeUnexported: async () => ['7'] },
        queue: {
          send: async (ids) => {
            queued.push(...ids);
          },
        },
        metrics: s.metrics,
        gauges: {
          read: async () => {
            throw new Error('permission denied for view export_lag');
          },
        },
      }),
      lambdaContext('export'),
    );
    expect(queued).toEqual(['7']);
    expect(warnings).toEqual(['pipeline gauges not published']);
    expect(s.added).toEqual([]);
  });
});
