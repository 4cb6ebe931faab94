import type { Faker } from '@faker-js/faker';
import type { ActivityEvent } from './activity.ts';

export type Row = Record<keyof ActivityEvent, string>;

/**
 * Ways producers get rows wrong. `clean` variants must be repaired by ingestion (aliases,
 * currency signs, other time formats, padding); `invalid` ones must be quarantined.
 */
export interface DirtyVariant {
  readonly name: string;
  readonly kind: 'clean' | 'invalid';
  /** Whether the variant applies to this row (e.g. a price to mangle). */
  readonly applies?: (row: Row) => boolean;
  readonly apply: (row: Row, faker: Faker) => void;
}

const TYPE_ALIASES: Record<string, string[]> = {
  view: ['Page View', 'PAGEVIEW', 'product-view', 'viewed'],
  add_to_cart: ['Add To Cart', 'addtocart', 'cart_add', 'ADD'],
  remove_from_cart: ['Remove-From-Cart', 'cart_remove', 'REMOVE'],
  purchase: ['Purchased', 'buy', 'ORDER', 'checkout'],
};

const DEVICE_ALIASES: Record<string, string[]> = {
  mobile: ['Phone', 'smartphone', 'MOBILE'],
  desktop: ['PC', 'laptop', 'Computer'],
  tablet: ['iPad', 'Tablet'],
};

const hasPrice = (row: Row) => row.price !== '';
const needsPrice = (row: Row) => row.event_type === 'add_to_cart' || row.event_type === 'purchase';

export const DIRTY_VARIANTS: readonly DirtyVariant[] = [
  {
    name: 'event type alias',
    kind: 'clean',
    apply: (row, f) => {
      row.event_type = f.helpers.arrayElement(TYPE_ALIASES[row.event_type] ?? [row.event_type]);
    },
  },
  {
    name: 'device alias',
    kind: 'clean',
    apply: (row, f) => {
      row.device_type = f.helpers.arrayElement(
        DEVICE_ALIASES[row.device_type] ?? [row.device_type],
      );
    },
  },
  {
    name: 'currency sign',
    kind: 'clean',
    applies: hasPrice,
    apply: (row, f) => {
      row.price = `${f.helpers.arrayElement(['$', '€', '£'])}${row.price}`;
    },
  },
  {
    name: 'padded cells',
    kind: 'clean',
    apply: (row) => {
      row.user_id = `  ${row.user_id} `;
      row.product_id = `\t${row.product_id}`;
    },
  },
  {
    name: 'epoch seconds',
    kind: 'clean',
    apply: (row) => {
      row.event_time = String(Math.floor(Date.parse(row.event_time) / 1000));
    },
  },
  {
    name: 'epoch milliseconds',
    kind: 'clean',
    apply: (row) => {
      row.event_time = String(Date.parse(row.event_time));
    },
  },
  {
    name: 'slash date without zone',
    kind: 'clean',
    apply: (row) => {
      row.event_time = row.event_time.slice(0, 19).replace('T', ' ').replaceAll('-', '/');
    },
  },
  {
    name: 'offset time',
    kind: 'clean',
    apply: (row) => {
      const d = new Date(Date.parse(row.event_time) + 2 * 3600_000);
      row.event_time = `${d.toISOString().slice(0, 19)}+02:00`;
    },
  },
  {
    name: 'null spellings',
    kind: 'clean',
    apply: (row, f) => {
      row.session_id = f.helpers.arrayElement(['NULL', 'null', 'None', 'N/A']);
    },
  },
  {
    name: 'missing user',
    kind: 'invalid',
    apply: (row) => {
      row.user_id = '';
    },
  },
  {
    name: 'unknown event type',
    kind: 'invalid',
    apply: (row, f) => {
      row.event_type = f.helpers.arrayElement(['wishlist', 'click', 'refund']);
    },
  },
  {
    name: 'unparseable time',
    kind: 'invalid',
    apply: (row, f) => {
      row.event_time = f.helpers.arrayElement([
        'yesterday',
        '2026-13-01T00:00:00Z',
        '22/11/2026 10:00',
      ]);
    },
  },
  {
    name: 'impossible date',
    kind: 'invalid',
    apply: (row) => {
      row.event_time = `${row.event_time.slice(0, 4)}-02-30T12:00:00Z`;
    },
  },
  {
    name: 'before 2000',
    kind: 'invalid',
    apply: (row) => {
      row.event_time = `1999${row.event_time.slice(4)}`;
    },
  },
  {
    name: 'far future',
    kind: 'invalid',
    apply: (row) => {
      row.event_time = new Date(Date.parse(row.event_time) + 3 * 86_400_000).toISOString();
    },
  },
  {
    name: 'negative price',
    kind: 'invalid',
    applies: hasPrice,
    apply: (row) => {
      row.price = `-${row.price}`;
    },
  },
  {
    name: 'price missing on a sale',
    kind: 'invalid',
    applies: needsPrice,
    apply: (row) => {
      row.price = '';
    },
  },
  {
    name: 'zero quantity',
    kind: 'invalid',
    apply: (row) => {
      row.quantity = '0';
    },
  },
];

/** Picks a variant that applies to the row and applies it; returns it. */
export function makeDirty(row: Row, faker: Faker): DirtyVariant {
  const candidates = DIRTY_VARIANTS.filter((v) => v.applies?.(row) ?? true);
  const variant = faker.helpers.arrayElement(candidates);
  variant.apply(row, faker);
  return variant;
}
