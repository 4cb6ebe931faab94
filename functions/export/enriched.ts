import type { LakeRow } from './parquet.ts';

/** The schema name every message of the enriched-events topic carries. */
export const ENRICHED_SCHEMA = 'shopstream.enriched.v1';

/**
 * A message body's size at most. SNS and SQS bill a request per 64 KiB of payload, so a batch
 * fills one such chunk, less room for the message attributes.
 */
export const MAX_BATCH_BYTES = 63 * 1024;

/** A row to export: the lake's columns plus what only the stream carries. */
export interface ExportRow extends LakeRow {
  /** UTC date of the event time: the lake partition. */
  readonly event_date: string;
  /** Its 1-minute window had closed by the watermark its file saw at commit. */
  readonly late: boolean;
}

export interface StreamMessage {
  readonly batchId: string;
  readonly body: string;
  /** Distinct event types of the batch, for subscription filter policies. */
  readonly eventTypes: readonly string[];
  readonly count: number;
}

/** Microseconds since the epoch as ISO 8601 with six fractional digits, UTC. */
export function isoMicros(micros: bigint): string {
  // Floor division, so that a time before 1970 keeps its microseconds positive.
  const rest = ((micros % 1000n) + 1000n) % 1000n;
  const ms = (micros - rest) / 1000n;
  const base = new Date(Number(ms)).toISOString(); // ...sss Z
  return `${base.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

const money = (cents: bigint | null) => (cents === null ? null : Number(cents) / 100);

/** One enriched event: a row of `events` plus revenue, event_date, late and the file's key. */
export function enrichedEvent(row: ExportRow, fileKey: string): string {
  return JSON.stringify({
    event_id: row.event_id,
    event_time: isoMicros(row.event_time),
    event_type: row.event_type,
    user_id: row.user_id,
    session_id: row.session_id,
    resolved_session_id: row.resolved_session_id,
    product_id: row.product_id,
    product_name: row.product_name,
    category: row.category,
    price: money(row.price),
    quantity: row.quantity,
    revenue: money(row.revenue),
    device_type: row.device_type,
    event_date: row.event_date,
    late: row.late,
    file_id: String(row.file_id),
    file_key: fileKey,
    line_number: row.line_number,
    ingested_at: isoMicros(row.ingested_at),
  });
}

/**
 * Cuts a file's enriched events, in the order given, into messages of at most MAX_BATCH_BYTES.
 * The cut depends only on the events, so an export retried reads the same rows and publishes
 * the same batch ids with the same content: consumers dedupe on batch_id.
 */
export class StreamBatcher {
  private readonly fileId: string;
  private events: string[] = [];
  private types = new Set<string>();
  private bytes = 0;
  private sequence = 0;

  constructor(fileId: string) {
    this.fileId = fileId;
  }

  get batches(): number {
    return this.sequence;
  }

  /** Adds one event; returns the batch it closed, if adding it would have overflowed one. */
  add(eventJson: string, eventType: string): StreamMessage | null {
    const size = Buffer.byteLength(eventJson) + 1;
    let closed: StreamMessage | null = null;
    if (this.events.length > 0 && this.envelopeBytes() + this.bytes + size > MAX_BATCH_BYTES) {
      closed = this.flush();
    }
    this.events.push(eventJson);
    this.types.add(eventType);
    this.bytes += size;
    return closed;
  }

  /** The last, partly filled batch, if any. */
  flush(): StreamMessage | null {
    if (this.events.length === 0) return null;
    this.sequence += 1;
    const batchId = `${this.fileId}-${String(this.sequence).padStart(5, '0')}`;
    const body = `{"schema":"${ENRICHED_SCHEMA}","batch_id":"${batchId}","file_id":"${this.fileId}","count":${this.events.length},"events":[${this.events.join(',')}]}`;
    const message = {
      batchId,
      body,
      eventTypes: [...this.types].sort(),
      count: this.events.length,
    };
    this.events = [];
    this.types = new Set();
    this.bytes = 0;
    return message;
  }

  private envelopeBytes() {
    return 128 + this.fileId.length * 2;
  }
}
