import type { Pool, PoolClient } from 'pg';
import { HeldTransaction } from '#shared/held-transaction.ts';
import type { ExportRow } from './enriched.ts';
import type { ExportLedger, ExportUnit, SkipReason } from './ports.ts';

/** Rows fetched from the cursor at a time. */
const PAGE = 10_000;

/**
 * A file's rows as the lake and the stream take them: money in cents and times in microseconds
 * computed by PostgreSQL, the session an inferred row belongs to, and whether it was late (its
 * window had closed by the watermark its file saw, as in sql/0005_analytics.sql).
 */
const ROWS = (fileId: number) => `
  SELECT e.event_id,
         (extract(epoch FROM e.event_time) * 1000000)::bigint AS event_time,
         e.event_type, e.user_id, e.session_id, e.product_id, e.product_name, e.category,
         (e.price * 100)::bigint AS price, e.quantity, e.device_type, e.file_id, e.line_number,
         (extract(epoch FROM e.ingested_at) * 1000000)::bigint AS ingested_at,
         CASE WHEN e.event_type = 'purchase' THEN (coalesce(e.price, 0) * e.quantity * 100)::bigint
              ELSE 0 END AS revenue,
         coalesce(e.session_id, s.session_id) AS resolved_session_id,
         to_char(e.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS event_date,
         coalesce(date_trunc('minute', e.event_time) + interval '1 minute'
                  <= i.watermark_at_commit, false) AS late
    FROM events e
    JOIN ingested_files i ON i.id = e.file_id
    LEFT JOIN LATERAL (
      SELECT s.session_id FROM inferred_sessions s
       WHERE s.user_id = e.user_id AND e.event_time BETWEEN s.session_start AND s.session_end
       LIMIT 1) s ON e.session_id IS NULL
   WHERE e.file_id = ${fileId}
   ORDER BY e.event_id`;

interface RawRow {
  event_id: string;
  event_time: string;
  event_type: string;
  user_id: string;
  session_id: string | null;
  product_id: string;
  product_name: string | null;
  category: string | null;
  price: string | null;
  quantity: number;
  device_type: string | null;
  file_id: string;
  line_number: number;
  ingested_at: string;
  revenue: string;
  resolved_session_id: string | null;
  event_date: string;
  late: boolean;
}

function toExportRow(r: RawRow): ExportRow {
  return {
    ...r,
    event_time: BigInt(r.event_time),
    price: r.price === null ? null : BigInt(r.price),
    file_id: BigInt(r.file_id),
    ingested_at: BigInt(r.ingested_at),
    revenue: BigInt(r.revenue),
  };
}

export interface PgExportLedgerOptions {
  /** How long an export waits for its file's inferred sessions to be settled. @default 10 s */
  readonly settleWaitMs?: number;
  /** Runs the settle a waiting export asks for (the ingest sink's). */
  readonly settle?: () => Promise<unknown>;
}

export class NotSettledError extends Error {
  override name = 'NotSettledError';
}

export class PgExportLedger implements ExportLedger {
  private readonly pool: Pool;
  private readonly options: PgExportLedgerOptions;
  /** The connection holding the compaction lock, while compaction runs. */
  private lockClient: PoolClient | null = null;

  constructor(pool: Pool, options: PgExportLedgerOptions = {}) {
    this.pool = pool;
    this.options = options;
  }

  async open(fileId: string): Promise<ExportUnit | { skip: SkipReason }> {
    const id = Number(fileId);
    if (!Number.isSafeInteger(id)) throw new TypeError(`not a file id: ${fileId}`);
    await this.waitSettled(id);
    const tx = new HeldTransaction(await this.pool.connect());
    const { client } = tx;
    try {
      await client.query('BEGIN');
      // The row lock makes a second export of this file wait here, then find it marked.
      const { rows } = await client.query<{
        key: string;
        exported: boolean;
        rows_loaded: number;
      }>(
        `SELECT key, exported_at IS NOT NULL AS exported, rows_loaded
           FROM ingested_files WHERE id = $1 FOR NO KEY UPDATE`,
        [id],
      );
      const file = rows[0];
      const skip: SkipReason | null = !file
        ? 'not-found'
        : file.exported
          ? 'exported'
          : file.rows_loaded === 0
            ? 'no-rows'
            : null;
      if (skip || !file) {
        await tx.rollback();
        return { skip: skip ?? 'not-found' };
      }
      await client.query(`DECLARE export_rows NO SCROLL CURSOR FOR ${ROWS(id)}`);
      return new PgExportUnit(tx, fileId, file.key);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      tx.release(error as Error);
      throw error;
    }
  }

