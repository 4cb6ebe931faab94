import { createHash } from 'node:crypto';

export interface ObjectIdentity {
  readonly bucket: string;
  readonly key: string;
  /** Version id on versioned buckets, else the ETag. */
  readonly version: string;
}

/**
 * Ids for rows that bring none: a digest of the object's identity plus the line number, so
 * the same object version always yields the same ids and a re-delivery cannot duplicate.
 */
export function eventIdDeriver(object: ObjectIdentity): (line: number) => string {
  const prefix = createHash('sha256')
    .update(`${object.bucket}\u0000${object.key}\u0000${object.version}`)
    .digest('hex')
    .slice(0, 32);
  return (line) => `${prefix}:${line}`;
}
