import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactLake } from '../../functions/export/compact.ts';
import { LakeObjectWriter, type LakeRow } from '../../functions/export/parquet.ts';
import type { ExportLedger, LakeStore } from '../../functions/export/ports.ts';
import { S3LakeStore } from '../../functions/export/s3-lake.ts';
import { fileObjectKey } from '../../functions/shared/lake.ts';
import { readLake } from '../../scripts/lib/lake-reader.ts';
import { startTestS3, type TestS3 } from '../helpers/fauxqs.ts';
import { lakeEventIds } from '../helpers/lake.ts';

const DATES = ['2026-11-30', '2026-12-01'];

function row(id: string, fileId: number, line: number): LakeRow {
  return {
    event_id: id,
    event_time: 1_764_547_200_000_000n + BigInt(line) * 1_000_000n,
    event_type: 'purchase',
    user_id: `U${line % 7}`,
    session_id: null,
    product_id: 'P00001',
    product_name: null,
    category: 'Books',
    price: 1999n,
    quantity: 2,
    device_type: 'mobile',
    file_id: BigInt(fileId),
    line_number: line,
    ingested_at: 1_764_547_300_000_000n,
    revenue: 3998n,
    resolved_session_id: `inferred-${line % 7}`,
  };
}

/** Export units all marked exported; the lock is a plain mutex. */
function ledger(): ExportLedger {
  let locked = false;
  return {
    open: () => Promise.reject(new Error('not used')),
    takeUnexported: () => Promise.reject(new Error('not used')),
    exported: async (ids) => new Set(ids),
    async withCompactionLock(work) {
      if (locked) return false;
      locked = true;
      try {
        await work();
      } finally {
        locked = false;
      }
      return true;
    },
  };
}

/**
 * The lake as the compactor sees it: after each write or delete, `after` runs (a reader's
 * check), and the `crashAt`-th mutation throws instead of happening (the function killed).
 */
function observed(
  lake: LakeStore,
  after: (step: string) => Promise<void>,
  crashAt = Infinity,
): LakeStore & { mutations: number } {
  const store = {
    mutations: 0,
    get: (key: string) => lake.get(key),
    list: (prefix: string) => lake.list(prefix),
    listPrefixes: (prefix: string) => lake.listPrefixes(prefix),
    async put(key: string, body: Uint8Array | string) {
      if (++store.mutations === crashAt) throw new Error(`killed before put ${key}`);
      await lake.put(key, body);
      await after(`put ${key}`);
    },
    async delete(keys: readonly string[]) {
      if (++store.mutations === crashAt) throw new Error(`killed before delete ${keys[0]}`);
      await lake.delete(keys);
      await after(`delete ${keys.join(',')}`);
    },
  };
  return store;
}

