import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { LAKE_COLUMNS, type LakeColumn } from '#shared/lake.ts';

/**
 * One row of the lake: the columns of `events` plus `revenue` and the resolved session id.
 * Times are microseconds since the epoch (PostgreSQL's precision, UTC); money is in cents, so
 * that nothing passes through a float.
 */
export interface LakeRow {
  readonly event_id: string;
  readonly event_time: bigint;
  readonly event_type: string;
  readonly user_id: string;
  readonly session_id: string | null;
  readonly product_id: string;
  readonly product_name: string | null;
  readonly category: string | null;
  readonly price: bigint | null;
  readonly quantity: number;
  readonly device_type: string | null;
  readonly file_id: bigint;
  readonly line_number: number;
  readonly ingested_at: bigint;
  readonly revenue: bigint;
  readonly resolved_session_id: string | null;
}

/** A lake column as a Parquet schema element. */
function parquetColumn({ name, type, required }: LakeColumn) {
  const repetition_type = required ? ('REQUIRED' as const) : ('OPTIONAL' as const);
  switch (type.kind) {
    case 'string':
      return {
        name,
        type: 'BYTE_ARRAY' as const,
        converted_type: 'UTF8' as const,
        logical_type: { type: 'STRING' as const },
        repetition_type,
      };
    case 'timestamp':
      return {
        name,
        type: 'INT64' as const,
        converted_type: 'TIMESTAMP_MICROS' as const,
        logical_type: {
          type: 'TIMESTAMP' as const,
          isAdjustedToUTC: true,
          unit: 'MICROS' as const,
        },
        repetition_type,
      };
    case 'decimal':
      return {
        name,
        type: 'INT64' as const,
        converted_type: 'DECIMAL' as const,
        logical_type: { type: 'DECIMAL' as const, precision: type.precision, scale: 2 },
        precision: type.precision,
        scale: 2,
        repetition_type,
      };
    case 'int32':
      return { name, type: 'INT32' as const, repetition_type };
    case 'int64':
      return { name, type: 'INT64' as const, repetition_type };
  }
}

const COLUMNS = LAKE_COLUMNS.map(parquetColumn);
const SCHEMA = [{ name: 'root', num_children: COLUMNS.length }, ...COLUMNS];

/** Rows per row group: large enough for column statistics to prune, small enough to stream. */
export const ROW_GROUP_ROWS = 50_000;

/**
 * A Parquet object written a row group at a time (snappy), so a file of a million rows is
 * never held as rows, only as its compressed output.
 */
export class LakeObjectWriter {
  private readonly bytes = new ByteWriter();
  private readonly writer: ParquetWriter;
  private pending: LakeRow[] = [];
  rows = 0;

  constructor(createdBy = 'shopstream') {
    // The schema literal is narrower than hyparquet-writer's SchemaElement, which it satisfies.
    this.writer = new ParquetWriter({
      writer: this.bytes,
      schema: SCHEMA as never,
      codec: 'SNAPPY',
      createdBy,
    });
  }

  add(row: LakeRow): void {
    this.pending.push(row);
    this.rows += 1;
    if (this.pending.length >= ROW_GROUP_ROWS) this.flush();
  }

  /** The finished object. */
  finish(): Uint8Array {
    this.flush();
    this.writer.finish();
    return new Uint8Array(this.bytes.getBuffer());
  }

  private flush() {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    void this.writer.write({
      columnData: COLUMNS.map((c) => ({
        name: c.name,
        data: rows.map((r) => r[c.name as keyof LakeRow]),
      })),
      rowGroupSize: ROW_GROUP_ROWS,
    });
  }
}
