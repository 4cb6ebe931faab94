import { describe, expect, it } from 'vitest';
import {
  dateOfPartition,
  fileObjectKey,
  manifestKey,
  parseLakeKey,
  parseManifest,
  partObjectKey,
  visibleObjects,
} from '../../../../functions/shared/lake.ts';

const D = '2026-12-01';
const f1 = fileObjectKey(D, '1');
const f2 = fileObjectKey(D, '2');
const f3 = fileObjectKey(D, '3');
const part = partObjectKey(D, 'abc123');
const manifest = manifestKey(D, 'abc123');
const manifests = new Map([[manifest, { part, sources: [f1, f2] }]]);

describe('the lake layout', () => {
  it('names objects by date and file, parts and manifests by hash, Hive style', () => {
    expect(f1).toBe('events/event_date=2026-12-01/file-1.parquet');
    expect(part).toBe('events/event_date=2026-12-01/part-abc123.parquet');
    expect(manifest).toBe('events/event_date=2026-12-01/_compaction-abc123.json');
    expect(parseLakeKey(f1)).toEqual({ kind: 'file', date: D, fileId: '1' });
    expect(parseLakeKey(part)).toEqual({ kind: 'part', date: D, hash: 'abc123' });
    expect(parseLakeKey(manifest)).toEqual({ kind: 'manifest', date: D, hash: 'abc123' });
    expect(parseLakeKey('events/event_date=2026-12-01/notes.txt')).toBeNull();
    expect(parseLakeKey('events/event_date=2026-12-01/file-1.json')).toBeNull();
    expect(dateOfPartition('events/event_date=2026-12-01/')).toBe(D);
    expect(dateOfPartition('events/other/')).toBeNull();
  });

  it('hides the sources of a manifest only once its part is listed', () => {
    // Each moment of a compaction, as a listing sees it.
    expect(visibleObjects([f1, f2, f3], new Map())).toEqual([f1, f2, f3]);
    expect(visibleObjects([manifest, f1, f2, f3], manifests)).toEqual([f1, f2, f3]);
    expect(visibleObjects([manifest, f1, f2, f3, part], manifests)).toEqual([f3, part]);
    expect(visibleObjects([manifest, f2, f3, part], manifests)).toEqual([f3, part]);
    expect(visibleObjects([manifest, f3, part], manifests)).toEqual([f3, part]);
    expect(visibleObjects([f3, part], new Map())).toEqual([f3, part]);
  });

  it('reads a manifest or says what is wrong with it', () => {
    expect(parseManifest(JSON.stringify({ part, sources: [f1] }), manifest)).toEqual({
      part,
      sources: [f1],
    });
    expect(() => parseManifest('{"part":1}', manifest)).toThrow(
      `${manifest} is not a compaction manifest`,
    );
  });
});
