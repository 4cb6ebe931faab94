import { FIELDS, type Field } from '#shared/event-fields.ts';

export { FIELDS, type Field };

export const REQUIRED_FIELDS: readonly Field[] = [
  'event_time',
  'event_type',
  'user_id',
  'product_id',
];

const ALIASES: Readonly<Record<Field, readonly string[]>> = {
  event_id: ['id'],
  event_time: ['event_timestamp', 'timestamp', 'ts'],
  event_type: ['action', 'event'],
  user_id: ['user'],
  session_id: ['session'],
  product_id: ['product'],
  product_name: [],
  category: ['product_category'],
  price: ['amount'],
  quantity: ['qty'],
  device_type: ['device'],
};

const LOOKUP: ReadonlyMap<string, Field> = new Map(
  FIELDS.flatMap((field) => [field, ...ALIASES[field]].map((name) => [name, field] as const)),
);

/** Position of each known field in a record; -1 where the file lacks it. */
export type ColumnIndex = Readonly<Record<Field, number>>;

export interface HeaderResolution {
  readonly index: ColumnIndex;
  readonly missing: readonly Field[];
  /** Header names that map to no field (or repeat one already taken), as written. */
  readonly ignored: readonly string[];
  readonly width: number;
}

export function normalizeHeaderName(name: string): string {
  return name
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[-\s]+/g, '_');
}

/**
 * Maps a header row to fields: case-insensitive, BOM and blanks stripped, aliases accepted,
 * order free. When a field appears twice the first column wins and the other is ignored.
 */
export function resolveHeader(header: readonly string[]): HeaderResolution {
  const index = Object.fromEntries(FIELDS.map((f) => [f, -1])) as Record<Field, number>;
  const ignored: string[] = [];
  header.forEach((name, position) => {
    const field = LOOKUP.get(normalizeHeaderName(name));
    if (field === undefined || index[field] !== -1) {
      ignored.push(name);
    } else {
      index[field] = position;
    }
  });
  return {
    index,
    missing: REQUIRED_FIELDS.filter((f) => index[f] === -1),
    ignored,
    width: header.length,
  };
}
