import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RejectedRow } from './ports.ts';

/**
 * Holds a file's rejected rows until the events are loaded (one connection runs one COPY at
 * a time). Kept in memory up to a budget, then spilled to a temporary file as JSON lines, so
 * a file of nothing but bad rows still streams in bounded memory.
 */
export class RejectSpool {
  private readonly memory: RejectedRow[] = [];
  private memoryBytes = 0;
  private spill: { dir: string; path: string; out: WriteStream } | null = null;
  count = 0;
  private readonly budgetBytes: number;

  constructor(budgetBytes = 16 * 1024 * 1024) {
    this.budgetBytes = budgetBytes;
  }

  /** Adds a row; resolves at once unless the spill file needs to drain. */
  add(row: RejectedRow): Promise<void> | undefined {
    this.count++;
    if (this.spill === null && this.memoryBytes + row.raw.length * 2 <= this.budgetBytes) {
      this.memory.push(row);
      this.memoryBytes += row.raw.length * 2 + 64;
      return undefined;
    }
    return this.write(row);
  }

  private async write(row: RejectedRow): Promise<void> {
    if (this.spill === null) {
      const dir = await mkdtemp(join(tmpdir(), 'shopstream-rejects-'));
      const path = join(dir, 'rows.jsonl');
      this.spill = { dir, path, out: createWriteStream(path) };
    }
    const { out } = this.spill;
    if (!out.write(`${JSON.stringify(row)}\n`)) {
      await new Promise<void>((resolve) => out.once('drain', resolve));
    }
  }

  async *rows(): AsyncGenerator<RejectedRow> {
    yield* this.memory;
    if (this.spill === null) return;
    const { out, path } = this.spill;
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const lines = createInterface({
      input: createReadStream(path),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) {
      if (line !== '') yield JSON.parse(line) as RejectedRow;
    }
  }

  async dispose(): Promise<void> {
    this.memory.length = 0;
    if (this.spill) {
      this.spill.out.destroy();
      await rm(this.spill.dir, { recursive: true, force: true });
      this.spill = null;
    }
  }
}
