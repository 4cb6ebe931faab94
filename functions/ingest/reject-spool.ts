import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RejectedRow } from './ports.ts';
import { escapeInvalidBytes } from './utf8.ts';

/**
 * Holds a file's rejected rows until the events are loaded (one connection runs one COPY at
 * a time). Kept in memory up to a budget, then spilled to a temporary file as JSON lines, so
 * a file of nothing but bad rows still streams in bounded memory. Adding is synchronous: it
 * runs inside the parser's per-record callback.
 */
export class RejectSpool {
  private readonly memory: RejectedRow[] = [];
  private memoryBytes = 0;
  private spill: { dir: string; path: string; fd: number; pending: string } | null = null;
  count = 0;
  private readonly budgetBytes: number;

  constructor(budgetBytes = 16 * 1024 * 1024) {
    this.budgetBytes = budgetBytes;
  }

  add(rejected: RejectedRow): void {
    this.count++;
    // Bytes that were not UTF-8 are kept, as \xNN (functions/ingest/utf8.ts).
    const row = { ...rejected, raw: escapeInvalidBytes(rejected.raw) };
    if (this.spill === null && this.memoryBytes + row.raw.length * 2 <= this.budgetBytes) {
      this.memory.push(row);
      this.memoryBytes += row.raw.length * 2 + 64;
      return;
    }
    if (this.spill === null) {
      const dir = mkdtempSync(join(tmpdir(), 'shopstream-rejects-'));
      const path = join(dir, 'rows.jsonl');
      this.spill = { dir, path, fd: openSync(path, 'w'), pending: '' };
    }
    this.spill.pending += `${JSON.stringify(row)}\n`;
    if (this.spill.pending.length > 1024 * 1024) this.flush();
  }

  async *rows(): AsyncGenerator<RejectedRow> {
    yield* this.memory;
    if (this.spill === null) return;
    this.flush();
    const lines = createInterface({
      input: createReadStream(this.spill.path),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) {
      if (line !== '') yield JSON.parse(line) as RejectedRow;
    }
  }

  async dispose(): Promise<void> {
    this.memory.length = 0;
    if (this.spill) {
      closeSync(this.spill.fd);
      rmSync(this.spill.dir, { recursive: true, force: true });
      this.spill = null;
    }
  }

  private flush() {
    if (this.spill && this.spill.pending !== '') {
      writeSync(this.spill.fd, this.spill.pending);
      this.spill.pending = '';
    }
  }
}
