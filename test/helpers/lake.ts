import { parquetReadObjects } from 'hyparquet';
import type { LakeStore } from '../../functions/export/ports.ts';
import { readLake } from '../../scripts/lib/lake-reader.ts';

/** The event ids a reader sees in the lake now (the manifest rule applied), sorted; duplicates kept. */
export async function lakeEventIds(lake: LakeStore): Promise<string[]> {
  const ids: string[] = [];
  for (const object of await readLake(lake)) {
    const file = object.body.slice().buffer as ArrayBuffer;
    for (const row of await parquetReadObjects({ file, columns: ['event_id'] }))
      ids.push(row.event_id as string);
  }
  return ids.sort();
}
