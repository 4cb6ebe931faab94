import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SERVER = join(import.meta.dirname, '../../local/postgres/server.ts');

/** Runs a Node process that loads the PostgreSQL launcher, then ends with `code`. */
function exitWith(code: number, how: 'exitCode' | 'exit') {
  const script = `await import(${JSON.stringify(SERVER)}); ${
    how === 'exitCode' ? `process.exitCode = ${code};` : `process.exit(${code});`
  }`;
  return spawnSync(process.execPath, ['--input-type=module', '--eval', script], {
    encoding: 'utf8',
  }).status;
}

describe('a process that loads the PostgreSQL launcher', () => {
  it('keeps a failure code it set before ending on its own', () => {
    expect(exitWith(3, 'exitCode')).toBe(3);
  });

  it('still ends with 0 when nothing failed, and with an explicit exit code', () => {
    expect(exitWith(0, 'exitCode')).toBe(0);
    expect(exitWith(4, 'exit')).toBe(4);
  });
});
