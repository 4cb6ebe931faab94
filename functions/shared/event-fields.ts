/** The canonical CSV columns of the contract, in the order the generator writes them. */
export const FIELDS = [
  'event_id',
  'event_time',
  'event_type',
  'user_id',
  'session_id',
  'product_id',
  'product_name',
  'category',
  'price',
  'quantity',
  'device_type',
] as const;
export type Field = (typeof FIELDS)[number];
