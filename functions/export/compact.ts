import { createHash } from 'node:crypto';
import { parquetReadObjects } from 'hyparquet';
import {
  type CompactionManifest,
  dateOfPartition,
  LAKE_PREFIX,
  manifestKey,
  parseLakeKey,
  parseManifest,
  partObjectKey,
} from '#shared/lake.ts';
import { LakeObjectWriter, type LakeRow } from './parquet.ts';
import type { ExportLedger, LakeStore } from './ports.ts';

export interface CompactionSettings {
  /** A date's file objects are merged once there are at least this many. @default 2 */
  readonly minObjects?: number;
  /** Objects larger than this are left as they are. @default 8 MiB */
  readonly smallObjectBytes?: number;
  /** Bytes of sources merged into one part, at most. @default 128 MiB */
  readonly maxPartBytes?: number;
}

export interface CompactionResult {
  readonly partitions: number;
  readonly parts: number;
  readonly sources: number;
  readonly recovered: number;
}

const SMALL_OBJECT = 8 * 1024 ** 2;
const MAX_PART = 128 * 1024 ** 2;

interface Deps {
  readonly ledger: ExportLedger;
  readonly lake: LakeStore;
}

/**
 * Merges each date's small objects into parts, never exposing an event twice or zero times to
 * a reader that applies the lake's rule (`visibleObjects`): the manifest is written first, then
 * the part, then the sources are deleted, then the manifest. A run that died part-way is
 * finished (part written: its sources go) or undone (no part: the manifest goes) by the next.
 * Only objects of files marked exported are merged, so no export rewrites a merged source;
 * small parts are merged again with newer objects.
 */
export async function compactLake(
  deps: Deps,
  settings: CompactionSettings = {},
): Promise<CompactionResult | null> {
  let result: CompactionResult = { partitions: 0, parts: 0, sources: 0, recovered: 0 };
  const ran = await deps.ledger.withCompactionLock(async () => {
    for (const prefix of await deps.lake.listPrefixes(LAKE_PREFIX)) {
      const date = dateOfPartition(prefix);
      if (!date) continue;
      const done = await compactPartition(deps, prefix, date, settings);
      result = {
        partitions: result.partitions + 1,
        parts: result.parts + done.parts,
        sources: result.sources + done.sources,
        recovered: result.recovered + done.recovered,
      };
    }
  });
  return ran ? result : null;
}

async function compactPartition(
  deps: Deps,
  prefix: string,
  date: string,
  settings: CompactionSettings,
) {
  const { lake } = deps;
  let listed = await lake.list(prefix);
  let keys = listed.map((o) => o.key);
  let recovered = 0;
  for (const key of keys) {
    if (parseLakeKey(key)?.kind !== 'manifest') continue;
    const body = await lake.get(key);
    if (body) {
      const manifest = parseManifest(Buffer.from(body).toString('utf8'), key);
      if (keys.includes(manifest.part)) {
        await lake.delete(manifest.sources.filter((s) => keys.includes(s)));
      }
    }
    await lake.delete([key]);
    recovered += 1;
  }
  if (recovered > 0) {
    listed = await lake.list(prefix);
    keys = listed.map((o) => o.key);
  }

  // Small file objects of exported files, and small parts of earlier runs: a day's objects
  // keep merging until they are large.
  const small = settings.smallObjectBytes ?? SMALL_OBJECT;
  const files: { key: string; size: number; fileId: string }[] = [];
  const earlierParts: { key: string; size: number }[] = [];
  for (const object of listed) {
    const parsed = parseLakeKey(object.key);
    if (object.size > small) continue;
    if (parsed?.kind === 'file') files.push({ ...object, fileId: parsed.fileId });
    else if (parsed?.kind === 'part') earlierParts.push(object);
  }
  const exported = await deps.ledger.exported(files.map((f) => f.fileId));
  const sources = [...earlierParts, ...files.filter((f) => exported.has(f.fileId))].sort((a, b) =>
    a.key < b.key ? -1 : 1,
  );
  if (sources.length < (settings.minObjects ?? 2)) return { parts: 0, sources: 0, recovered };

  // Groups of sources by size, so a part's rows are never all in memory: each source is read,
  // added and dropped.
  const maxBytes = settings.maxPartBytes ?? MAX_PART;
  const groups: string[][] = [[]];
  let bytes = 0;
  for (const source of sources) {
    const current = groups.at(-1) as string[];
    if (bytes + source.size > maxBytes && current.length > 0) {
      groups.push([source.key]);
      bytes = source.size;
    } else {
      current.push(source.key);
      bytes += source.size;
    }
  }
  let parts = 0;
  for (const group of groups) {
    if (group.length < 2) continue;
    await writePart(lake, date, group);
    parts += 1;
  }
  return { parts, sources: sources.length, recovered };
}

async function writePart(lake: LakeStore, date: string, sources: string[]) {
  const hash = createHash('sha256').update(sources.join('\n')).digest('hex').slice(0, 20);
  const manifest: CompactionManifest = { part: partObjectKey(date, hash), sources };
  const mKey = manifestKey(date, hash);
  await lake.put(mKey, JSON.stringify(manifest));
  const writer = new LakeObjectWriter();
  for (const source of sources) {
    const rows = await readLakeObject(lake, source);
    // Sources are only deleted below, by the compaction that holds the lock.
    if (rows === null) throw new Error(`${source} vanished during compaction`);
    for (const row of rows) writer.add(row);
  }
  await lake.put(manifest.part, writer.finish());
  await lake.delete(sources);
  await lake.delete([mKey]);
}

/** A lake object's rows as the writer takes them; null when it is gone. */
export async function readLakeObject(lake: LakeStore, key: string): Promise<LakeRow[] | null> {
  const body = await lake.get(key);
  if (!body) return null;
  const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  const objects = await parquetReadObjects({
    file,
    parsers: { timestampFromMicroseconds: (micros: bigint) => micros },
  });
  const cents = (v: unknown) =>
    v === null || v === undefined ? null : BigInt(Math.round(Number(v) * 100));
  return objects.map((o) => ({
    ...(o as unknown as LakeRow),
    price: cents(o.price),
    revenue: cents(o.revenue) ?? 0n,
    file_id: BigInt(o.file_id as bigint),
  }));
}
