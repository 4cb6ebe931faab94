import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchDeps, createBatchHandler } from '../../functions/ingest/batch.ts';
import type { DeadLetter } from '../../functions/ingest/dead-letters.ts';
import { PgRowSink } from '../../functions/ingest/pg-sink.ts';
import { S3ObjectSource } from '../../functions/ingest/s3-source.ts';
import { s3Record, sqsEvent, sqsRecord } from '../helpers/events.ts';
import { BUCKET, IngestHarness } from '../helpers/ingest-harness.ts';
import { lambdaContext } from '../helpers/lambda-context.ts';

const HEADER = 'event_id,event_time,event_type,user_id,product_id';

describe('transient failures', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await IngestHarness.start();
  });
  afterAll(() => h.stop());

  it('keeps a connection cut while a file load holds it from ending the process, and drops it from the pool', async () => {
    // A pool of its own, to see which client the load holds and that the pool lets it go.
    const pool = new pg.Pool({ connectionString: h.db.url, max: 1 });
    let held: pg.PoolClient | undefined;
    pool.on('acquire', (client) => {
      held = client;
    });
    try {
      const sink = new PgRowSink(pool);
      const load = await sink.begin(
        {
          bucket: BUCKET,
          key: 'incoming/cut.csv',
          versionId: null,
          etag: '"cut"',
          sequencer: null,
          size: 10,
          eventName: 'ObjectCreated:Put',
          eventTime: null,
        },
        { messageId: 'cut-1', receivedAt: new Date() },
      );
      if ('alreadyIngested' in load) throw new Error('a fresh file was found in the ledger');
      const ended = new Promise((resolve) => held?.once('end', resolve));
      // The server ends it while nothing is asked of it (the body still being read, say): pg
      // reports that as an 'error' event on the client, which unheard ends the process.
      const { rows } = await h.db.pool.query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'idle in transaction'`,
      );
      expect(rows.map((r) => r.done)).toEqual([true]);
      await ended;
      await expect(
        load.loadEvents(
          (async function* () {
            yield [];
          })(),
          'direct',
        ),
      ).rejects.toThrow();
      await load.rollback();
      expect(pool.totalCount).toBe(0);
      expect(await h.ledger('incoming/cut.csv')).toEqual([]);
      // The pool opens a new connection for the next file.
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('fails every message while the database is unreachable, and loads them once it is back', async () => {
    const facts = await h.put(
      'incoming/while-down.csv',
      `${HEADER}\nw1,2026-11-20T10:00:00Z,view,u1,p1\n`,
    );
    const body = JSON.stringify({ Records: [s3Record(facts)] });
    const down = new pg.Pool({
      host: '127.0.0.1',
      port: 1,
      user: 'x',
      password: 'x',
      connectionTimeoutMillis: 2_000,
    });
    const failed = await handlerWith(h, down)(sqsEvent(sqsRecord(body, 'm-1')), lambdaContext());
    await down.end();
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(await h.ledger('incoming/while-down.csv')).toEqual([]);

    const retried = await h.handler(sqsEvent(sqsRecord(body, 'm-1')), lambdaContext());
    expect(retried.batchItemFailures).toEqual([]);
    expect(await h.ledger('incoming/while-down.csv')).toMatchObject([
      { status: 'loaded', rows_loaded: 1 },
    ]);
  });

  it('fails only the message whose transaction fails, and leaves nothing of it behind', async () => {
    // A long-held lock on the quarantine makes loading the file with a bad row time out,
    // while the clean file beside it in the same batch loads.
    const clean = await h.put(
      'incoming/clean.csv',
      `${HEADER}\nc1,2026-11-20T10:00:00Z,view,u1,p1\n`,
    );
    const dirty = await h.put(
      'incoming/dirty.csv',
      `${HEADER}\nc2,2026-11-20T10:00:00Z,view,u1,p1\nc3,bad,view,u1,p1\n`,
    );
    const locker = await h.db.pool.connect();
    const impatient = new pg.Pool({
      connectionString: h.db.url,
      options: '-c lock_timeout=300',
      max: 2,
    });
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE rejected_rows IN ACCESS EXCLUSIVE MODE');
      const response = await handlerWith(h, impatient)(
        sqsEvent(
          sqsRecord(JSON.stringify({ Records: [s3Record(clean)] }), 'clean'),
          sqsRecord(JSON.stringify({ Records: [s3Record(dirty)] }), 'dirty'),
        ),
        lambdaContext(),
      );
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'dirty' }]);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
      await impatient.end();
    }
    expect(await h.ledger('incoming/clean.csv')).toMatchObject([
      { status: 'loaded', rows_loaded: 1 },
    ]);
    expect(await h.ledger('incoming/dirty.csv')).toEqual([]);
    const { rowCount } = await h.db.pool.query(`SELECT 1 FROM events WHERE event_id = 'c2'`);
    expect(rowCount).toBe(0);

    const retried = await h.deliver(dirty);
    expect(retried.batchItemFailures).toEqual([]);
    expect(await h.ledger('incoming/dirty.csv')).toMatchObject([
      { rows_loaded: 1, rows_rejected: 1 },
    ]);
  });
});

describe('log lines', () => {
  it('carry the message id and the file key on every line about a file', async () => {
    const h = await IngestHarness.start({ logLevel: 'INFO' });
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      lines.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const facts = await h.put(
        'incoming/logged.csv',
        `${HEADER},colour\nl1,2026-11-20T10:00:00Z,view,u1,p1,zz-raw-cell-zz\n`,
      );
      await h.handler(
        sqsEvent(sqsRecord(JSON.stringify({ Records: [s3Record(facts)] }), 'msg-logged')),
        lambdaContext(),
      );
    } finally {
      process.stdout.write = write;
      await h.stop();
    }
    const entries = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const aboutFile = entries.filter((e) => e.key === 'incoming/logged.csv');
    expect(aboutFile.map((e) => e.message)).toEqual([
      'ingesting',
      'ignoring unknown columns',
      'file ingested',
    ]);
    for (const entry of aboutFile) expect(entry.messageId).toBe('msg-logged');
    expect(aboutFile[1]).toMatchObject({ ignoredColumns: ['colour'] });
    expect(aboutFile[2]).toMatchObject({ status: 'loaded', rowsLoaded: 1, rowsTotal: 1 });
    const text = entries.map((e) => JSON.stringify(e)).join('\n');
    expect(text).not.toContain('zz-raw-cell-zz');
  });
});

describe('message visibility', () => {
  let h: IngestHarness;
  beforeAll(async () => {
    h = await IngestHarness.start();
  });
  afterAll(() => h.stop());

  it('leases the batch while it runs and delays a failed message by its backoff', async () => {
    const facts = await h.put(
      'incoming/leased.csv',
      `${HEADER}\nl1,2026-11-20T10:00:00Z,view,u1,p1\n`,
    );
    const good = sqsRecord(JSON.stringify({ Records: [s3Record(facts)] }), 'm-good');
    const poison = { ...sqsRecord('not an S3 notification', 'm-bad') };
    poison.attributes = { ...poison.attributes, ApproximateReceiveCount: '3' };
    const changes: { receiptHandle: string; seconds: number }[][] = [];
    const handler = handlerWith(h, h.db.writerPool, {
      visibility: {
        async change(batch) {
          changes.push([...batch]);
        },
      },
    });
    const out = await handler(sqsEvent(good, poison), lambdaContext());
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-bad' }]);
    expect(changes[0]).toEqual([
      { receiptHandle: good.receiptHandle, seconds: 30 },
      { receiptHandle: poison.receiptHandle, seconds: 30 },
    ]);
    // The third receive waits 5 s x 2^2; the loaded message is left for the poller to delete.
    expect(changes.at(-1)).toEqual([{ receiptHandle: poison.receiptHandle, seconds: 20 }]);
    expect(await h.ledger('incoming/leased.csv')).toMatchObject([{ status: 'loaded' }]);
  });

  it('sends a message that can never succeed to the dead-letter queue at once, with its reason', async () => {
    const facts = await h.put(
      'incoming/beside-dead-letter.csv',
      `${HEADER}\nd1,2026-11-20T10:00:00Z,view,u1,p1\n`,
    );
    const good = sqsRecord(JSON.stringify({ Records: [s3Record(facts)] }), 'm-good-2');
    const notJson = sqsRecord('not an S3 notification', 'm-not-json');
    const noRecords = sqsRecord(JSON.stringify({ hello: 'world' }), 'm-no-records');
    const letters: DeadLetter[] = [];
    let down = false;
    const handler = handlerWith(h, h.db.writerPool, {
      deadLetters: {
        async send(letter) {
          if (down) throw new Error('the queue is unreachable');
          letters.push(letter);
        },
      },
    });
    const out = await handler(sqsEvent(good, notJson, noRecords), lambdaContext());
    // Gone from the source queue (not failed), and on the dead-letter queue with why.
    expect(out.batchItemFailures).toEqual([]);
    expect(letters).toEqual([
      {
        body: 'not an S3 notification',
        reason: 'message body is not JSON',
        sourceMessageId: 'm-not-json',
        receiveCount: 1,
      },
      {
        body: '{"hello":"world"}',
        reason: 'message body has no S3 event Records',
        sourceMessageId: 'm-no-records',
        receiveCount: 1,
      },
    ]);
    expect(await h.ledger('incoming/beside-dead-letter.csv')).toMatchObject([{ status: 'loaded' }]);
    // If the dead-letter queue cannot take it, the message fails and is retried: never lost.
    down = true;
    const again = await handler(sqsEvent(notJson), lambdaContext());
    expect(again.batchItemFailures).toEqual([{ itemIdentifier: 'm-not-json' }]);
  });
});

/** The ingest batch handler over the harness's S3 and a given pool, with optional ports. */
function handlerWith(
  h: IngestHarness,
  pool: pg.Pool,
  ports: Pick<BatchDeps, 'visibility' | 'deadLetters'> = {},
) {
  return createBatchHandler({
    bucket: BUCKET,
    prefix: 'incoming/',
    source: new S3ObjectSource(h.cloud.s3),
    sink: new PgRowSink(pool),
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'test' }),
    ...ports,
  });
}
