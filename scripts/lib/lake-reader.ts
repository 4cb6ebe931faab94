/**
 * Reads a consistent view of the lake: every event exactly once, even while compaction runs
 * (the rule in functions/shared/lake.ts). Shared by `npm run lake` and the tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LakeStore } from '../../functions/export/ports.ts';
import {
  type CompactionManifest,
  dateOfPartition,
  LAKE_PREFIX,
  parseLakeKey,
  parseManifest,
  visibleObjects,
} from '../../functions/shared/lake.ts';

export interface LakeObject {
  readonly key: string;
  readonly date: string;
  readonly body: Uint8Array;
}

/** How often a partition is listed again when compaction moved objects under the reader. */
const ATTEMPTS = 20;

/**
 * The visible objects of one partition with their bodies. An object or manifest that
 * disappears between the listing and the read means compaction moved on: the partition is
 * listed again, so the result is always one consistent listing's worth of objects.
 */
export async function readPartition(lake: LakeStore, prefix: string): Promise<LakeObject[]> {
  const date = dateOfPartition(prefix);
  if (!date) throw new Error(`${prefix} is not a lake partition`);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const keys = (await lake.list(prefix)).map((o) => o.key);
    const manifests = new Map<string, CompactionManifest>();
    let moved = false;
    for (const key of keys) {
      if (parseLakeKey(key)?.kind !== 'manifest') continue;
      const body = await lake.get(key);
      if (body === null) {
        moved = true;
        break;
      }
      manifests.set(key, parseManifest(new TextDecoder().decode(body), key));
    }
    const objects: LakeObject[] = [];
    if (!moved) {
      for (const key of visibleObjects(keys, manifests)) {
        const body = await lake.get(key);
        if (body === null) {
          moved = true;
          break;
        }
        objects.push({ key, date, body });
      }
    }
    if (!moved) return objects;
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
  throw new Error(`${prefix} kept changing under the reader; try again`);
}

/** Every partition of the lake, one after the other; `onPartition` reports progress. */
export async function readLake(
  lake: LakeStore,
  onPartition?: (done: number, total: number, objects: number, bytes: number) => void,
): Promise<LakeObject[]> {
  const prefixes = (await lake.listPrefixes(LAKE_PREFIX)).filter((p) => dateOfPartition(p));
  const all: LakeObject[] = [];
  let bytes = 0;
  for (const [i, prefix] of prefixes.entries()) {
    const objects = await readPartition(lake, prefix);
    for (const o of objects) bytes += o.body.byteLength;
    all.push(...objects);
    onPartition?.(i + 1, prefixes.length, all.length, bytes);
  }
  return all;
}

/** Writes the objects under `dir` in the lake's Hive layout (`event_date=D/name.parquet`). */
export async function copyLake(objects: readonly LakeObject[], dir: string): Promise<void> {
  for (const o of objects) {
    const path = join(dir, o.key.slice(LAKE_PREFIX.length));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, o.body);
  }
}
