import { describe, expect, it } from 'vitest';
import { encodeEventKey, S3Notifications } from '../../../local/s3/notifications.ts';

describe('S3 notifications', () => {
  it('form-encodes keys as S3 does', () => {
    expect(encodeEventKey('incoming/a b+c.csv')).toBe('incoming/a+b%2Bc.csv');
    expect(encodeEventKey("incoming/(x)!'~=é.csv")).toBe('incoming/%28x%29%21%27%7E%3D%C3%A9.csv');
  });

  it('sends the test event on configuration and records that match prefix, suffix and event', async () => {
    const sent: [string, Record<string, unknown>][] = [];
    const n = new S3Notifications(async (arn, body) => {
      sent.push([arn, JSON.parse(body)]);
    }, 'eu-west-1');
    await n.configure('b', [
      {
        id: 'c1',
        queueArn: 'arn:q1',
        events: ['s3:ObjectCreated:*'],
        prefix: 'incoming/',
        suffix: '.csv',
      },
    ]);
    expect(sent).toEqual([
      [
        'arn:q1',
        expect.objectContaining({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' }),
      ],
    ]);

    const object = { bucket: 'b', size: 10, etag: '"abc"', sourceIp: '127.0.0.1' };
    await n.objectCreated({ ...object, key: 'incoming/x.csv', eventName: 'ObjectCreated:Put' });
    await n.objectCreated({ ...object, key: 'incoming/y.json', eventName: 'ObjectCreated:Put' });
    await n.objectCreated({ ...object, key: 'other/z.csv', eventName: 'ObjectCreated:Copy' });
    await n.objectCreated({
      ...object,
      key: 'incoming/w.csv',
      eventName: 'ObjectCreated:CompleteMultipartUpload',
    });
    const records = sent
      .slice(1)
      // biome-ignore lint/suspicious/noExplicitAny: reading nested fields of an event record
      .map(([, body]) => (body.Records as Record<string, unknown>[])[0] as Record<string, any>);
    expect(records.map((r) => [r.eventName, r.s3.object.key])).toEqual([
      ['ObjectCreated:Put', 'incoming/x.csv'],
      ['ObjectCreated:CompleteMultipartUpload', 'incoming/w.csv'],
    ]);
    expect(records[0]).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'c1',
        bucket: { name: 'b', arn: 'arn:aws:s3:::b' },
        object: { size: 10, eTag: 'abc' },
      },
    });
    expect(records[1]?.s3.object.sequencer > records[0]?.s3.object.sequencer).toBe(true);
  });
});
