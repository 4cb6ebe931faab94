import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { synthPipelineAssembly } from '../helpers/local-cloud.ts';
import {
  database,
  environmentsOf,
  expectEachFileOnce,
  faultRig,
  killLeftovers,
  s3For,
  uploadLargeAndWaitForCopy,
} from './helpers.ts';

describe('an ingest execution environment killed mid-COPY', () => {
  let assembly: string;
  beforeAll(() => {
    assembly = synthPipelineAssembly();
  });
  afterEach(killLeftovers);

  it('loads the file once, within a minute, without a restart of the cloud', async () => {
    const rig = await faultRig(assembly);
    const cloud = await rig.start();
    const outputs = cloud.outputs();
    const db = await database(cloud);
    const s3 = s3For(cloud);
    try {
      const key = 'incoming/env/three-hundred-thousand.csv';
      await uploadLargeAndWaitForCopy(s3, db, outputs.BucketName as string, key, 300_000);
      // The s3:TestEvent of the deploy may have left a second, idle environment; which one
      // holds the COPY cannot be told from outside, so every ingest environment is killed.
      const environments = environmentsOf(cloud, outputs.IngestFunctionName as string);
      expect(environments.length).toBeGreaterThan(0);
      for (const pid of environments) process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      // The queue's visibility timeout is 1,800 s; the function's 30 s lease brings it back.
      await expectEachFileOnce(db, 'incoming/env/', new Map([[key, 300_000]]), 60_000);
      expect(Date.now() - killedAt).toBeLessThan(60_000);
      const { rows } = await db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'shopstream-ingest' AND state = 'idle in transaction'`,
      );
      expect(rows[0].n).toBe(0);
    } finally {
      s3.destroy();
      await db.end();
      cloud.signalGroup('SIGINT');
      await cloud.exited;
    }
  });
});
