import { gzipSync } from 'node:zlib';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Record, testEventBody } from '../helpers/events.ts';
import { BUCKET, IngestHarness } from '../helpers/ingest-harness.ts';

const HEADER =
  'event_id,event_time,event_type,user_id,session_id,product_id,product_name,category,price,quantity,device_type';

function csv(...rows: string[]): string {
  return [HEADER, ...rows].join('\n');
}

describe('ingest handler against S3 and PostgreSQL', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await IngestHarness.start();
  });
  afterAll(() => h.stop());

  it('loads good rows, quarantines bad ones, and the ledger adds up', async () => {
    const key = 'incoming/2026/11/22/basic.csv';
    const body = csv(
      'e1,2026-11-20T10:00:00Z,view,u1,s1,p1,Mug,Kitchen,,,mobile',
      'e2,2026-11-20 10:01:00,purchase,u1,s1,p1,Mug,Kitchen,$12.345,2,phone',
      'e3,not a time,view,u2,,p2,,,,,',
      'e4,2026-11-20T10:02:00Z,add_to_cart,,s2,p3,,,,,',
    );
    const response = await h.deliver(await h.put(key, body));
    expect(response.batchItemFailures).toEqual([]);
    const [file] = await h.ledger(key);
    expect(file).toMatchObject({
      status: 'loaded',
      rows_total: 4,
      rows_loaded: 2,
      rows_rejected: 2,
      rows_duplicate: 0,
    });
    const { rows } = await h.db.pool.query(
      `SELECT event_id, event_time, event_type, price::text, quantity, device_type, line_number
         FROM events WHERE file_id = $1 ORDER BY event_id`,
      [file?.id],
    );
    expect(rows).toEqual([
      {
        event_id: 'e1',
        event_time: new Date('2026-11-20T10:00:00Z'),
        event_type: 'view',
        price: null,
        quantity: 1,
        device_type: 'mobile',
        line_number: 2,
      },
      {
        event_id: 'e2',
        event_time: new Date('2026-11-20T10:01:00Z'),
        event_type: 'purchase',
        price: '12.35',
        quantity: 2,
        device_type: 'mobile',
        line_number: 3,
      },
    ]);
    expect(await h.rejected(file?.id as string)).toEqual([
      {
        line_number: 4,
        raw_record: 'e3,not a time,view,u2,,p2,,,,,',
        reasons: ['invalid:event_time'],
      },
      {
        line_number: 5,
        raw_record: 'e4,2026-11-20T10:02:00Z,add_to_cart,,s2,p3,,,,,',
        reasons: ['missing:user_id', 'missing:price'],
      },
    ]);
  });

  it('changes nothing when the same S3 event is delivered again, even at the same time', async () => {
    const key = 'incoming/redelivery.csv';
    const facts = await h.put(
      key,
      csv('r1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,', 'r2,bad,view,u1,,p1,,,,,'),
    );
    const before = { events: await h.count('events'), rejected: await h.count('rejected_rows') };
    const responses = await Promise.all([h.deliver(facts, facts), h.deliver(facts)]);
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(await h.ledger(key)).toHaveLength(1);
    expect(await h.count('events')).toBe(before.events + 1);
    expect(await h.count('rejected_rows')).toBe(before.rejected + 1);
    const snapshot = await h.db.pool.query('SELECT * FROM ingested_files WHERE key = $1', [key]);
    await h.deliver(facts);
    expect(
      (await h.db.pool.query('SELECT * FROM ingested_files WHERE key = $1', [key])).rows,
    ).toEqual(snapshot.rows);
  });

  it('counts ids already stored and ids repeated within the file as duplicates', async () => {
    await h.deliver(
      await h.put('incoming/dups-1.csv', csv('d1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,')),
    );
    const key = 'incoming/dups-2.csv';
    const response = await h.deliver(
      await h.put(
        key,
        csv(
          'd1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,',
          'd2,2026-11-20T10:00:01Z,view,u1,,p1,,,,,',
          'd2,2026-11-20T10:00:02Z,view,u9,,p9,,,,,',
          'd3,2026-11-20T10:00:03Z,view,u1,,p1,,,,,',
          'd4,oops,view,u1,,p1,,,,,',
        ),
      ),
    );
    expect(response.batchItemFailures).toEqual([]);
    const [file] = await h.ledger(key);
    expect(file).toMatchObject({
      rows_total: 5,
      rows_loaded: 2,
      rows_duplicate: 2,
      rows_rejected: 1,
    });
    const { rows } = await h.db.pool.query(
      `SELECT event_id, user_id FROM events WHERE event_id IN ('d1', 'd2', 'd3') ORDER BY event_id`,
    );
    // The first occurrence in the file wins; a stored id is never overwritten.
    expect(rows).toEqual([
      { event_id: 'd1', user_id: 'u1' },
      { event_id: 'd2', user_id: 'u1' },
      { event_id: 'd3', user_id: 'u1' },
    ]);
  });

  it('rejects a file that lacks a required column, once, without asking for a retry', async () => {
    const key = 'incoming/no-user.csv';
    const facts = await h.put(
      key,
      'event_time,event_type,product_id\n2026-11-20T10:00:00Z,view,p1\n',
    );
    const response = await h.deliver(facts);
    expect(response.batchItemFailures).toEqual([]);
    const [file] = await h.ledger(key);
    expect(file).toMatchObject({
      status: 'rejected',
      rows_total: 0,
      error: 'missing_columns: user_id',
    });
    expect(await h.rejected(file?.id as string)).toEqual([]);
    await h.deliver(facts);
    expect(await h.ledger(key)).toHaveLength(1);
  });

  it('rejects a decompression bomb once, before a row of it reaches the database', async () => {
    // 256 MiB of valid rows in about 250 KB of gzip.
    const row = 'x,2026-11-20T10:00:00Z,view,u1,,p1,,,,,\n';
    const bomb = gzipSync(
      Buffer.from(`${HEADER}\n${row.repeat((256 * 1024 * 1024) / row.length)}`),
    );
    const key = 'incoming/bomb.csv.gz';
    const facts = await h.put(key, bomb);
    // A COPY rolled back would leave its rows in the heap: the table would have grown.
    const size = async () =>
      Number((await h.db.pool.query(`SELECT pg_relation_size('events') AS n`)).rows[0].n);
    const sizeBefore = await size();
    const response = await h.deliver(facts);
    expect(response.batchItemFailures).toEqual([]);
    const [file] = await h.ledger(key);
    expect(file).toMatchObject({
      status: 'rejected',
      rows_total: 0,
      error: 'too_large: gzip expands more than 100 to 1 (a decompression bomb?)',
    });
    expect(await size()).toBeLessThanOrEqual(sizeBefore);
    await h.deliver(facts);
    expect(await h.ledger(key)).toHaveLength(1);
  });

  it('rejects a file over the row limit whole', async () => {
    const limited = await IngestHarness.start({
      limits: { maxBytes: 2 ** 30, maxRows: 3, maxCompressionRatio: 100 },
    });
    try {
      const rows = ['l1', 'l2', 'l3', 'l4'].map(
        (id) => `${id},2026-11-20T10:00:00Z,view,u1,,p1,,,,,`,
      );
      const ok = await limited.put('incoming/three.csv', csv(...rows.slice(0, 3)));
      const over = await limited.put('incoming/four.csv', csv(...rows));
      expect((await limited.deliver(ok, over)).batchItemFailures).toEqual([]);
      expect(await limited.ledger('incoming/three.csv')).toMatchObject([
        { status: 'loaded', rows_loaded: 3 },
      ]);
      expect(await limited.ledger('incoming/four.csv')).toMatchObject([
        { status: 'rejected', rows_loaded: 0, error: 'too_large: more than 3 rows' },
      ]);
      expect(await limited.count('events')).toBe(3);
    } finally {
      await limited.stop();
    }
  });

  it('loads the good records of a message whose other record is malformed', async () => {
    const facts = await h.put(
      'incoming/beside-a-bad-record.csv',
      csv('m1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,'),
    );
    const response = await h.deliverBodies(
      JSON.stringify({ Records: [{ s3: { bucket: {} } }, s3Record(facts)] }),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(await h.ledger('incoming/beside-a-bad-record.csv')).toMatchObject([
      { status: 'loaded', rows_loaded: 1 },
    ]);
  });

  it('rejects content that is not CSV', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    await h.deliver(await h.put('incoming/picture.csv', png));
    expect(await h.ledger('incoming/picture.csv')).toMatchObject([
      { status: 'rejected', error: 'not_csv: png content' },
    ]);
    await h.deliver(await h.put('incoming/blob.csv', Buffer.from('event_time\u0000\u0001\u0002')));
    expect(await h.ledger('incoming/blob.csv')).toMatchObject([
      { status: 'rejected', error: 'not_csv: binary content' },
    ]);
  });

  it('reads gzip content whatever the key says, and rejects a corrupt one', async () => {
    const body = csv(
      'g1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,',
      'g2,2026-11-20T10:00:00Z,buy,u1,,p1,,,9.99,,',
    );
    await h.deliver(await h.put('incoming/zipped.csv', gzipSync(body)));
    expect(await h.ledger('incoming/zipped.csv')).toMatchObject([
      { status: 'loaded', rows_loaded: 2 },
    ]);
    const corrupt = gzipSync(body).subarray(0, 40);
    const response = await h.deliver(await h.put('incoming/corrupt.csv.gz', corrupt));
    expect(response.batchItemFailures).toEqual([]);
    const [file] = await h.ledger('incoming/corrupt.csv.gz');
    expect(file?.status).toBe('rejected');
    expect(file?.error).toMatch(/^not_csv: corrupt gzip/);
    expect(await h.count('events')).toBeGreaterThan(0);
    const { rowCount } = await h.db.pool.query('SELECT 1 FROM events WHERE file_id = $1', [
      file?.id,
    ]);
    expect(rowCount).toBe(0);
  });

  it('URL-decodes keys: + and %20 both mean a space', async () => {
    const key = 'incoming/summer sale/day one.csv';
    const facts = await h.put(key, csv('k1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,'));
    await h.deliver({ ...facts, encodedKey: 'incoming/summer+sale/day%20one.csv' });
    expect(await h.ledger(key)).toMatchObject([{ status: 'loaded', rows_loaded: 1 }]);
  });

  it('keeps keys with quotes, backslashes and non-ASCII exactly, and skips them when redelivered', async () => {
    const key = "incoming/o'brien\\'; DROP TABLE events; --/ünïcødé $$ file.csv";
    const facts = await h.put(key, csv('quoted-key-1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,'));
    await h.deliver(facts);
    await h.deliver(facts);
    expect(await h.ledger(key)).toMatchObject([{ key, status: 'loaded', rows_loaded: 1 }]);
    const { rows } = await h.db.pool.query(
      `SELECT count(*)::int AS n FROM events WHERE event_id = 'quoted-key-1'`,
    );
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('acknowledges s3:TestEvent and ignores keys outside incoming/', async () => {
    const before = await h.count('ingested_files');
    const outside = await h.put('archive/old.csv', csv('o1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,'));
    const response = await h.deliverBodies(
      testEventBody(BUCKET),
      JSON.stringify({ Records: [s3Record(outside)] }),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(await h.count('ingested_files')).toBe(before);
  });

  it('refuses records for another bucket without reading them', async () => {
    const before = await h.count('ingested_files');
    const facts = await h.put(
      'incoming/foreign.csv',
      csv('f1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,'),
    );
    const response = await h.deliver({ ...facts, bucket: 'someone-elses-bucket' });
    expect(response.batchItemFailures).toEqual([]);
    expect(await h.count('ingested_files')).toBe(before);
  });

  it('records an object that is gone before it is read as missing, and acknowledges it', async () => {
    const key = 'incoming/deleted.csv';
    const facts = await h.put(key, csv('x1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,'));
    await h.cloud.s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const response = await h.deliver(facts);
    expect(response.batchItemFailures).toEqual([]);
    expect(await h.ledger(key)).toMatchObject([{ status: 'missing', rows_total: 0 }]);
  });

  it('loads an empty object and a header-only object with zero rows', async () => {
    await h.deliver(
      await h.put('incoming/empty.csv', ''),
      await h.put('incoming/header-only.csv', `${HEADER}\n`),
    );
    expect(await h.ledger('incoming/empty.csv')).toMatchObject([
      { status: 'loaded', rows_total: 0 },
    ]);
    expect(await h.ledger('incoming/header-only.csv')).toMatchObject([
      { status: 'loaded', rows_total: 0 },
    ]);
  });

  it('loads the rows before a quote left open and quarantines the rest as one record', async () => {
    const key = 'incoming/open-quote.csv';
    await h.deliver(
      await h.put(
        key,
        csv(
          'q1,2026-11-20T10:00:00Z,view,u1,,p1,"Mug",,,,',
          'q2,2026-11-20T10:00:00Z,view,u1,,p1,"Mug,,,,',
          'q3,x,y',
        ),
      ),
    );
    const [file] = await h.ledger(key);
    expect(file).toMatchObject({
      status: 'loaded',
      rows_total: 2,
      rows_loaded: 1,
      rows_rejected: 1,
    });
    expect(await h.rejected(file?.id as string)).toEqual([
      {
        line_number: 3,
        raw_record: 'q2,2026-11-20T10:00:00Z,view,u1,,p1,"Mug,,,,\nq3,x,y',
        reasons: ['unclosed_quote'],
      },
    ]);
  });

  it('quarantines a record over 1 MiB and loads the rows after it', async () => {
    const key = 'incoming/huge-record.csv';
    const huge = `h2,2026-11-20T10:00:00Z,view,u1,,p1,"${'x'.repeat(1024 * 1024 + 10)}",,,,`;
    await h.deliver(
      await h.put(
        key,
        csv(
          'h1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,',
          huge,
          'h3,2026-11-20T10:00:00Z,view,u1,,p1,,,,,',
        ),
      ),
    );
    const [file] = await h.ledger(key);
    expect(file).toMatchObject({ rows_total: 3, rows_loaded: 2, rows_rejected: 1 });
    const [rejected] = await h.rejected(file?.id as string);
    expect(rejected?.line_number).toBe(3);
    expect(rejected?.reasons).toEqual(['record_too_large']);
    expect(rejected?.raw_record.startsWith('h2,2026-11-20T10:00:00Z')).toBe(true);
  });

  it('quarantines rows with wrong column counts, NUL bytes and broken UTF-8', async () => {
    const key = 'incoming/dirty-bytes.csv';
    const body = Buffer.concat([
      Buffer.from(`${HEADER}\n`),
      Buffer.from('b1,2026-11-20T10:00:00Z,view,u1,,p1,,,,\n'),
      Buffer.from('b2,2026-11-20T10:00:00Z,view,u1,,p1,Mu\u0000g,,,,\n'),
      Buffer.from('b3,2026-11-20T10:00:00Z,view,u1,,p1,Caf'),
      Buffer.from([0xe9]),
      Buffer.from(',,,,\n'),
      Buffer.from('b4,2026-11-20T10:00:00Z,view,u1,,p1,Café,,,,\n'),
      // A replacement character the producer wrote is data; in a quoted field, bad bytes too
      // are caught and kept.
      Buffer.from('b5,2026-11-20T10:00:00Z,view,u1,,p1,Caf\uFFFD,,,,\n'),
      Buffer.from('b6,2026-11-20T10:00:00Z,view,u1,,p1,"Caf'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('",,,,\n'),
    ]);
    await h.deliver(await h.put(key, body));
    const [file] = await h.ledger(key);
    expect(file).toMatchObject({ rows_total: 6, rows_loaded: 2, rows_rejected: 4 });
    const names = await h.db.pool.query(
      `SELECT product_name FROM events WHERE event_id IN ('b4', 'b5') ORDER BY event_id`,
    );
    expect(names.rows.map((r) => r.product_name)).toEqual(['Café', 'Caf\uFFFD']);
    const rejected = await h.rejected(file?.id as string);
    expect(rejected.map((r) => [r.line_number, r.reasons])).toEqual([
      [2, ['column_count']],
      [3, ['nul_byte']],
      [4, ['invalid_encoding']],
      [7, ['invalid_encoding']],
    ]);
    expect(rejected[1]?.raw_record).toBe('b2,2026-11-20T10:00:00Z,view,u1,,p1,Mu\u2400g,,,,');
    // The bytes that were not UTF-8 are kept, hex-escaped.
    expect(rejected[2]?.raw_record).toBe('b3,2026-11-20T10:00:00Z,view,u1,,p1,Caf\\xe9,,,,');
    expect(rejected[3]?.raw_record).toBe(
      'b6,2026-11-20T10:00:00Z,view,u1,,p1,"Caf\\xc3(\\xff",,,,',
    );
  });

  it('gives rows without an event_id the same ids on every delivery', async () => {
    const key = 'incoming/no-ids.csv';
    const facts = await h.put(
      key,
      'event_time,event_type,user_id,product_id\n2026-11-20T10:00:00Z,view,u1,p1\n2026-11-20T10:00:01Z,view,u1,p2\n',
    );
    await h.deliver(facts);
    const [file] = await h.ledger(key);
    const { rows } = await h.db.pool.query(
      'SELECT event_id FROM events WHERE file_id = $1 ORDER BY line_number',
      [file?.id],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0].event_id).toMatch(/^[0-9a-f]{32}:2$/);
    expect(rows[1].event_id).toMatch(/^[0-9a-f]{32}:3$/);
  });

  it('fails a message that is not an S3 notification, and only that one', async () => {
    const good = await h.put(
      'incoming/beside-poison.csv',
      csv('p1,2026-11-20T10:00:00Z,view,u1,,p1,,,,,'),
    );
    const poison = 'this is not json';
    const response = await h.handler(
      {
        Records: [
          (await import('../helpers/events.ts')).sqsRecord(poison, 'poison-1'),
          (await import('../helpers/events.ts')).sqsRecord(
            JSON.stringify({ Records: [s3Record(good)] }),
            'good-1',
          ),
        ],
      },
      (await import('../helpers/lambda-context.ts')).lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison-1' }]);
    expect(await h.ledger('incoming/beside-poison.csv')).toMatchObject([{ status: 'loaded' }]);
  });
});
