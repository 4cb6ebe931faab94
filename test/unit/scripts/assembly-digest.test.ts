import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemblyDigest } from '../../../scripts/start.ts';

describe('assemblyDigest', () => {
  it('changes when another synth rewrites a template, and with nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'assembly-'));
    writeFileSync(
      join(dir, 'Shopstream.template.json'),
      '{"Resources":{"Q":{"Properties":{"MessageRetentionPeriod":3600}}}}',
    );
    const local = assemblyDigest(dir);
    writeFileSync(join(dir, 'manifest.json'), '{"version":"1"}');
    writeFileSync(join(dir, '.shopstream-sources'), 'stamp');
    expect(assemblyDigest(dir)).toBe(local);
    writeFileSync(
      join(dir, 'Shopstream.template.json'),
      '{"Resources":{"Q":{"Properties":{"MessageRetentionPeriod":345600}}}}',
    );
    expect(assemblyDigest(dir)).not.toBe(local);
    expect(assemblyDigest(join(dir, 'missing'))).toBe('');
  });
});
