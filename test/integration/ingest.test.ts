import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestHarness } from '../helpers/ingest-harness.ts';

const HEADER =
  'event_id,event_time,event_type,user_id,session_id,product_id,product_name,category,price,quantity,device_type';

describe('ingest handler against S3 and PostgreSQL', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await IngestHarness.start();
  });
  afterAll(() => h.stop());

  it('loads good rows, quarantines bad ones, and the ledger adds up', async () => {
    const key = 'incoming/2026/11/22/basic.csv';
    const csv = [
      HEADER,
      'e1,2026-11-20T10:00:00Z,view,u1,s1,p1,Mug,Kitchen,,,mobile',
      'e2,2026-11-20 10:01:00,purchase,u1,s1,p1,Mug,Kitchen,$12.345,2,phone',
      'e3,not a time,view,u2,,p2,,,,,',
      'e4,2026-11-20T10:02:00Z,add_to_cart,,s2,p3,,,,,',
    ].join('\n');
    const response = await h.deliver(await h.put(key, csv));
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
      `SELECT event_id, event_type, price::text, quantity, device_type, line_number FROM events WHERE file_id = $1 ORDER BY event_id`,
      [file?.id],
    );
    expect(rows).toEqual([
      {
        event_id: 'e1',
        event_type: 'view',
        price: null,
        quantity: 1,
        device_type: 'mobile',
        line_number: 2,
      },
      {
        event_id: 'e2',
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
});
