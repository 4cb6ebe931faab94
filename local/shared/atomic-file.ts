import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a file whole or not at all: a process killed mid-write leaves the previous content.
 * The rename is atomic on POSIX file systems; without an fsync this holds across a crash of
 * the process, not of the machine, which is what local state needs.
 */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, path);
}