  async exported(fileIds: readonly string[]): Promise<Set<string>> {
    if (fileIds.length === 0) return new Set();
    // Under the compaction lock the locking connection asks: the pool may hold just that one.
    const { rows } = await (this.lockClient ?? this.pool).query<{ id: string }>(
      'SELECT id::text FROM ingested_files WHERE id = ANY ($1::bigint[]) AND exported_at IS NOT NULL',
      [fileIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  async takeUnexported(olderThanSeconds: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `UPDATE ingested_files SET export_queued_at = now()
        WHERE id IN (
          SELECT id FROM ingested_files
           WHERE exported_at IS NULL AND rows_loaded > 0
             AND completed_at < now() - make_interval(secs => $1)
             AND (export_queued_at IS NULL OR export_queued_at < now() - interval '5 minutes')
           ORDER BY completed_at
           LIMIT $2
             FOR UPDATE SKIP LOCKED)
       RETURNING id::text`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.id);
  }

  async withCompactionLock(work: () => Promise<void>): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        "SELECT pg_try_advisory_lock(hashtext('shopstream.lake_compaction')) AS locked",
      );
      if (!rows[0]?.locked) return false;
      this.lockClient = client;
      try {
        await work();
      } finally {
        this.lockClient = null;
        await client.query("SELECT pg_advisory_unlock(hashtext('shopstream.lake_compaction'))");
      }
      return true;
    } finally {
      client.release();
    }
  }

  /**
   * Inferred sessions are settled right after a file commits (sql/0005_analytics.sql); the
   * resolved session id waits for that, asking for the settle itself if it has not run.
   */
  private async waitSettled(fileId: number) {
    const deadline = Date.now() + (this.options.settleWaitMs ?? 10_000);
    for (let attempt = 0; ; attempt += 1) {
      const { rows } = await this.pool.query<{ settled: boolean }>(
        `SELECT NOT EXISTS (SELECT 1 FROM analytics_pending WHERE file_id = $1)
            AND NOT EXISTS (SELECT 1 FROM session_dirty_users d
                             WHERE d.user_id IN (SELECT user_id FROM events
                                                  WHERE file_id = $1 AND session_id IS NULL))
                AS settled`,
        [fileId],
      );
      if (rows[0]?.settled) return;
      if (Date.now() > deadline) {
        throw new NotSettledError(`file ${fileId}: its inferred sessions are not settled yet`);
      }
      if (attempt === 0 && this.options.settle) await this.options.settle();
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

class PgExportUnit implements ExportUnit {
  readonly fileId: string;
  readonly fileKey: string;
  private readonly tx: HeldTransaction;

  constructor(tx: HeldTransaction, fileId: string, fileKey: string) {
    this.tx = tx;
    this.fileId = fileId;
    this.fileKey = fileKey;
  }

  async *rows(): AsyncIterable<readonly ExportRow[]> {
    for (;;) {
      const { rows } = await this.tx.client.query<RawRow>(`FETCH ${PAGE} FROM export_rows`);
      if (rows.length === 0) return;
      yield rows.map(toExportRow);
    }
  }

  async markExported(done: { objects: number; batches: number }): Promise<void> {
    await this.tx.client.query(
      `UPDATE ingested_files
          SET exported_at = clock_timestamp(), export_objects = $2, export_batches = $3
        WHERE id = $1`,
      [Number(this.fileId), done.objects, done.batches],
    );
    await this.tx.finish('COMMIT');
  }

  abort(): Promise<void> {
    return this.tx.rollback();
  }
}