describe('lake compaction', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startTestS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  let bucketNumber = 0;
  /** A fresh bucket with `files` file objects per date; returns the lake and every id. */
  async function seededLake(files: number, rowsPerFile: number) {
    const bucket = `lake-${++bucketNumber}`;
    s3.createBucket(bucket);
    const lake = new S3LakeStore(s3.s3, bucket);
    const ids: string[] = [];
    let fileId = 0;
    for (const date of DATES) {
      for (let f = 0; f < files; f++) {
        fileId++;
        const writer = new LakeObjectWriter();
        for (let i = 0; i < rowsPerFile; i++) {
          const id = `${date}-${String(fileId).padStart(3, '0')}-${String(i).padStart(4, '0')}`;
          writer.add(row(id, fileId, i));
          ids.push(id);
        }
        await lake.put(fileObjectKey(date, String(fileId)), writer.finish());
      }
    }
    return { lake, ids: ids.sort() };
  }

  it('shows a reader every event exactly once after every single step of a compaction', async () => {
    const { lake, ids } = await seededLake(9, 40);
    const steps: string[] = [];
    const check = async (step: string) => {
      steps.push(step);
      expect(await lakeEventIds(lake), `after ${step}`).toEqual(ids);
    };
    const watched = observed(lake, check);
    const size = (await lake.list('events/'))[0]?.size ?? 0;
    // Parts of about three sources, then parts of parts, until one object per date is left.
    let parts = 0;
    for (const maxPartBytes of [size * 3.5, size * 7, size * 100]) {
      parts +=
        (await compactLake({ ledger: ledger(), lake: watched }, { maxPartBytes }))?.parts ?? 0;
    }
    expect(parts).toBeGreaterThanOrEqual(8);
    expect(steps.some((s) => s.includes('/_compaction-'))).toBe(true);
    expect(steps.some((s) => /^delete .*\/part-/.test(s))).toBe(true);
    expect(steps.filter((s) => s.startsWith('delete')).length).toBeGreaterThan(6);
    const left = await lake.list('events/');
    expect(left.map((o) => o.key.replace(/-[0-9a-f]+\.parquet$/, ''))).toEqual(
      DATES.map((d) => `events/event_date=${d}/part`),
    );
    expect(await lakeEventIds(lake)).toEqual(ids);
    // The compacted rows keep their values: decimals, times and nulls survive the round trip.
    const [object] = await readLake(lake);
    const [first] = await parquetReadObjects({ file: object?.body.slice().buffer as ArrayBuffer });
    expect(first).toMatchObject({
      event_type: 'purchase',
      session_id: null,
      price: 19.99,
      revenue: 39.98,
      quantity: 2,
      resolved_session_id: expect.stringMatching(/^inferred-/),
    });
  });

  it('is exactly once for a reader whatever step a compaction is killed at, and the next run finishes it', async () => {
    // Each run is killed at a later mutation, until one completes: every kill point is tried.
    for (let crashAt = 1; ; crashAt++) {
      const { lake, ids } = await seededLake(4, 25);
      const check = async (step: string) => {
        expect(await lakeEventIds(lake), `after ${step}`).toEqual(ids);
      };
      const dying = observed(lake, check, crashAt);
      const killed = await compactLake({ ledger: ledger(), lake: dying }).then(
        () => false,
        (error: Error) => {
          expect(error.message).toMatch(/^killed before/);
          return true;
        },
      );
      expect(await lakeEventIds(lake)).toEqual(ids);
      await compactLake({ ledger: ledger(), lake: observed(lake, check) });
      expect(await lakeEventIds(lake)).toEqual(ids);
      const left = (await lake.list('events/')).map((o) => o.key);
      expect(left.filter((k) => !k.includes('/part-'))).toEqual([]);
      expect(left).toHaveLength(DATES.length);
      if (!killed) {
        expect(crashAt).toBeGreaterThan(6);
        break;
      }
    }
  });

  it('puts an object larger than one PUT takes in parts, byte for byte', async () => {
    s3.createBucket('lake-large');
    const lake = new S3LakeStore(s3.s3, 'lake-large');
    const body = new Uint8Array(20 * 1024 * 1024 + 12345);
    for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
    await lake.put('events/event_date=2026-12-01/file-9.parquet', body);
    const back = await lake.get('events/event_date=2026-12-01/file-9.parquet');
    expect(back?.byteLength).toBe(body.byteLength);
    expect(Buffer.from(back as Uint8Array).equals(Buffer.from(body))).toBe(true);
  });

  it('never shows a reader reading concurrently an event twice or zero times', async () => {
    const { lake, ids } = await seededLake(12, 30);
    let compacting = true;
    let reads = 0;
    const reader = (async () => {
      while (compacting) {
        expect(await lakeEventIds(lake)).toEqual(ids);
        reads++;
      }
    })();
    const size = (await lake.list('events/'))[0]?.size ?? 0;
    for (const maxPartBytes of [size * 2.5, size * 5, size * 11, size * 50])
      await compactLake({ ledger: ledger(), lake }, { maxPartBytes });
    compacting = false;
    await reader;
    expect(reads).toBeGreaterThan(2);
    expect(await lakeEventIds(lake)).toEqual(ids);
  });
});
