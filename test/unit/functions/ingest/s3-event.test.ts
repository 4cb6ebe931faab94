import { describe, expect, it } from 'vitest';
import { MalformedMessageError } from '../../../../functions/ingest/errors.ts';
import { decodeS3Key, parseNotification } from '../../../../functions/ingest/s3-event.ts';
import { s3Record, testEventBody } from '../../../helpers/events.ts';

describe('parseNotification', () => {
  it('recognises the s3:TestEvent', () => {
    expect(parseNotification(testEventBody('b'))).toEqual({ kind: 'test', bucket: 'b' });
  });

  it('reads every record with its version facts and a decoded key', () => {
    const body = JSON.stringify({
      Records: [
        s3Record({
          bucket: 'b',
          encodedKey: 'incoming/a+b%2Bc%20d.csv',
          etag: 'abc',
          versionId: 'v1',
          size: 10,
          sequencer: '01',
        }),
        s3Record({
          bucket: 'b',
          encodedKey: 'incoming/x.csv',
          eventName: 'ObjectCreated:CompleteMultipartUpload',
        }),
      ],
    });
    const parsed = parseNotification(body);
    expect(parsed.kind).toBe('records');
    if (parsed.kind !== 'records') return;
    expect(parsed.records[0]).toMatchObject({
      bucket: 'b',
      key: 'incoming/a b+c d.csv',
      etag: 'abc',
      versionId: 'v1',
      size: 10,
      sequencer: '01',
      eventName: 'ObjectCreated:Put',
    });
    expect(parsed.records[1]).toMatchObject({
      versionId: null,
      etag: null,
      eventName: 'ObjectCreated:CompleteMultipartUpload',
    });
  });

  it('sets a malformed record aside and keeps the others', () => {
    const body = JSON.stringify({
      Records: [
        { s3: {} },
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'b' }, object: { key: 'incoming/a.csv' } },
        },
        { s3: { bucket: { name: 'b' }, object: { key: 'bad%E0%A4%A' } } },
      ],
    });
    const parsed = parseNotification(body);
    if (parsed.kind !== 'records') throw new Error('not records');
    expect(parsed.records.map((r) => r.key)).toEqual(['incoming/a.csv']);
    expect(parsed.malformed).toEqual([
      { index: 0, reason: 'record 0 is not an S3 event record' },
      { index: 2, reason: 'object key is not form-encoded: "bad%E0%A4%A"' },
    ]);
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1,2]', 'not a JSON object'],
    ['{"hello":1}', 'no S3 event Records'],
    ['{"Records":[{"s3":{}}]}', 'record 0 is not an S3 event record'],
  ])('refuses %j', (body, message) => {
    expect(() => parseNotification(body)).toThrow(MalformedMessageError);
    expect(() => parseNotification(body)).toThrow(message);
  });
});

describe('decodeS3Key', () => {
  it('treats + and %20 as spaces and decodes UTF-8', () => {
    expect(decodeS3Key('a+b%20c')).toBe('a b c');
    expect(decodeS3Key('caf%C3%A9%2B.csv')).toBe('café+.csv');
  });

  it('refuses a broken escape', () => {
    expect(() => decodeS3Key('bad%E0%A4%A')).toThrow(MalformedMessageError);
  });
});
