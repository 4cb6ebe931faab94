import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type CpuSnapshot, cpuBetween, cpuSnapshot } from '../../../scripts/lib/cpu-time.ts';

const snapshot = (
  processes: [number, string, number][],
  machine: { total: number; steal: number },
): CpuSnapshot => ({
  processes: new Map(processes.map(([pid, name, seconds]) => [pid, { name, seconds }])),
  machine,
});

describe('CPU used between two snapshots', () => {
  it('sums each group, counting a process that started in between in full', () => {
    const before = snapshot(
      [
        [1, 'node', 10],
        [2, 'postgres', 4],
      ],
      { total: 1000, steal: 10 },
    );
    const after = snapshot(
      [
        [1, 'node', 12.5],
        [2, 'postgres', 5],
        [3, 'postgres', 0.25],
      ],
      { total: 1400, steal: 50 },
    );
    const used = cpuBetween(before, after, (_pid, name) => name);
    expect(Object.fromEntries(used.seconds)).toEqual({ node: 2.5, postgres: 1.25 });
    expect(used.stealShare).toBeCloseTo(0.1);
  });

  it('reports no steal when the machine time did not move', () => {
    const same = snapshot([], { total: 5, steal: 1 });
    expect(cpuBetween(same, same, () => 'all').stealShare).toBe(0);
  });
});

describe.runIf(process.platform === 'linux')('CPU snapshot from /proc', () => {
  it('sees this process and the CPU a child burns', async () => {
    const child = spawn(process.execPath, [
      '-e',
      // Burns 300 ms of CPU, says so, then idles until killed.
      'const end = Date.now() + 300; while (Date.now() < end); console.log("burnt"); setInterval(() => {}, 1000);',
    ]);
    try {
      const before = cpuSnapshot();
      await once(child.stdout, 'data');
      const after = cpuSnapshot();
      expect(before?.processes.has(process.pid)).toBe(true);
      expect(after?.processes.has(child.pid as number)).toBe(true);
      const used = cpuBetween(before as CpuSnapshot, after as CpuSnapshot, (pid) =>
        pid === child.pid ? 'child' : 'other',
      );
      expect(used.seconds.get('child')).toBeGreaterThan(0.1);
      expect(after?.machine.total).toBeGreaterThan(before?.machine.total ?? Infinity);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });
});
