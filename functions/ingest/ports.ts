import type { Readable } from 'node:stream';
import type { ObjectRef } from './s3-event.ts';
import type { EventRow } from './validate.ts';

/** Where objects are read from (S3 in every deployment). */
export interface ObjectSource {
  /**
   * The object's bytes, exactly the version the notification named, or null when that
   * version is gone (deleted or overwritten before it was read).
   */
  open(ref: ObjectRef): Promise<Readable | null>;
}

export interface RejectedRow {
  readonly lineNumber: number;
  readonly raw: string;
  readonly reasons: readonly string[];
}

export type FileStatus = 'loaded' | 'rejected' | 'missing';

export interface FileOutcome {
  readonly status: FileStatus;
  readonly rowsTotal: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly rowsDuplicate: number;
  readonly error: string | null;
}

/** A ledger row that already accounts for the object version. */
export interface LedgerEntry extends FileOutcome {
  readonly fileId: string;
}

/**
 * One file's transaction: nothing it writes is visible until `commit`, and a file either
 * lands whole, with its ledger row, or not at all.
 */
export interface FileLoad {
  readonly fileId: string;
  /**
   * Loads rows, in batches. `direct` streams straight into the events table and throws
   * DuplicateKeyError, with nothing kept, at the first event_id already stored or repeated;
   * `merge` skips such rows and counts them.
   */
  loadEvents(
    batches: AsyncIterable<readonly EventRow[]>,
    mode: 'direct' | 'merge',
  ): Promise<{ loaded: number; duplicate: number }>;
  loadRejected(rows: AsyncIterable<RejectedRow>): Promise<number>;
  /** Drops every row written so far, keeping the transaction and its ledger row. */
  discardRows(): Promise<void>;
  commit(outcome: FileOutcome): Promise<void>;
  rollback(): Promise<void>;
}

export interface FileReceipt {
  readonly messageId: string | null;
  readonly receivedAt: Date;
}

/** The database side: the ledger that makes a second delivery a no-op, and the tables. */
export interface RowSink {
  /** Starts a file's transaction, or returns the ledger row when it was already ingested. */
  begin(
    ref: ObjectRef,
    receipt: FileReceipt,
  ): Promise<FileLoad | { readonly alreadyIngested: LedgerEntry }>;
  /**
   * Finishes the analytics of every file committed so far: applies the deltas still pending,
   * then settles the sessions inferred from inactivity; returns how many users it settled.
   */
  settle(): Promise<number>;
}

/** Structured log lines; the Lambda adapter is Powertools Logger. */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
