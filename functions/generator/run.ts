import { randomBytes, randomInt } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import type { GeneratorConfig } from './config.ts';
import { csvFile, type FileStats } from './generate.ts';

/** What one invocation may override (the `generate` command sends these). */
export interface GeneratorRequest {
  readonly files?: number;
  readonly rows?: number;
  readonly seed?: number;
  readonly intervalMs?: number;
}

export interface WrittenFile {
  readonly key: string;
  readonly stats: FileStats;
}

/** Where files go; the Lambda adapter uploads to S3. */
export type PutFile = (key: string, body: Readable, contentType: string) => Promise<void>;

/** `incoming/2026/11/22/04/20261122T043512Z-1f2e3d4c.csv`: date-partitioned, never reused. */
export function objectKey(prefix: string, at: Date, gzip: boolean): string {
  const iso = at.toISOString();
  const partition = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
  const stamp = iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${prefix}${partition}/${stamp}-${randomBytes(4).toString('hex')}.csv${gzip ? '.gz' : ''}`;
}

/** Writes the invocation's files one after another, pausing between them. */
export async function runGenerator(
  config: GeneratorConfig,
  request: GeneratorRequest,
  put: PutFile,
  onFile: (file: WrittenFile) => void = () => {},
): Promise<WrittenFile[]> {
  const files = request.files ?? config.filesPerInvocation;
  const rows = request.rows ?? config.eventsPerFile;
  const interval = request.intervalMs ?? config.fileIntervalMs;
  const seed = request.seed ?? config.seed ?? randomInt(2 ** 31 - 1);
  const written: WrittenFile[] = [];
  for (let i = 0; i < files; i++) {
    if (i > 0 && interval > 0) await sleep(interval);
    const now = new Date();
    const key = objectKey(config.prefix, now, config.gzip);
    const { stream, stats } = csvFile({
      rows,
      seed: seed + i,
      now: now.getTime(),
      dirtyRate: config.dirtyRate,
      duplicateRate: config.duplicateRate,
      lateRate: config.lateRate,
      sessionlessRate: config.sessionlessRate,
    });
    const body = config.gzip ? stream.pipe(createGzip()) : stream;
    await put(key, body, config.gzip ? 'application/gzip' : 'text/csv');
    const file = { key, stats: { ...stats } };
    written.push(file);
    onFile(file);
  }
  return written;
}
