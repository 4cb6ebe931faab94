import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Migration, toMigration } from './plan.ts';

/** Reads every `*.sql` file of a folder, in name order. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => toMigration(name, await readFile(join(dir, name), 'utf8'))),
  );
}
