import { readFileSync } from 'node:fs';

/**
 * The environment's peak resident memory in MB, for REPORT's "Max Memory Used". On Linux it
 * is the process's own high-water mark (VmHWM). getrusage's maxRSS is not: Linux carries it
 * across fork and exec, so a function forked from a cloud process holding 300 MB would
 * report 300 MB before running a line.
 */
export function peakRssMb(status: () => string = () => readFileSync('/proc/self/status', 'utf8')) {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status())?.[1];
    if (kb !== undefined) return Math.round(Number(kb) / 1024);
  } catch {
    // Not Linux: fall through to getrusage.
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
