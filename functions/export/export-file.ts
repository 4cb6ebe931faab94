import { fileObjectKey } from '#shared/lake.ts';
import { enrichedEvent, StreamBatcher, type StreamMessage } from './enriched.ts';
import { LakeObjectWriter } from './parquet.ts';
import type { ExportLedger, LakeStore, SkipReason, StreamPublisher } from './ports.ts';

export interface ExportDeps {
  readonly ledger: ExportLedger;
  readonly lake: LakeStore;
  readonly stream: StreamPublisher;
}

export type ExportResult =
  | {
      readonly status: 'exported';
      readonly rows: number;
      readonly objects: number;
      readonly batches: number;
    }
  | { readonly status: SkipReason };

/** Messages published per PublishBatch call: four 63 KiB bodies fit its 256 KiB. */
const PUBLISH_GROUP = 3;

/**
 * Writes one committed file to the lake (a Parquet object per event date, at a key of its own,
 * so a retry overwrites) and to the stream (batches cut the same way on every try), then marks
 * it exported. The ledger row stays locked throughout: a second export of the same file waits,
 * then finds it marked and skips, and compaction only merges objects of marked files.
 */
export async function exportFile(fileId: string, deps: ExportDeps): Promise<ExportResult> {
  const unit = await deps.ledger.open(fileId);
  if ('skip' in unit) return { status: unit.skip };
  try {
    const writers = new Map<string, LakeObjectWriter>();
    const batcher = new StreamBatcher(fileId);
    let ready: StreamMessage[] = [];
    let rows = 0;
    for await (const page of unit.rows()) {
      for (const row of page) {
        let writer = writers.get(row.event_date);
        if (!writer) {
          writer = new LakeObjectWriter();
          writers.set(row.event_date, writer);
        }
        writer.add(row);
        const closed = batcher.add(enrichedEvent(row, unit.fileKey), row.event_type);
        if (closed) ready.push(closed);
        // Published as soon as a group is ready: at most one group's bodies are held.
        if (ready.length === PUBLISH_GROUP) {
          await deps.stream.publish(ready);
          ready = [];
        }
      }
      rows += page.length;
    }
    const last = batcher.flush();
    if (last) ready.push(last);
    if (ready.length > 0) await deps.stream.publish(ready);
    for (const [date, writer] of writers) {
      await deps.lake.put(fileObjectKey(date, fileId), writer.finish());
    }
    const done = { objects: writers.size, batches: batcher.batches };
    await unit.markExported(done);
    return { status: 'exported', rows, ...done };
  } catch (error) {
    await unit.abort();
    throw error;
  }
}
