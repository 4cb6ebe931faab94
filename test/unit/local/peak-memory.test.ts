import { describe, expect, it } from 'vitest';
import { peakRssMb } from '../../../local/lambda/peak-memory.ts';

describe('peakRssMb', () => {
  it("reads the process's own high-water mark from /proc/self/status", () => {
    const status = 'Name:\tnode\nVmPeak:\t 1234567 kB\nVmHWM:\t  161792 kB\nVmRSS:\t  120000 kB\n';
    expect(peakRssMb(() => status)).toBe(158);
  });

  it('falls back to getrusage where there is no /proc', () => {
    const fallback = Math.round(process.resourceUsage().maxRSS / 1024);
    expect(
      peakRssMb(() => {
        throw new Error('ENOENT');
      }),
    ).toBeGreaterThanOrEqual(fallback);
  });

  it('gives this process a peak no lower than what it holds now', () => {
    expect(peakRssMb()).toBeGreaterThanOrEqual(Math.floor(process.memoryUsage().rss / 2 ** 20));
  });
});
