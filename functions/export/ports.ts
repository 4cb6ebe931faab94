import type { CompactionManifest } from '#shared/lake.ts';
import type { ExportRow, StreamMessage } from './enriched.ts';

/** A file's export, opened under its ledger row's lock: the rows, then the mark. */
export interface ExportUnit {
  readonly fileId: string;
  readonly fileKey: string;
  /** The file's committed events in event_id order, in pages. */
  rows(): AsyncIterable<readonly ExportRow[]>;
  /** Records the export in the ledger and releases the lock. */
  markExported(done: { objects: number; batches: number }): Promise<void>;
  /** Releases the lock, marking nothing. */
  abort(): Promise<void>;
}

export type SkipReason = 'exported' | 'not-found' | 'no-rows';

export interface ExportLedger {
  open(fileId: string): Promise<ExportUnit | { readonly skip: SkipReason }>;
  /** Of these file ids, those whose export is marked. */
  exported(fileIds: readonly string[]): Promise<Set<string>>;
  /**
   * Files committed at least `olderThanSeconds` ago and not exported, that the sweep has not
   * queued in the last few minutes; marks them queued.
   */
  takeUnexported(olderThanSeconds: number, limit: number): Promise<string[]>;
  /** Runs `work` unless another compaction holds the lock; false when it did not run. */
  withCompactionLock(work: () => Promise<void>): Promise<boolean>;
}

/** The lake bucket, as much of it as export and compaction use. */
export interface LakeStore {
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** The object, or null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  list(prefix: string): Promise<{ key: string; size: number }[]>;
  /** The partition prefixes directly under a prefix. */
  listPrefixes(prefix: string): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
}

export interface StreamPublisher {
  publish(messages: readonly StreamMessage[]): Promise<void>;
}

export interface ExportQueue {
  send(fileIds: readonly string[]): Promise<void>;
}

export type { CompactionManifest };
