import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { escapeLiteral, type Pool, type PoolClient, type QueryResult } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DEFAULTS } from '#shared/contract.ts';
import { HeldTransaction } from '#shared/held-transaction.ts';
import { EVENT_COLUMNS, eventLine, REJECTED_COLUMNS, rejectedLine } from './copy-text.ts';
import { DuplicateKeyError } from './errors.ts';
import type {
  FileLoad,
  FileOutcome,
  FileReceipt,
  LedgerEntry,
  RejectedRow,
  RowSink,
} from './ports.ts';
import type { ObjectRef } from './s3-event.ts';
import type { EventRow } from './validate.ts';

/** Rows are handed to COPY in chunks of about this many characters. */
const COPY_CHUNK = 64 * 1024;
const UNIQUE_VIOLATION = '23505';

/**
 * A value as an SQL literal, for the statements sent together in one simple query (the
 * extended protocol, which carries parameters, takes one statement at a time): strings
 * through pg's own escapeLiteral, numbers only when they are integers.
 */
function literal(value: string | number | Date | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
    return String(value);
  }
  return escapeLiteral(value instanceof Date ? value.toISOString() : value);
}

export interface AnalyticsSettings {
  /** How far behind the latest event time a window closes (Spark's watermark delay). */
  readonly allowedLatenessSeconds: number;
  /** Inactivity that ends an inferred session. */
  readonly sessionGapSeconds: number;
}

/** The deltas are folded at most this often (sql/0006_analytics_rollup.sql). */
const ROLLUP_EVERY_SECONDS = 10;

export const DEFAULT_ANALYTICS: AnalyticsSettings = {
  allowedLatenessSeconds: DEFAULTS.allowedLatenessSeconds,
  sessionGapSeconds: DEFAULTS.sessionGapSeconds,
};

/**
 * The PostgreSQL side of ingestion: the ledger, COPY into events, the quarantine; and the
 * stream analytics, marked pending in each file's transaction and applied after its commit
 * (sql/0005_analytics.sql).
 */
export class PgRowSink implements RowSink {
  private readonly pool: Pool;
  private readonly analytics: AnalyticsSettings;

  constructor(pool: Pool, analytics: AnalyticsSettings = DEFAULT_ANALYTICS) {
    this.pool = pool;
    this.analytics = analytics;
  }

  /**
   * The analytics of every committed file still pending (this invocation's, and any an earlier
   * one committed and did not get to), each taken once; then the inferred sessions of the
   * users they touched, after any settle already running; then, every few seconds, a rollup
   * of the deltas. One round trip (sql/0006_analytics_rollup.sql).
   */
  async settle(): Promise<number> {
    const { rows } = await this.pool.query<{ settled: number | null }>(
      'CALL analytics_after_commit(make_interval(secs => $1), make_interval(secs => $2))',
      [this.analytics.sessionGapSeconds, ROLLUP_EVERY_SECONDS],
    );
    return rows[0]?.settled ?? 0;
  }

  /** Records the settings in the database, for the views that show them (the watermark). */
  async recordSettings(): Promise<void> {
    await this.pool.query(
      `UPDATE pipeline_settings
          SET allowed_lateness = make_interval(secs => $1), session_gap = make_interval(secs => $2)
        WHERE allowed_lateness <> make_interval(secs => $1) OR session_gap <> make_interval(secs => $2)`,
      [this.analytics.allowedLatenessSeconds, this.analytics.sessionGapSeconds],
    );
  }

  async begin(
    ref: ObjectRef,
    receipt: FileReceipt,
  ): Promise<FileLoad | { alreadyIngested: LedgerEntry }> {
    const tx = new HeldTransaction(await this.pool.connect());
    const { client } = tx;
    try {
      // The three statements that open a file go in one round trip, so a small file's whole
      // load is three (this, COPY, and the ledger update with COMMIT) rather than six.
      // A concurrent delivery of the same version waits here on the unique key until the
      // first one commits (then finds its row) or rolls back (then takes over).
      const values = [
        ref.bucket,
        ref.key,
        ref.versionId,
        ref.etag,
        ref.sequencer,
        ref.size,
        ref.eventTime,
        receipt.messageId,
        receipt.receivedAt,
      ].map(literal);
      const [, inserted] = (await client.query(
        `BEGIN;
         INSERT INTO ingested_files
           (bucket, key, version_id, etag, sequencer, size_bytes, object_created_at, message_id, received_at, status)
         VALUES (${values.join(', ')}, 'loaded')
         ON CONFLICT (bucket, key, object_version) DO NOTHING
         RETURNING id;
         SAVEPOINT file_rows`,
      )) as unknown as QueryResult<{ id: string }>[];
      if (!inserted) throw new Error('the ledger insert returned no result');
      const id = inserted.rows[0]?.id;
      if (id === undefined) {
        const existing = await client.query(
          `SELECT id, status, rows_total, rows_loaded, rows_rejected, rows_duplicate, error
             FROM ingested_files
            WHERE bucket = $1 AND key = $2 AND object_version = coalesce($3, $4, '')`,
          [ref.bucket, ref.key, ref.versionId, ref.etag],
        );
        await tx.rollback();
        const row = existing.rows[0];
        return {
          alreadyIngested: {
            fileId: String(row.id),
            status: row.status,
            rowsTotal: row.rows_total,
            rowsLoaded: row.rows_loaded,
            rowsRejected: row.rows_rejected,
            rowsDuplicate: row.rows_duplicate,
            error: row.error,
          },
        };
      }
      return new PgFileLoad(tx, String(id), this.analytics.allowedLatenessSeconds);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      tx.release(error instanceof Error ? error : undefined);
      throw error;
    }
  }
}

