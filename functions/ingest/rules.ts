import { parseEventTime } from './event-time.ts';

export const EVENT_TYPES = ['view', 'add_to_cart', 'remove_from_cart', 'purchase'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const DEVICE_TYPES = ['mobile', 'desktop', 'tablet', 'other'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

const EVENT_TYPE_ALIASES: ReadonlyMap<string, EventType> = new Map(
  Object.entries({
    view: ['view', 'page_view', 'pageview', 'product_view', 'viewed'],
    add_to_cart: ['add_to_cart', 'addtocart', 'cart_add', 'add'],
    remove_from_cart: ['remove_from_cart', 'removefromcart', 'cart_remove', 'remove'],
    purchase: ['purchase', 'purchased', 'buy', 'order', 'checkout'],
  } satisfies Record<EventType, string[]>).flatMap(([type, aliases]) =>
    aliases.map((alias) => [alias, type as EventType]),
  ),
);

const DEVICE_ALIASES: ReadonlyMap<string, DeviceType> = new Map(
  Object.entries({
    mobile: ['mobile', 'phone', 'smartphone'],
    desktop: ['desktop', 'pc', 'computer', 'laptop'],
    tablet: ['tablet', 'ipad'],
  }).flatMap(([type, aliases]) => aliases.map((alias) => [alias, type as DeviceType])),
);

const NULL_TOKENS = new Set(['', 'null', 'none', 'n/a']);

/** Trims a cell and maps the spellings of "nothing" to null. */
export function cleanCell(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const value = raw.trim();
  if (value.length <= 4 && NULL_TOKENS.has(value.toLowerCase())) return null;
  return value;
}

export function normalizeEventType(value: string): EventType | null {
  return EVENT_TYPE_ALIASES.get(value.toLowerCase().replace(/[-\s]+/g, '_')) ?? null;
}

export function normalizeDeviceType(value: string | null): DeviceType | null {
  if (value === null) return null;
  return DEVICE_ALIASES.get(value.toLowerCase()) ?? 'other';
}

const PRICE = /^[$€£]?\s*(\d*)(?:\.(\d*))?$/;

/**
 * A price as a decimal string with two places, rounded half-up, or null when it is not a
 * plain non-negative decimal below 1,000,000. Works on the digits, never on a float.
 */
export function parsePrice(value: string): string | null {
  const m = PRICE.exec(value);
  if (!m) return null;
  const whole = (m[1] ?? '').replace(/^0+(?=\d)/, '');
  const fraction = m[2] ?? '';
  if (whole === '' && fraction === '') return null;
  if (whole.length > 7) return null;
  let cents = Number(whole || '0') * 100 + Number(fraction.slice(0, 2).padEnd(2, '0'));
  if (fraction.length > 2 && fraction.charCodeAt(2) - 48 >= 5) cents += 1;
  if (cents >= 100_000_000) return null;
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

/** Quantity 1..1000; an empty cell means one. */
export function parseQuantity(value: string | null): number | null {
  if (value === null) return 1;
  if (!/^\d{1,4}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 && n <= 1000 ? n : null;
}

/** Length in characters (code points), counted exactly only when it could matter. */
export function fitsLength(value: string, max: number): boolean {
  if (value.length <= max) return true;
  let count = 0;
  for (const _ of value) {
    if (++count > max) return false;
  }
  return true;
}

export { parseEventTime };
