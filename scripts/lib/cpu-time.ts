import { readdirSync, readFileSync } from 'node:fs';

/** Linux gives process and machine CPU times in ticks of USER_HZ, 100 a second on every common architecture. */
const TICKS_PER_SECOND = 100;

export interface CpuSnapshot {
  /** CPU seconds used so far by this process and by each process under it, by process id. */
  readonly processes: ReadonlyMap<number, { readonly name: string; readonly seconds: number }>;
  /** The machine's CPU time in ticks: in all, and what the host gave to others (steal). */
  readonly machine: { readonly total: number; readonly steal: number };
}

export interface CpuUsed {
  /** Seconds of CPU by group. */
  readonly seconds: ReadonlyMap<string, number>;
  /** The share of the machine's CPU time the host took for others. */
  readonly stealShare: number;
}

/**
 * The CPU time of this process tree and of the machine, from /proc; null where there is no
 * /proc (macOS, Windows). Read by hand: the steal figure is in /proc/stat alone, and the same
 * few fields per process serve for the rest.
 */
export function cpuSnapshot(): CpuSnapshot | null {
  let entries: string[];
  let machineLine: string;
  try {
    entries = readdirSync('/proc');
    machineLine = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  } catch {
    return null;
  }
  const all = new Map<number, { name: string; ppid: number; seconds: number }>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it exited in between
    }
    // The name sits in parentheses and may itself hold spaces or parentheses.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    all.set(Number(entry), {
      name: stat.slice(stat.indexOf('(') + 1, close),
      ppid: Number(fields[1]),
      seconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    });
  }
  const children = new Map<number, number[]>();
  for (const [pid, p] of all) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(pid);
    else children.set(p.ppid, [pid]);
  }
  const processes = new Map<number, { name: string; seconds: number }>();
  const pending = [process.pid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const p = all.get(pid);
    if (!p) continue;
    processes.set(pid, { name: p.name, seconds: p.seconds });
    pending.push(...(children.get(pid) ?? []));
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is in user)
  const ticks = machineLine.trim().split(/\s+/).slice(1, 9).map(Number);
  return {
    processes,
    machine: { total: ticks.reduce((a, b) => a + b, 0), steal: ticks[7] ?? 0 },
  };
}

/**
 * CPU used between two snapshots, summed by `group`. A process that started in between counts
 * in full; one that ended in between is missed.
 */
export function cpuBetween(
  before: CpuSnapshot,
  after: CpuSnapshot,
  group: (pid: number, name: string) => string,
): CpuUsed {
  const seconds = new Map<string, number>();
  for (const [pid, p] of after.processes) {
    const used = p.seconds - (before.processes.get(pid)?.seconds ?? 0);
    const key = group(pid, p.name);
    seconds.set(key, (seconds.get(key) ?? 0) + used);
  }
  const total = after.machine.total - before.machine.total;
  const steal = after.machine.steal - before.machine.steal;
  return { seconds, stealShare: total > 0 ? steal / total : 0 };
}
