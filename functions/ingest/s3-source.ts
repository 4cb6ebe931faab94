import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectSource } from './ports.ts';
import type { ObjectRef } from './s3-event.ts';

const GONE = new Set(['NoSuchKey', 'NoSuchVersion', 'NotFound', 'PreconditionFailed']);

/**
 * Reads exactly the version a notification names: by version id on versioned buckets,
 * else guarded by If-Match on the ETag, so an overwrite in between is not read as this file.
 */
export class S3ObjectSource implements ObjectSource {
  private readonly s3: S3Client;

  constructor(s3: S3Client) {
    this.s3 = s3;
  }

  async open(ref: ObjectRef): Promise<Readable | null> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          ...(ref.versionId
            ? { VersionId: ref.versionId }
            : ref.etag
              ? { IfMatch: `"${ref.etag}"` }
              : {}),
        }),
      );
      return out.Body as Readable;
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      if (GONE.has(e.name ?? '') || status === 404 || status === 412) return null;
      throw error;
    }
  }
}
