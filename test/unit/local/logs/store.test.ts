import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogStore } from '../../../../local/logs/store.ts';

describe('the log store across a crash', () => {
  it('drops a torn last line and appends after it on a line of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shopstream-logs-'));
    const groupDir = join(dir, encodeURIComponent('/aws/lambda/f'));
    mkdirSync(groupDir);
    const file = join(groupDir, `${encodeURIComponent('s')}.jsonl`);
    const whole = JSON.stringify({ timestamp: 1, message: 'before', ingestionTime: 1 });
    writeFileSync(file, `${whole}\n{"timestamp":2,"mess`);

    const store = new LogStore(dir);
    expect(
      store
        .group('/aws/lambda/f')
        ?.streams.get('s')
        ?.events.map((e) => e.message),
    ).toEqual(['before']);
    store.put('/aws/lambda/f', 's', [{ message: 'after' }]);
    await store.close();

    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    const reloaded = new LogStore(dir);
    expect(
      reloaded
        .group('/aws/lambda/f')
        ?.streams.get('s')
        ?.events.map((e) => e.message),
    ).toEqual(['before', 'after']);
  });
});
