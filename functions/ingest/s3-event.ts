import { MalformedMessageError } from './errors.ts';

/** One S3 object version named by a notification, key already URL-decoded. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | null;
  readonly etag: string | null;
  readonly sequencer: string | null;
  readonly size: number | null;
  readonly eventName: string;
  readonly eventTime: string | null;
}

/** A record of a notification that names no object: skipped on its own, the others go on. */
export interface MalformedRecord {
  readonly index: number;
  readonly reason: string;
}

export type Notification =
  | { readonly kind: 'test'; readonly bucket: string | null }
  | {
      readonly kind: 'records';
      readonly records: readonly ObjectRef[];
      readonly malformed: readonly MalformedRecord[];
    };

/** S3 form-encodes keys in notifications: `+` is a space, `%XX` a byte of UTF-8. */
export function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    throw new MalformedMessageError(`object key is not form-encoded: ${JSON.stringify(key)}`);
  }
}

/**
 * Reads the body of an SQS message that S3 sent: the test event, or event records. A record
 * that names no object is set aside with its reason; a body with no usable record at all is
 * a malformed message.
 */
export function parseNotification(body: string): Notification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new MalformedMessageError('message body is not JSON');
  }
  if (!isObject(parsed)) throw new MalformedMessageError('message body is not a JSON object');
  if (parsed.Event === 's3:TestEvent') {
    return { kind: 'test', bucket: typeof parsed.Bucket === 'string' ? parsed.Bucket : null };
  }
  if (!Array.isArray(parsed.Records)) {
    throw new MalformedMessageError('message body has no S3 event Records');
  }
  const records: ObjectRef[] = [];
  const malformed: MalformedRecord[] = [];
  parsed.Records.forEach((record: unknown, index: number) => {
    try {
      records.push(toObjectRef(record, index));
    } catch (error) {
      if (!(error instanceof MalformedMessageError)) throw error;
      malformed.push({ index, reason: error.message });
    }
  });
  if (records.length === 0) {
    throw new MalformedMessageError(
      malformed.map((m) => m.reason).join('; ') || 'message body has no S3 event Records',
    );
  }
  return { kind: 'records', records, malformed };
}

function toObjectRef(record: unknown, i: number): ObjectRef {
  const s3 = isObject(record) && isObject(record.s3) ? record.s3 : null;
  const bucket = s3 && isObject(s3.bucket) ? s3.bucket.name : undefined;
  const object = s3 && isObject(s3.object) ? s3.object : null;
  if (
    !isObject(record) ||
    typeof bucket !== 'string' ||
    !object ||
    typeof object.key !== 'string'
  ) {
    throw new MalformedMessageError(`record ${i} is not an S3 event record`);
  }
  return {
    bucket,
    key: decodeS3Key(object.key),
    versionId:
      typeof object.versionId === 'string' && object.versionId !== '' ? object.versionId : null,
    etag: typeof object.eTag === 'string' ? object.eTag.replace(/"/g, '') : null,
    sequencer: typeof object.sequencer === 'string' ? object.sequencer : null,
    size: typeof object.size === 'number' ? object.size : null,
    eventName: typeof record.eventName === 'string' ? record.eventName : '',
    eventTime: typeof record.eventTime === 'string' ? record.eventTime : null,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
