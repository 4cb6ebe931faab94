import type { Readable } from 'node:stream';
import { type HeaderResolution, resolveHeader } from './columns.ts';
import { DEFAULT_LIMITS, FileLimitError, type FileLimits, openContent } from './content.ts';
import { type CsvItem, parseCsv } from './csv-records.ts';
import { DuplicateKeyError } from './errors.ts';
import { eventIdDeriver } from './event-id.ts';
import type {
  FileLoad,
  FileOutcome,
  FileReceipt,
  LedgerEntry,
  Log,
  ObjectSource,
  RowSink,
} from './ports.ts';
import { RejectSpool } from './reject-spool.ts';
import type { ObjectRef } from './s3-event.ts';
import { type EventRow, type RowContext, validateRecord } from './validate.ts';

export interface IngestDeps {
  readonly source: ObjectSource;
  readonly sink: RowSink;
  readonly log: Log;
  readonly now?: () => number;
  /** How large a file may be; over a limit it is rejected whole, once. */
  readonly limits?: FileLimits;
}

export type FileResult =
  | { readonly kind: 'skipped'; readonly entry: LedgerEntry }
  | {
      readonly kind: 'ingested';
      readonly fileId: string;
      readonly outcome: FileOutcome;
      /** The file repeated event ids, so it took the slower merging load. */
      readonly merged: boolean;
    };

/**
 * Ingests one object version exactly once: ledger row, events and rejected rows in one
 * transaction. Rows stream straight into the events table; only when an event_id collides
 * is the file read again and merged, so the common case costs one pass and one COPY.
 */
export async function ingestFile(
  ref: ObjectRef,
  receipt: FileReceipt,
  deps: IngestDeps,
): Promise<FileResult> {
  const started = await deps.sink.begin(ref, receipt);
  if ('alreadyIngested' in started) {
    deps.log.info('object version already ingested; skipping', {
      fileId: started.alreadyIngested.fileId,
      status: started.alreadyIngested.status,
    });
    return { kind: 'skipped', entry: started.alreadyIngested };
  }
  try {
    const { outcome, merged } = await loadFile(ref, started, deps);
    await started.commit(outcome);
    return { kind: 'ingested', fileId: started.fileId, outcome, merged };
  } catch (error) {
    await started.rollback().catch(() => {});
    throw error;
  }
}

async function loadFile(
  ref: ObjectRef,
  load: FileLoad,
  deps: IngestDeps,
): Promise<{ outcome: FileOutcome; merged: boolean }> {
  const now = (deps.now ?? Date.now)();
  const limits = deps.limits ?? DEFAULT_LIMITS;
  let mode: 'direct' | 'merge' = 'direct';
  for (;;) {
    const body = await deps.source.open(ref);
    if (body === null) {
      deps.log.warn('object version is gone; recording it as missing');
      return { outcome: emptyOutcome('missing', 'object not found when read'), merged: false };
    }
    let content: Awaited<ReturnType<typeof openContent>>;
    try {
      content = await openContent(body, limits);
    } catch (error) {
      body.destroy();
      const reason = contentRejection(error);
      if (reason !== null) return rejectedFile(reason, deps.log);
      throw error;
    }
    if (content.kind === 'not_csv') return rejectedFile(content.reason, deps.log);
    const pass = new FilePass(content.stream, ref, now, deps.log, limits.maxRows);
    try {
      const { loaded, duplicate } = await load.loadEvents(pass.batches(), mode);
      if (pass.fileError !== null) {
        await load.discardRows();
        return rejectedFile(pass.fileError, deps.log);
      }
      const rejected = pass.spool.count > 0 ? await load.loadRejected(pass.spool.rows()) : 0;
      return {
        outcome: {
          status: 'loaded',
          rowsTotal: loaded + duplicate + rejected,
          rowsLoaded: loaded,
          rowsRejected: rejected,
          rowsDuplicate: duplicate,
          error: null,
        },
        merged: mode === 'merge',
      };
    } catch (error) {
      if (error instanceof DuplicateKeyError && mode === 'direct') {
        deps.log.info('event ids repeat; loading again with merge', { detail: error.message });
        mode = 'merge';
        continue;
      }
      const reason = contentRejection(error);
      if (reason !== null) {
        await load.discardRows();
        return rejectedFile(reason, deps.log);
      }
      throw error;
    } finally {
      content.stream.destroy();
      await pass.spool.dispose();
    }
  }
}

