import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../local/postgres/server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/**
 * One real PostgreSQL for the whole run; each test file makes its own database in it.
 *
 * Everything the run writes to the temporary directory (cloud assemblies, embedded clouds'
 * state with their PostgreSQL data, CDK's own output) goes under one directory of its own,
 * removed when the run ends: the test processes are forked after this, with TMPDIR set.
 */
export default async function setup(project: TestProject) {
  const root = await mkdtemp(join(tmpdir(), 'shopstream-test-'));
  process.env.TMPDIR = root;
  const dataDir = await mkdtemp(join(root, 'postgres-'));
  const server = await startPostgres({ dataDir, ephemeral: true, fast: true });
  project.provide('postgresUrl', server.url());
  return async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  };
}
