import { randomBytes } from 'node:crypto';
import { ACCOUNT_ID } from '../constants.ts';

/** A queue configuration of a bucket's notification configuration. */
export interface QueueNotification {
  readonly id: string;
  readonly queueArn: string;
  readonly events: readonly string[];
  readonly prefix?: string;
  readonly suffix?: string;
}

export type ObjectCreatedEvent =
  | 'ObjectCreated:Put'
  | 'ObjectCreated:Post'
  | 'ObjectCreated:Copy'
  | 'ObjectCreated:CompleteMultipartUpload';

/** One message for one destination queue. */
export interface QueueMessage {
  readonly queueArn: string;
  readonly body: string;
}

export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly eventName: ObjectCreatedEvent;
  readonly sourceIp: string;
  /** In a versioned bucket, the version the write made. */
  readonly versionId?: string | null;
}

export type SendToQueue = (queueArn: string, body: string) => Promise<void>;

/** S3 form-encodes keys in event records: `+` for space, `/` kept, as Java's URLEncoder. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/%20/g, '+')
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Bucket notifications to SQS in S3's event format (eventVersion 2.1): prefix and suffix
 * filters, an increasing sequencer per object, and the s3:TestEvent when a configuration is
 * saved.
 */
export class S3Notifications {
  private readonly configs = new Map<string, QueueNotification[]>();
  private sequence = BigInt(Date.now()) * 1_000_000n;
  private readonly send: SendToQueue;
  private readonly region: string;

  constructor(send: SendToQueue, region: string, saved: Record<string, QueueNotification[]> = {}) {
    this.send = send;
    this.region = region;
    for (const [bucket, configs] of Object.entries(saved)) this.configs.set(bucket, configs);
  }

  /** Replaces a bucket's configuration; each destination queue gets the s3:TestEvent. */
  async configure(bucket: string, configs: readonly QueueNotification[]): Promise<void> {
    this.configs.set(bucket, [...configs]);
    for (const queueArn of new Set(configs.map((c) => c.queueArn))) {
      await this.send(
        queueArn,
        JSON.stringify({
          Service: 'Amazon S3',
          Event: 's3:TestEvent',
          Time: new Date().toISOString(),
          Bucket: bucket,
          RequestId: randomBytes(8).toString('hex').toUpperCase(),
          HostId: randomBytes(24).toString('base64'),
        }),
      );
    }
  }

  configuration(bucket: string): readonly QueueNotification[] {
    return this.configs.get(bucket) ?? [];
  }

  snapshot(): Record<string, QueueNotification[]> {
    return Object.fromEntries(this.configs);
  }

  async objectCreated(object: CreatedObject): Promise<void> {
    for (const message of this.messagesFor(object)) await this.send(message.queueArn, message.body);
  }

  /**
   * The messages an object's creation sends, built without sending them, so that the caller
   * can enqueue them in the transaction that stores the object.
   */
  messagesFor(object: CreatedObject): QueueMessage[] {
    const matching = this.configuration(object.bucket).filter(
      (c) =>
        c.events.some((e) => e === `s3:${object.eventName}` || e === 's3:ObjectCreated:*') &&
        object.key.startsWith(c.prefix ?? '') &&
        object.key.endsWith(c.suffix ?? ''),
    );
    if (matching.length === 0) return [];
    this.sequence += 1n;
    const sequencer = this.sequence.toString(16).toUpperCase().padStart(18, '0');
    return matching.map((config) => {
      const record = {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: this.region,
        eventTime: new Date().toISOString(),
        eventName: object.eventName,
        userIdentity: { principalId: `AWS:${ACCOUNT_ID}` },
        requestParameters: { sourceIPAddress: object.sourceIp },
        responseElements: {
          'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
          'x-amz-id-2': randomBytes(24).toString('base64'),
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: config.id,
          bucket: {
            name: object.bucket,
            ownerIdentity: { principalId: ACCOUNT_ID },
            arn: `arn:aws:s3:::${object.bucket}`,
          },
          object: {
            key: encodeEventKey(object.key),
            size: object.size,
            eTag: object.etag.replace(/"/g, ''),
            ...(object.versionId ? { versionId: object.versionId } : {}),
            sequencer,
          },
        },
      };
      return { queueArn: config.queueArn, body: JSON.stringify({ Records: [record] }) };
    });
  }
}
