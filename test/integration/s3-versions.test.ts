import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CREDENTIALS } from '../../local/constants.ts';
import { ServiceRegistry } from '../../local/registry.ts';
import type { CreatedObject } from '../../local/s3/notifications.ts';
import { type CloudServer, startServer } from '../../local/server.ts';

/** The embedded cloud's S3 endpoint alone, with what each object write would notify. */
async function start(stateDir: string) {
  const created: CreatedObject[] = [];
  const server = await startServer({
    port: 0,
    stateDir,
    region: 'us-east-1',
    registry: new ServiceRegistry(),
    onObjectCreated: (object) => created.push(object),
  });
  const s3 = new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
  });
  return { server, s3, created };
}

describe('S3 bucket versioning on the embedded endpoint (AWS SDK)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'shopstream-versions-'));
  let server: CloudServer;
  let s3: S3Client;
  let created: CreatedObject[];
  const Bucket = 'versioned';
  const text = async (params: { Key: string; VersionId?: string; Range?: string }) =>
    (await s3
      .send(new GetObjectCommand({ Bucket, ...params }))
      .then((r) => r.Body?.transformToString())) as string;

  beforeAll(async () => {
    ({ server, s3, created } = await start(stateDir));
    await s3.send(new CreateBucketCommand({ Bucket }));
  });
  afterAll(async () => {
    s3.destroy();
    await server.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('is off until turned on, and says so', async () => {
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBeUndefined();
    const before = await s3.send(new PutObjectCommand({ Bucket, Key: 'old', Body: 'before' }));
    expect(before.VersionId).toBeUndefined();
    await s3.send(
      new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
  });

  it('keeps every version of an overwritten key, each readable by its id', async () => {
    const v1 = await s3.send(new PutObjectCommand({ Bucket, Key: 'k.csv', Body: 'first body' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket, Key: 'k.csv', Body: 'second' }));
    expect(v1.VersionId).toMatch(/^[\w-]{32}$/);
    expect(v2.VersionId).not.toBe(v1.VersionId);
    // Each write's notification names the version it made.
    expect(created.filter((c) => c.key === 'k.csv').map((c) => c.versionId)).toEqual([
      v1.VersionId,
      v2.VersionId,
    ]);
    expect(await text({ Key: 'k.csv' })).toBe('second');
    expect(await text({ Key: 'k.csv', VersionId: v1.VersionId })).toBe('first body');
    expect(await text({ Key: 'k.csv', VersionId: v2.VersionId })).toBe('second');
    expect(await text({ Key: 'k.csv', VersionId: v1.VersionId, Range: 'bytes=6-9' })).toBe('body');
    const head = await s3.send(
      new HeadObjectCommand({ Bucket, Key: 'k.csv', VersionId: v1.VersionId }),
    );
    expect(head).toMatchObject({ ContentLength: 10, VersionId: v1.VersionId, ETag: v1.ETag });
    expect((await s3.send(new GetObjectCommand({ Bucket, Key: 'k.csv' }))).VersionId).toBe(
      v2.VersionId,
    );
    await expect(
      s3.send(new GetObjectCommand({ Bucket, Key: 'k.csv', VersionId: 'no-such-version' })),
    ).rejects.toMatchObject({ name: 'NoSuchVersion' });
  });

  it('lists versions newest first, with the object from before versioning as "null"', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'old', Body: 'after' }));
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket }));
    const versions = listed.Versions?.map((v) => [v.Key, v.IsLatest, v.Size]);
    expect(versions).toEqual([
      ['k.csv', true, 6],
      ['k.csv', false, 10],
      ['old', true, 5],
      ['old', false, 6],
    ]);
    expect(listed.Versions?.[3]?.VersionId).toBe('null');
    expect(await text({ Key: 'old', VersionId: 'null' })).toBe('before');
    // Pages: one version a page, every version once.
    const seen: string[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket, MaxKeys: 1, ...markers }));
      seen.push(...(page.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`));
      if (!page.IsTruncated) break;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
    expect(seen).toEqual(listed.Versions?.map((v) => `${v.Key}@${v.VersionId}`));
  });

  it('deletes with a marker, and deleting a version brings the previous one back', async () => {
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k.csv' }));
    expect(deleted.DeleteMarker).toBe(true);
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: 'k.csv' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'k' }));
    expect(listed.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest])).toEqual([
      [deleted.VersionId, true],
    ]);
    const [newest, oldest] = listed.Versions ?? [];
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k.csv', VersionId: deleted.VersionId }));
    expect(await text({ Key: 'k.csv' })).toBe('second');
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k.csv', VersionId: newest?.VersionId }));
    expect(await text({ Key: 'k.csv' })).toBe('first body');
    const copied = await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key: 'copy.csv',
        CopySource: `${Bucket}/k.csv?versionId=${oldest?.VersionId}`,
      }),
    );
    expect(copied.VersionId).toMatch(/^[\w-]{32}$/);
    expect(await text({ Key: 'copy.csv' })).toBe('first body');
    await expect(s3.send(new DeleteBucketCommand({ Bucket }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
    });
  });

  it('keeps versions across a restart', async () => {
    const before = await s3.send(new ListObjectVersionsCommand({ Bucket }));
    s3.destroy();
    await server.close();
    ({ server, s3, created } = await start(stateDir));
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket }));
    expect(after.Versions).toEqual(before.Versions);
    expect(await text({ Key: 'old', VersionId: 'null' })).toBe('before');
  });
});
