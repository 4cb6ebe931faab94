import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportFile } from '../../functions/export/export-file.ts';
import { PgExportLedger } from '../../functions/export/pg-ledger.ts';
import type { ExportLedger } from '../../functions/export/ports.ts';
import { S3LakeStore } from '../../functions/export/s3-lake.ts';
import { SnsStreamPublisher } from '../../functions/export/sns-stream.ts';
import { parseExportRequest, SqsExportQueue } from '../../functions/shared/export-queue.ts';
import {
  parseBatch,
  receive,
  subscribeTemporaryQueue,
  type TemporarySubscription,
} from '../../scripts/lib/stream-consumer.ts';
import { IngestHarness } from '../helpers/ingest-harness.ts';
import { lakeEventIds } from '../helpers/lake.ts';

const HEADER =
  'event_id,event_time,event_type,user_id,session_id,product_id,category,price,quantity';
const LAKE = 'shopstream-lake-test';

/** A file of `rows` events over two dates, every tenth without a session id, some purchases. */
function csv(prefix: string, rows: number, extra: string[] = []): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    const day = i % 2 === 0 ? '2026-11-30T23:5' : '2026-12-01T00:0';
    const type = i % 5 === 0 ? 'purchase' : 'view';
    lines.push(
      `${prefix}-${i},${day}${i % 10}:00Z,${type},U${i % 9},${i % 10 === 0 ? '' : `S${i % 9}`},P${i % 4},Books,${type === 'purchase' ? '12.50' : ''},${1 + (i % 3)}`,
    );
  }
  return [...lines, ...extra].join('\n');
}

