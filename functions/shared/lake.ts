/**
 * The lake's layout and the one rule every reader applies to it (docs/lake-and-stream.md).
 *
 * Each exported file writes `events/event_date=D/file-<id>.parquet` per date it has events on;
 * compaction merges a date's file objects into `part-<hash>.parquet`. S3 cannot swap objects
 * atomically, so compaction writes a manifest naming the part and its sources before the part,
 * deletes the sources after it, and the manifest last. A reader that lists a date hides the
 * sources of every manifest whose part it also sees: at any moment each event is then in
 * exactly one visible object. Names starting with `_` are also hidden from Athena and Hive.
 */

export const LAKE_PREFIX = 'events/';

/** A lake column's type: Parquet's physical and logical type, Glue's and DuckDB's follow. */
export type LakeColumnType =
  | { readonly kind: 'string' }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'decimal'; readonly precision: number }
  | { readonly kind: 'int32' }
  | { readonly kind: 'int64' };

export interface LakeColumn {
  readonly name: string;
  readonly type: LakeColumnType;
  /** Never null. */
  readonly required: boolean;
}

const column = (name: string, type: LakeColumnType, required = false): LakeColumn => ({
  name,
  type,
  required,
});
const STRING = { kind: 'string' } as const;
const TIMESTAMP = { kind: 'timestamp' } as const;

/**
 * The lake's columns, in file order: the columns of `events` plus revenue and the resolved
 * session id (the partition column `event_date` is in the path). The Parquet writer, the Glue
 * table and `npm run lake` all take them from here.
 */
export const LAKE_COLUMNS: readonly LakeColumn[] = [
  column('event_id', STRING, true),
  column('event_time', TIMESTAMP, true),
  column('event_type', STRING, true),
  column('user_id', STRING, true),
  column('session_id', STRING),
  column('product_id', STRING, true),
  column('product_name', STRING),
  column('category', STRING),
  column('price', { kind: 'decimal', precision: 12 }),
  column('quantity', { kind: 'int32' }, true),
  column('device_type', STRING),
  column('file_id', { kind: 'int64' }, true),
  column('line_number', { kind: 'int32' }, true),
  column('ingested_at', TIMESTAMP, true),
  column('revenue', { kind: 'decimal', precision: 16 }, true),
  column('resolved_session_id', STRING),
];

export interface CompactionManifest {
  readonly part: string;
  readonly sources: readonly string[];
}

export function partitionPrefix(date: string): string {
  return `${LAKE_PREFIX}event_date=${date}/`;
}

export function fileObjectKey(date: string, fileId: string): string {
  return `${partitionPrefix(date)}file-${fileId}.parquet`;
}

export function partObjectKey(date: string, hash: string): string {
  return `${partitionPrefix(date)}part-${hash}.parquet`;
}

export function manifestKey(date: string, hash: string): string {
  return `${partitionPrefix(date)}_compaction-${hash}.json`;
}

const KEY =
  /^events\/event_date=(\d{4}-\d{2}-\d{2})\/(file-(\d+)|part-([0-9a-f]+)|_compaction-([0-9a-f]+))\.(parquet|json)$/;

export type LakeKey =
  | { readonly kind: 'file'; readonly date: string; readonly fileId: string }
  | { readonly kind: 'part'; readonly date: string; readonly hash: string }
  | { readonly kind: 'manifest'; readonly date: string; readonly hash: string };

/** What a key under the lake prefix is, or null for anything else (left alone by every reader). */
export function parseLakeKey(key: string): LakeKey | null {
  const m = KEY.exec(key);
  if (!m) return null;
  const date = m[1] as string;
  if (m[3] !== undefined && m[6] === 'parquet') return { kind: 'file', date, fileId: m[3] };
  if (m[4] !== undefined && m[6] === 'parquet') return { kind: 'part', date, hash: m[4] };
  if (m[5] !== undefined && m[6] === 'json') return { kind: 'manifest', date, hash: m[5] };
  return null;
}

export function dateOfPartition(prefix: string): string | null {
  return /event_date=(\d{4}-\d{2}-\d{2})\/?$/.exec(prefix)?.[1] ?? null;
}

/**
 * The Parquet objects a reader must read, given one listing and the manifests it found in it:
 * every file and part object, less the sources of each manifest whose part is listed. A
 * manifest whose part is not (yet, or any more) listed hides nothing.
 */
export function visibleObjects(
  keys: readonly string[],
  manifests: ReadonlyMap<string, CompactionManifest>,
): string[] {
  const listed = new Set(keys);
  const hidden = new Set<string>();
  for (const manifest of manifests.values()) {
    if (listed.has(manifest.part)) for (const source of manifest.sources) hidden.add(source);
  }
  return keys.filter((key) => {
    const kind = parseLakeKey(key)?.kind;
    return (kind === 'file' || kind === 'part') && !hidden.has(key);
  });
}

export function parseManifest(text: string, key: string): CompactionManifest {
  const value = JSON.parse(text) as Partial<CompactionManifest>;
  if (typeof value.part !== 'string' || !Array.isArray(value.sources)) {
    throw new Error(`${key} is not a compaction manifest`);
  }
  return { part: value.part, sources: value.sources.map(String) };
}
