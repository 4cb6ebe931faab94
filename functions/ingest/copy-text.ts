import type { RejectedRow } from './ports.ts';
import type { EventRow } from './validate.ts';

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in PostgreSQL's COPY text format; null is `\N`. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c] as string) : value;
}

/** A text[] literal, each element quoted, ready for copyField. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

export const EVENT_COLUMNS =
  'event_id, event_time, event_type, user_id, session_id, product_id, product_name, category, price, quantity, device_type, file_id, line_number';

export function eventLine(row: EventRow, fileId: string): string {
  return `${copyField(row.eventId)}\t${row.eventTime}\t${row.eventType}\t${copyField(row.userId)}\t${copyField(row.sessionId)}\t${copyField(row.productId)}\t${copyField(row.productName)}\t${copyField(row.category)}\t${row.price ?? '\\N'}\t${row.quantity}\t${row.deviceType ?? '\\N'}\t${fileId}\t${row.lineNumber}\n`;
}

export const REJECTED_COLUMNS = 'file_id, line_number, raw_record, reasons';

/** PostgreSQL text cannot hold NUL; the quarantine shows it as U+2400 (␀). */
export function rejectedLine(row: RejectedRow, fileId: string): string {
  const raw = row.raw.includes('\u0000') ? row.raw.replaceAll('\u0000', '\u2400') : row.raw;
  return `${fileId}\t${row.lineNumber}\t${copyField(raw)}\t${copyField(arrayLiteral(row.reasons))}\n`;
}