/** Unknown column names a log line lists, at most. */
const LOGGED_COLUMNS = 20;

/** Rows handed to the database per batch. */
const BATCH_ROWS = 1_000;

/** One read of the file: validated rows out, rejected rows into the spool. */
class FilePass {
  readonly spool = new RejectSpool();
  fileError: string | null = null;
  private readonly stream: Readable;
  private readonly ctx: Omit<RowContext, 'columns'>;
  private readonly log: Log;
  private readonly maxRows: number;
  private records = 0;

  constructor(stream: Readable, ref: ObjectRef, now: number, log: Log, maxRows: number) {
    this.stream = stream;
    this.log = log;
    this.maxRows = maxRows;
    this.ctx = {
      now,
      deriveId: eventIdDeriver({
        bucket: ref.bucket,
        key: ref.key,
        version: ref.versionId ?? ref.etag ?? '',
      }),
    };
  }

  /**
   * Validated rows in batches. Parsing, checking and quarantining happen synchronously per
   * record inside the parser's callback; only whole batches cross an await.
   */
  async *batches(): AsyncGenerator<EventRow[]> {
    let ctx: RowContext | null = null;
    let batch: EventRow[] = [];
    const onItem = (item: CsvItem, emit: (rows: EventRow[]) => void) => {
      if (this.fileError !== null) return;
      if (ctx === null) {
        if (item.kind === 'bad') {
          this.fileError = `invalid_header: ${item.reasons.join(', ')}`;
          return;
        }
        const header: HeaderResolution = resolveHeader(item.cells);
        if (header.missing.length > 0) {
          this.fileError = `missing_columns: ${header.missing.join(', ')}`;
          return;
        }
        if (header.ignored.length > 0) {
          // A header is whatever the producer wrote: the line stays short whatever it holds.
          this.log.info('ignoring unknown columns', {
            ignoredColumns: header.ignored
              .slice(0, LOGGED_COLUMNS)
              .map((name) => (name.length > 64 ? `${name.slice(0, 64)}…` : name)),
            ignoredColumnCount: header.ignored.length,
          });
        }
        ctx = { ...this.ctx, columns: header.index };
        return;
      }
      if (++this.records > this.maxRows) {
        this.fileError = `too_large: more than ${this.maxRows} rows`;
        return;
      }
      if (item.kind === 'bad') {
        this.spool.add({ lineNumber: item.line, raw: item.raw, reasons: item.reasons });
        return;
      }
      const result = validateRecord(item.cells, item.line, ctx);
      if (!result.ok) {
        this.spool.add({ lineNumber: item.line, raw: item.raw, reasons: result.reasons });
        return;
      }
      batch.push(result.row);
      if (batch.length >= BATCH_ROWS) {
        emit(batch);
        batch = [];
      }
    };
    for await (const full of parseCsv(this.stream, onItem)) {
      if (this.fileError !== null) return;
      yield full;
    }
    if (this.fileError === null && batch.length > 0) yield batch;
  }
}

function rejectedFile(reason: string, log: Log): { outcome: FileOutcome; merged: false } {
  log.warn('file rejected', { reason });
  return { outcome: emptyOutcome('rejected', reason), merged: false };
}

/**
 * The reason a file is rejected for, when reading its content failed because of the content
 * itself (over a limit, or corrupt gzip), so that no retry can help; otherwise null.
 */
function contentRejection(error: unknown): string | null {
  if (error instanceof FileLimitError) return error.reason;
  if (isCorruptCompression(error)) return `not_csv: corrupt gzip (${(error as Error).message})`;
  return null;
}

function emptyOutcome(status: 'missing' | 'rejected', error: string): FileOutcome {
  return { status, rowsTotal: 0, rowsLoaded: 0, rowsRejected: 0, rowsDuplicate: 0, error };
}

function isCorruptCompression(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
