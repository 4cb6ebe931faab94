import { describe, expect, it } from 'vitest';
import { eventIdDeriver } from '../../../../functions/ingest/event-id.ts';

describe('eventIdDeriver', () => {
  const object = { bucket: 'b', key: 'incoming/a.csv', version: 'etag1' };

  it('gives the same id for the same object version and line', () => {
    expect(eventIdDeriver(object)(5)).toBe(eventIdDeriver({ ...object })(5));
  });

  it('differs by line, key and version, and fits event_id', () => {
    const ids = new Set([
      eventIdDeriver(object)(5),
      eventIdDeriver(object)(6),
      eventIdDeriver({ ...object, key: 'incoming/b.csv' })(5),
      eventIdDeriver({ ...object, version: 'etag2' })(5),
    ]);
    expect(ids.size).toBe(4);
    expect(eventIdDeriver(object)(10_000_000).length).toBeLessThanOrEqual(64);
  });
});