describe('the export of committed files to the lake and the stream', () => {
  let h: IngestHarness;
  let sent: string[];
  let failSend: boolean;
  let sqs: SQSClient;
  let sns: SNSClient;
  let subscription: TemporarySubscription;
  let lake: S3LakeStore;
  let publisher: SnsStreamPublisher;

  beforeEach(async () => {
    sent = [];
    failSend = false;
    h = await IngestHarness.start({
      exports: {
        async send(fileIds) {
          // The ingest function killed between its commit and this message.
          if (failSend) throw new Error('killed before the export message');
          sent.push(...fileIds);
        },
      },
    });
    const config = {
      endpoint: h.cloud.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    sqs = new SQSClient(config);
    sns = new SNSClient(config);
    h.cloud.createBucket(LAKE);
    lake = new S3LakeStore(h.cloud.s3, LAKE);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'enriched' }));
    subscription = await subscribeTemporaryQueue(sqs, sns, TopicArn as string, {
      name: 'enriched-test',
    });
    publisher = new SnsStreamPublisher(sns, TopicArn as string);
  });
  afterEach(async () => {
    sqs?.destroy();
    sns?.destroy();
    await h?.stop();
  });

  const ledger = () =>
    new PgExportLedger(h.db.writerPool, {
      settle: () =>
        h.db.writerPool.query(
          "CALL analytics_after_commit(interval '30 minutes', interval '10 seconds')",
        ),
    });

  const lakeIds = () => lakeEventIds(lake);

  async function eventIds(): Promise<string[]> {
    const { rows } = await h.db.pool.query<{ event_id: string }>(
      'SELECT event_id FROM events ORDER BY event_id',
    );
    return rows.map((r) => r.event_id).sort();
  }

  /** Every message on the test subscription: batch id to the bodies it arrived with. */
  async function drainStream(): Promise<Map<string, string[]>> {
    const batches = new Map<string, string[]>();
    for (let idle = 0; idle < 2; ) {
      const messages = await receive(sqs, subscription.queueUrl, { waitSeconds: 1 });
      if (messages.length === 0) {
        idle++;
        continue;
      }
      for (const m of messages) {
        const id = parseBatch(m.Body ?? '').batchId;
        batches.set(id, [...(batches.get(id) ?? []), m.Body ?? '']);
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: subscription.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    return batches;
  }

  /** Each event in exactly one batch id, whatever number of times that batch arrived. */
  function streamEventIds(batches: Map<string, string[]>): string[] {
    const owner = new Map<string, string>();
    for (const [id, bodies] of batches) {
      expect(new Set(bodies).size, `batch ${id} arrived with different contents`).toBe(1);
      for (const event of parseBatch(bodies[0] as string).events) {
        expect(owner.get(event.event_id), `${event.event_id} in two batches`).toBeUndefined();
        owner.set(event.event_id, id);
      }
    }
    return [...owner.keys()].sort();
  }

  it('writes the lake and the stream of committed rows only, with exact values', async () => {
    const a = await h.put(
      'incoming/a.csv',
      csv('a', 40, ['a-1,2026-11-30T23:51:00Z,view,U1,,P1,,,1']),
    );
    const b = await h.put('incoming/b.csv', csv('b', 30, ['bad,not-a-time,view,U1,,P1,,,1']));
    await h.deliver(a, b);
    // A redelivery of a: all its rows are duplicates, and no file with rows to export.
    await h.deliver(await h.put('incoming/a-again.csv', csv('a', 40)));
    expect(sent).toHaveLength(2);
    for (const fileId of sent) {
      const result = await exportFile(fileId, { ledger: ledger(), lake, stream: publisher });
      expect(result).toMatchObject({ status: 'exported', objects: 2 });
    }
    const expected = await eventIds();
    expect(expected).toHaveLength(70);
    expect(await lakeIds()).toEqual(expected);
    const batches = await drainStream();
    expect(streamEventIds(batches)).toEqual(expected);
    const purchase = parseBatch(
      (batches.values().next().value as string[])[0] as string,
    ).events.find((e) => e.event_type === 'purchase');
    const { rows } = await h.db.pool.query(
      `SELECT e.quantity, (e.price * e.quantity)::float8 AS revenue, f.key
         FROM events e JOIN ingested_files f ON f.id = e.file_id WHERE e.event_id = $1`,
      [purchase?.event_id],
    );
    expect(purchase).toMatchObject({
      quantity: rows[0].quantity,
      revenue: rows[0].revenue,
      file_key: rows[0].key,
      late: false,
    });
    // Exported files are skipped (no rows read): a redelivered export message changes nothing.
    const keys = await lake.list('events/');
    expect(
      await exportFile(sent[0] as string, { ledger: ledger(), lake, stream: publisher }),
    ).toEqual({ status: 'exported' });
    expect(await lake.list('events/')).toEqual(keys);
    expect((await drainStream()).size).toBe(0);
  });

  it('exports a file of 25,000 rows in pages, batches of at most 63 KiB and one object per date', async () => {
    await h.deliver(await h.put('incoming/big.csv', csv('big', 25_000)));
    const [fileId] = sent as [string];
    const result = await exportFile(fileId, { ledger: ledger(), lake, stream: publisher });
    expect(result).toMatchObject({ status: 'exported', rows: 25_000, objects: 2 });
    const expected = await eventIds();
    expect(await lakeIds()).toEqual(expected);
    const batches = await drainStream();
    expect(batches.size).toBe((result as { batches: number }).batches);
    expect(batches.size).toBeGreaterThan(100);
    for (const [, [body]] of batches)
      expect(Buffer.byteLength(body as string)).toBeLessThanOrEqual(63 * 1024);
    expect(streamEventIds(batches)).toEqual(expected);
  });

  it('killed after writing the objects and publishing, before marking: the retry writes the same keys and batch ids', async () => {
    await h.deliver(await h.put('incoming/k.csv', csv('k', 500)));
    const [fileId] = sent as [string];
    // The kill: the export's connection is cut by the server (its transaction and row lock
    // go with it), after every object and message is out and before the mark.
    const dying: ExportLedger = Object.create(ledger());
    const real = ledger();
    dying.open = async (id) => {
      const unit = await real.open(id);
      if ('skip' in unit) return unit;
      return Object.assign(Object.create(unit), {
        rows: () => unit.rows(),
        abort: () => unit.abort(),
        async markExported() {
          await h.db.pool.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND state = 'idle in transaction'`,
          );
          throw new Error('killed before the mark');
        },
      });
    };
    await expect(exportFile(fileId, { ledger: dying, lake, stream: publisher })).rejects.toThrow(
      'killed before the mark',
    );
    const keysAfterKill = (await lake.list('events/')).map((o) => o.key).sort();
    expect(keysAfterKill).toHaveLength(2);
    const { rows: before } = await h.db.pool.query(
      'SELECT exported_at FROM ingested_files WHERE id = $1',
      [fileId],
    );
    expect(before[0].exported_at).toBeNull();

    const retried = await exportFile(fileId, { ledger: ledger(), lake, stream: publisher });
    expect(retried).toMatchObject({ status: 'exported', rows: 500 });
    expect((await lake.list('events/')).map((o) => o.key).sort()).toEqual(keysAfterKill);
    const expected = await eventIds();
    expect(await lakeIds()).toEqual(expected);
    const batches = await drainStream();
    // At least once per batch id, the same content each time; each event in one batch id.
    expect([...batches.values()].every((bodies) => bodies.length === 2)).toBe(true);
    expect(streamEventIds(batches)).toEqual(expected);
  });

  it('killed after the commit and before the export message: the sweep queues the file, once', async () => {
    failSend = true;
    const file = await h.put('incoming/s.csv', csv('s', 60));
    const response = await h.deliver(file);
    // The file is committed and acknowledged: the lost message is the export's to recover.
    expect(response.batchItemFailures).toEqual([]);
    expect(sent).toEqual([]);
    const sweeper = ledger();
    // Too recent for the sweep's age gate, then old enough (age 0 stands in for 30 s).
    expect(await sweeper.takeUnexported(30, 100)).toEqual([]);
    const swept = await sweeper.takeUnexported(0, 100);
    expect(swept).toHaveLength(1);
    // Queued once: the next sweep within five minutes leaves it to the queue.
    expect(await sweeper.takeUnexported(0, 100)).toEqual([]);

    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'exports' }));
    await new SqsExportQueue(sqs, QueueUrl as string).send(swept);
    const [message] = await receive(sqs, QueueUrl as string, { waitSeconds: 1 });
    const { fileId } = parseExportRequest(message?.Body ?? '');
    expect(await exportFile(fileId, { ledger: ledger(), lake, stream: publisher })).toMatchObject({
      status: 'exported',
      rows: 60,
    });
    const expected = await eventIds();
    expect(await lakeIds()).toEqual(expected);
    expect(streamEventIds(await drainStream())).toEqual(expected);
    const { rows } = await h.db.pool.query('SELECT files_pending::int FROM export_lag');
    expect(rows[0].files_pending).toBe(0);
  });
});