class PgFileLoad implements FileLoad {
  readonly fileId: string;
  private readonly tx: HeldTransaction;
  private readonly client: PoolClient;
  private readonly latenessSeconds: number;

  constructor(tx: HeldTransaction, fileId: string, latenessSeconds: number) {
    this.tx = tx;
    this.client = tx.client;
    this.fileId = fileId;
    this.latenessSeconds = latenessSeconds;
  }

  async loadEvents(rows: AsyncIterable<readonly EventRow[]>, mode: 'direct' | 'merge') {
    if (mode === 'direct') {
      try {
        const loaded = await this.copy(
          `COPY events (${EVENT_COLUMNS}) FROM STDIN`,
          rows,
          eventLine,
        );
        return { loaded, duplicate: 0 };
      } catch (error) {
        if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
          await this.discardRows();
          throw new DuplicateKeyError((error as Error).message);
        }
        throw error;
      }
    }
    await this.client.query(
      'CREATE TEMP TABLE staging_events (LIKE events INCLUDING DEFAULTS) ON COMMIT DROP',
    );
    const staged = await this.copy(
      `COPY staging_events (${EVENT_COLUMNS}) FROM STDIN`,
      rows,
      eventLine,
    );
    // First occurrence in the file wins; ids already stored are left as they are.
    const { rows: result } = await this.client.query<{ loaded: number }>(
      `WITH inserted AS (
         INSERT INTO events (${EVENT_COLUMNS})
         SELECT DISTINCT ON (event_id) ${EVENT_COLUMNS} FROM staging_events
          ORDER BY event_id, line_number
         ON CONFLICT (event_id) DO NOTHING
         RETURNING 1)
       SELECT count(*)::int AS loaded FROM inserted`,
    );
    const loaded = result[0]?.loaded ?? 0;
    await this.client.query('DROP TABLE staging_events');
    return { loaded, duplicate: staged - loaded };
  }

  loadRejected(rows: AsyncIterable<RejectedRow>): Promise<number> {
    return this.copy(
      `COPY rejected_rows (${REJECTED_COLUMNS}) FROM STDIN`,
      inBatches(rows),
      rejectedLine,
    );
  }

  async discardRows(): Promise<void> {
    await this.client.query('ROLLBACK TO SAVEPOINT file_rows');
  }

  async commit(outcome: FileOutcome): Promise<void> {
    // A file with rows records the watermark it saw and that its analytics are pending, in the
    // same round trip and ledger update: the deltas are applied right after the commit
    // (settle), exactly once.
    const id = literal(Number(this.fileId));
    const analytics = outcome.rowsLoaded > 0;
    const pending = analytics ? `INSERT INTO analytics_pending (file_id) VALUES (${id});` : '';
    const watermark = analytics
      ? `, watermark_at_commit = (SELECT max(max_event_time) FROM ingested_files)
                                  - make_interval(secs => ${literal(this.latenessSeconds)})`
      : '';
    await this.tx.finish(
      `${pending}
       UPDATE ingested_files
          SET status = ${literal(outcome.status)}, rows_total = ${literal(outcome.rowsTotal)},
              rows_loaded = ${literal(outcome.rowsLoaded)}, rows_rejected = ${literal(outcome.rowsRejected)},
              rows_duplicate = ${literal(outcome.rowsDuplicate)}, error = ${literal(outcome.error)},
              completed_at = clock_timestamp()${watermark}
        WHERE id = ${id};
       COMMIT`,
    );
  }

  rollback(): Promise<void> {
    return this.tx.rollback();
  }

  /**
   * Streams rows through COPY with backpressure. If the rows fail (a corrupt stream, say),
   * the COPY is aborted and that failure, not the server's answer to the abort, is thrown.
   */
  private async copy<T>(
    sql: string,
    batches: AsyncIterable<readonly T[]>,
    line: (row: T, fileId: string) => string,
  ) {
    const stream = this.client.query(copyFrom(sql));
    const done = finished(stream);
    done.catch(() => {});
    // Once the server has refused the COPY (a duplicate key, say) the stream is detached from
    // the connection and must not be written again.
    let refused = false;
    stream.once('error', () => {
      refused = true;
    });
    let count = 0;
    let chunk = '';
    let sourceError: unknown = null;
    try {
      for await (const batch of batches) {
        for (const row of batch) chunk += line(row, this.fileId);
        count += batch.length;
        if (chunk.length >= COPY_CHUNK) {
          if (refused || stream.destroyed) break;
          const ok = stream.write(chunk);
          chunk = '';
          if (!ok) await Promise.race([once(stream, 'drain'), done]);
        }
      }
      if (!refused && !stream.destroyed) stream.end(chunk);
    } catch (error) {
      sourceError = error;
      stream.destroy(error as Error);
    }
    try {
      await done;
    } catch (error) {
      throw sourceError ?? error;
    }
    if (sourceError) throw sourceError;
    return count;
  }
}

/** Groups a row stream into arrays for COPY. */
async function* inBatches<T>(rows: AsyncIterable<T>, size = 1_000): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
