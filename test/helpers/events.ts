import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export interface S3ObjectFacts {
  readonly bucket: string;
  /** As S3 would send it: form-encoded. */
  readonly encodedKey: string;
  readonly etag?: string;
  readonly versionId?: string;
  readonly size?: number;
  readonly sequencer?: string;
  readonly eventName?: string;
  readonly eventTime?: string;
}

/** An S3 event notification record in the exact shape S3 sends to SQS (eventVersion 2.1). */
export function s3Record(facts: S3ObjectFacts) {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: facts.eventTime ?? new Date().toISOString(),
    eventName: facts.eventName ?? 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'EXAMPLE123', 'x-amz-id-2': 'EXAMPLE456' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'ingest',
      bucket: {
        name: facts.bucket,
        ownerIdentity: { principalId: 'EXAMPLE' },
        arn: `arn:aws:s3:::${facts.bucket}`,
      },
      object: {
        key: facts.encodedKey,
        size: facts.size ?? 0,
        ...(facts.etag ? { eTag: facts.etag } : {}),
        ...(facts.versionId ? { versionId: facts.versionId } : {}),
        sequencer: facts.sequencer ?? '0062E99A88DC407460',
      },
    },
  };
}

export function testEventBody(bucket: string): string {
  return JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: new Date().toISOString(),
    Bucket: bucket,
    RequestId: 'EXAMPLE',
    HostId: 'EXAMPLE',
  });
}

export function sqsRecord(body: string, messageId: string = randomUUID()): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:ingest',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** S3's form encoding of a key in notifications. */
export function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}
