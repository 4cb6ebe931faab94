import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { synthPipelineAssembly } from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  burst,
  countLoaded,
  database,
  environmentsOf,
  expectEachFileOnce,
  faultRig,
  killLeftovers,
  postgresProcesses,
  s3For,
  uploadLargeAndWaitForCopy,
} from './helpers.ts';

/**
 * PostgreSQL paused or killed while files load: the messages it touches fail alone, are
 * retried with a backoff, and every acknowledged upload loads exactly once when it is back.
 */
describe('the database paused or killed mid-load', () => {
  let assembly: string;
  beforeAll(() => {
    assembly = synthPipelineAssembly();
  });
  afterEach(killLeftovers);

  async function scenario(name: string, fault: (stateDir: string) => Promise<void>) {
    const rig = await faultRig(assembly);
    const cloud = await rig.start();
    const bucket = cloud.outputs().BucketName as string;
    const db = await database(cloud);
    const s3 = s3For(cloud);
    const upload = burst(s3, bucket, { name, files: 600, rows: 20 });
    try {
      await waitFor(
        'the first files loaded',
        async () => (await countLoaded(db, `incoming/${name}/`)) >= 100,
        {
          timeoutMs: 120_000,
        },
      );
      await fault(rig.stateDir);
      // Uploads carry on through the fault: S3 does not depend on the database.
      await upload.done;
      await expectEachFileOnce(db, `incoming/${name}/`, upload.acknowledged, 60_000);
      expect(upload.acknowledged.size).toBe(600);
      return cloud;
    } finally {
      upload.halt();
      s3.destroy();
      await db.end();
      cloud.signalGroup('SIGINT');
      await cloud.exited;
    }
  }

  it('paused for 60 s (SIGSTOP of the server and its backends)', async () => {
    await scenario('paused', async (stateDir) => {
      const pids = postgresProcesses(stateDir);
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    });
  });

  it('killed (SIGKILL of the server): the cloud starts it again', async () => {
    const cloud = await scenario('killed', async (stateDir) => {
      const [postmaster] = postgresProcesses(stateDir);
      process.kill(postmaster as number, 'SIGKILL');
    });
    expect(
      cloud.output.some((l) => /PostgreSQL ended unexpectedly \(killed by SIGKILL\)/.test(l)),
    ).toBe(true);
    expect(cloud.output.some((l) => /PostgreSQL is back/.test(l))).toBe(true);
  });

  it('a connection ended under a COPY (pg_terminate_backend): that file alone fails, and loads once', async () => {
    const rig = await faultRig(assembly);
    const cloud = await rig.start();
    const outputs = cloud.outputs();
    const db = await database(cloud);
    const s3 = s3For(cloud);
    try {
      const key = 'incoming/terminated/large.csv';
      await uploadLargeAndWaitForCopy(s3, db, outputs.BucketName as string, key, 300_000);
      const environments = environmentsOf(cloud, outputs.IngestFunctionName as string);
      // Small files arrive while the large one's connection is ended.
      const upload = burst(s3, outputs.BucketName as string, {
        name: 'terminated/small',
        files: 20,
        rows: 10,
      });
      const { rows: ended } = await db.query(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
          WHERE application_name = 'shopstream-ingest' AND query ILIKE 'COPY%'`,
      );
      expect(ended.length).toBeGreaterThan(0);
      const endedAt = Date.now();
      await upload.done;
      await expectEachFileOnce(
        db,
        'incoming/terminated/',
        new Map([[key, 300_000], ...upload.acknowledged]),
        60_000,
      );
      expect(Date.now() - endedAt).toBeLessThan(60_000);
      // No execution environment ended: the client's error failed the file, not the runtime.
      for (const pid of environments) expect(() => process.kill(pid, 0)).not.toThrow();
      expect(cloud.output.some((l) => /Runtime\.|uncaught/i.test(l))).toBe(false);
    } finally {
      s3.destroy();
      await db.end();
      cloud.signalGroup('SIGINT');
      await cloud.exited;
    }
  });
});
