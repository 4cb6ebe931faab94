import { describe, expect, it } from 'vitest';
import { heapArguments } from '../../../local/lambda/environment.ts';

describe('heapArguments', () => {
  it('gives a tenth of the memory to the young generation and the rest to the old, as Lambda does', () => {
    expect(heapArguments(1024)).toEqual(['--max-semi-space-size=34', '--max-old-space-size=922']);
    expect(heapArguments(128)).toEqual(['--max-semi-space-size=4', '--max-old-space-size=116']);
  });

  it('never asks for an empty semi-space', () => {
    expect(heapArguments(16)).toEqual(['--max-semi-space-size=1', '--max-old-space-size=15']);
  });

  it.each([
    '--max-semi-space-size=8',
    '--max_semi_space_size=8',
    '--enable-source-maps --max-old-space-size=900',
    '--max_old_space_size=900',
  ])('leaves both spaces to the function when NODE_OPTIONS sizes one: %s', (options) => {
    expect(heapArguments(1024, options)).toEqual([]);
  });

  it('keeps its own limits when NODE_OPTIONS sets other flags', () => {
    expect(heapArguments(512, '--enable-source-maps')).toEqual([
      '--max-semi-space-size=17',
      '--max-old-space-size=461',
    ]);
  });
});
