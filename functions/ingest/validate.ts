import type { ColumnIndex, Field } from './columns.ts';
import {
  cleanCell,
  type DeviceType,
  type EventType,
  fitsLength,
  normalizeDeviceType,
  normalizeEventType,
  parseEventTime,
  parsePrice,
  parseQuantity,
} from './rules.ts';
import { INVALID_BYTE } from './utf8.ts';

/** A row that passed every rule, in the shape of the events table. */
export interface EventRow {
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventType: EventType;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly productId: string;
  readonly productName: string | null;
  readonly category: string | null;
  readonly price: string | null;
  readonly quantity: number;
  readonly deviceType: DeviceType | null;
  readonly lineNumber: number;
}

export type Validation =
  | { readonly ok: true; readonly row: EventRow }
  | { readonly ok: false; readonly reasons: string[] };

const MAX_LENGTH: Partial<Record<Field, number>> = {
  event_id: 64,
  user_id: 64,
  session_id: 128,
  product_id: 64,
  product_name: 256,
  category: 128,
};

const NEEDS_PRICE: ReadonlySet<EventType> = new Set(['add_to_cart', 'purchase']);

export interface RowContext {
  readonly columns: ColumnIndex;
  /** Ingestion time, for the "not more than 24 h ahead" rule. */
  readonly now: number;
  /** Id for a row that brings none: stable for a given file and line. */
  readonly deriveId: (lineNumber: number) => string;
}

/**
 * Cleans and checks one record against every rule of the CSV contract, collecting every
 * reason it fails rather than stopping at the first, so a quarantined row explains itself.
 */
export function validateRecord(
  cells: readonly string[],
  line: number,
  ctx: RowContext,
): Validation {
  const reasons: string[] = [];
  const { columns } = ctx;
  const cell = (field: Field) => {
    const i = columns[field];
    return i < 0 ? null : cleanCell(cells[i]);
  };
  const text = (field: Field, required: boolean): string | null => {
    const value = cell(field);
    if (value === null) {
      if (required) reasons.push(`missing:${field}`);
      return null;
    }
    const max = MAX_LENGTH[field];
    if (max !== undefined && !fitsLength(value, max)) {
      reasons.push(`invalid:${field}`);
      return null;
    }
    return value;
  };

  for (const value of cells) {
    if (value.includes('\u0000')) {
      reasons.push('nul_byte');
      break;
    }
  }
  for (const value of cells) {
    if (value.includes(INVALID_BYTE)) {
      reasons.push('invalid_encoding');
      break;
    }
  }

  const eventId = text('event_id', false);

  let eventTime: string | null = null;
  const rawTime = cell('event_time');
  if (rawTime === null) reasons.push('missing:event_time');
  else {
    eventTime = parseEventTime(rawTime, ctx.now);
    if (eventTime === null) reasons.push('invalid:event_time');
  }

  let eventType: EventType | null = null;
  const rawType = cell('event_type');
  if (rawType === null) reasons.push('missing:event_type');
  else {
    eventType = normalizeEventType(rawType);
    if (eventType === null) reasons.push('invalid:event_type');
  }

  const userId = text('user_id', true);
  const sessionId = text('session_id', false);
  const productId = text('product_id', true);
  const productName = text('product_name', false);
  const category = text('category', false);

  let price: string | null = null;
  const rawPrice = cell('price');
  if (rawPrice === null) {
    if (eventType !== null && NEEDS_PRICE.has(eventType)) reasons.push('missing:price');
  } else {
    price = parsePrice(rawPrice);
    if (price === null) reasons.push('invalid:price');
  }

  const quantity = parseQuantity(cell('quantity'));
  if (quantity === null) reasons.push('invalid:quantity');

  const deviceType = normalizeDeviceType(cell('device_type'));

  if (reasons.length > 0) return { ok: false, reasons };
  return {
    ok: true,
    row: {
      eventId: eventId ?? ctx.deriveId(line),
      eventTime: eventTime as string,
      eventType: eventType as EventType,
      userId: userId as string,
      sessionId,
      productId: productId as string,
      productName,
      category,
      price,
      quantity: quantity as number,
      deviceType,
      lineNumber: line,
    },
  };
}
