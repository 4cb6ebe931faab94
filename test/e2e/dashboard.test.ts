/// <reference lib="dom" />
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type pg from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/shared/free-port.ts';
import { listenDashboard } from '../../scripts/lib/dashboard.ts';
import { CloudProcess, database } from '../faults/helpers.ts';
import { synthPipelineAssembly } from '../helpers/local-cloud.ts';
import { waitFor } from '../helpers/wait.ts';

/** Debian's chromium package: no browser download is possible here (CI installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = resolve(import.meta.dirname, '../../test-results/dashboard.png');

/** What the page shows, read off the DOM: each figure's raw value and each table's rows. */
function readPage(page: Page) {
  return page.evaluate(() => {
    const figure = (name: string) =>
      (document.querySelector(`[data-figure="${name}"]`) as HTMLElement | null)?.dataset.value;
    const text = (name: string) => document.querySelector(`[data-figure="${name}"]`)?.textContent;
    const rows = (id: string) =>
      [...document.querySelectorAll<HTMLTableRowElement>(`#${id} tbody tr[data-key]`)].map((tr) => [
        tr.dataset.key,
        ...[...tr.cells].slice(1).map((td) => Number((td as HTMLElement).dataset.value)),
      ]);
    return {
      frames: Number(document.body.dataset.frames),
      state: document.body.dataset.state,
      files: Number(figure('files')),
      rowsLoaded: Number(figure('rows-loaded')),
      rowsLoadedText: text('rows-loaded'),
      rowsRejected: Number(figure('rows-rejected')),
      rowsDuplicate: Number(figure('rows-duplicate')),
      queue: Number(figure('queue-depth')),
      deadLetters: Number(figure('dead-letters')),
      exportPending: Number(figure('export-pending')),
      activeUsers: Number(figure('active-users')),
      anchor: figure('anchor'),
      rejects: rows('rejects'),
      products: rows('products'),
      revenue: rows('revenue'),
    };
  });
}

/** The same figures recomputed from the tables, not through the dashboard's query module. */
async function readDatabase(db: pg.Pool) {
  const one = async (sql: string) => (await db.query(sql)).rows;
  const [totals] = await one(
    `SELECT (SELECT count(*) FROM ingested_files)::int AS files,
            (SELECT count(*) FROM events)::int AS loaded,
            (SELECT coalesce(sum(rows_rejected), 0) FROM ingested_files)::int AS rejected,
            (SELECT coalesce(sum(rows_duplicate), 0) FROM ingested_files)::int AS duplicate,
            (SELECT max_event_time FROM pipeline_watermark) AS anchor,
            -- Users active in the five minutes that end with the last complete minute.
            (SELECT count(DISTINCT user_id) FROM events,
                    (SELECT date_trunc('minute', max_event_time) - interval '1 minute' AS m
                       FROM pipeline_watermark) w
              WHERE event_time >= w.m - interval '4 minutes'
                AND event_time < w.m + interval '1 minute')::int AS users`,
  );
  // The analytics panels cover the 15 minutes of event time up to the anchor.
  const window = `date_trunc('minute', event_time) >= (SELECT max_event_time FROM pipeline_watermark) - interval '15 minutes'`;
  const rejects = await one(
    `SELECT reason, count(*)::int AS n FROM rejected_rows, unnest(reasons) AS reason
      WHERE rejected_at > now() - interval '1 hour' GROUP BY reason ORDER BY n DESC, reason LIMIT 5`,
  );
  const products = await one(
    `SELECT product_id, count(*)::int AS n FROM events WHERE event_type = 'view' AND ${window}
      GROUP BY 1 ORDER BY n DESC, product_id LIMIT 5`,
  );
  const revenue = await one(
    `SELECT coalesce(category, '(none)') AS category, count(*)::int AS n, sum(quantity)::int AS units,
            sum(price * quantity)::numeric(16, 2)::float8 AS revenue
       FROM events WHERE event_type = 'purchase' AND ${window}
      GROUP BY 1 ORDER BY revenue DESC, category`,
  );
  return {
    files: totals.files as number,
    rowsLoaded: totals.loaded as number,
    rowsRejected: totals.rejected as number,
    rowsDuplicate: totals.duplicate as number,
    anchor: totals.anchor ? (totals.anchor as Date).toISOString() : undefined,
    activeUsers: totals.users as number,
    rejects: rejects.map((r) => [r.reason, r.n]),
    products: products.map((r) => [r.product_id, r.n]),
    revenue: revenue.map((r) => [r.category, r.n, r.units, r.revenue]),
  };
}

/** Waits until the page shows what the database holds now, re-reading both each time. */
async function pageMatchesDatabase(page: Page, db: pg.Pool) {
  return waitFor(
    'the dashboard to show the figures in the database',
    async () => {
      const [shown, stored] = await Promise.all([readPage(page), readDatabase(db)]);
      const compared = {
        files: shown.files,
        rowsLoaded: shown.rowsLoaded,
        rowsRejected: shown.rowsRejected,
        rowsDuplicate: shown.rowsDuplicate,
        anchor: shown.anchor,
        activeUsers: shown.activeUsers,
        rejects: shown.rejects,
        products: shown.products,
        revenue: shown.revenue,
      };
      expect(compared).toEqual(stored);
      return { shown, stored };
    },
    { timeoutMs: 20_000, intervalMs: 250 },
  );
}

/** How many pixels of a chart's canvas are drawn in a colour near `rgb`. */
function chartPixels(page: Page, chartId: string, rgb: [number, number, number]) {
  return page.evaluate(
    ({ chartId, rgb }) => {
      const canvas = document.querySelector(`#${chartId} canvas`) as HTMLCanvasElement;
      const data = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
        0,
        0,
        canvas.width,
        canvas.height,
      ).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near =
          Math.abs((data[i] as number) - rgb[0]) < 40 &&
          Math.abs((data[i + 1] as number) - rgb[1]) < 40 &&
          Math.abs((data[i + 2] as number) - rgb[2]) < 40 &&
          (data[i + 3] as number) > 128;
        if (near) n++;
      }
      return n;
    },
    { chartId, rgb },
  );
}

describe('the live dashboard, in Chromium, on npm start', () => {
  let cloud: CloudProcess;
  let url: string;
  let db: pg.Pool;
  let browser: Browser;
  let s3: S3Client;
  let lambda: LambdaClient;
  let outputs: Record<string, string>;
  /** AWS SDK settings for the cloud's endpoint. */
  let config: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };

  beforeAll(async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'shopstream-dashboard-'));
    cloud = new CloudProcess({
      stateDir,
      assembly: synthPipelineAssembly(),
      port: await freePort(),
    });
    await cloud.ready();
    // npm start prints where the dashboard is.
    url = (await cloud.line(/^dashboard: /)).replace(/^dashboard: /, '').trim();
    outputs = cloud.outputs();
    db = await database(cloud);
    config = {
      endpoint: cloud.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    s3 = new S3Client({ ...config, forcePathStyle: true });
    lambda = new LambdaClient(config);
    if (!existsSync(CHROMIUM))
      throw new Error(
        `no Chromium at ${CHROMIUM}: apt-get install -y chromium (Debian's package), or set CHROMIUM_PATH`,
      );
    browser = await chromium.launch({ executablePath: CHROMIUM });

    // Files with duplicate rows, bad rows and late events, from two generator runs.
    await Promise.all(
      [7, 107].map(async (seed) => {
        const out = await lambda.send(
          new InvokeCommand({
            FunctionName: outputs.GeneratorFunctionName,
            Payload: JSON.stringify({ files: 3, rows: 200, seed, intervalMs: 0 }),
          }),
        );
        if (out.FunctionError) throw new Error(Buffer.from(out.Payload ?? []).toString());
      }),
    );
    await waitFor(
      'six files committed and exported',
      async () => {
        const { rows } = await db.query(
          `SELECT count(*) FILTER (WHERE completed_at IS NOT NULL)::int AS done,
                  (SELECT files_pending FROM export_lag)::int AS pending FROM ingested_files`,
        );
        return rows[0].done >= 6 && rows[0].pending === 0;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    s3?.destroy();
    lambda?.destroy();
    await db?.end();
    if (cloud) {
      cloud.signalGroup('SIGINT');
      await cloud.exited;
    }
  });

  it('fills every panel with the numbers in the database, draws the charts, and updates live', async () => {
    expect(url).toBe(`${cloud.endpoint}/_shopstream/dashboard/`);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(url);
    // How fast it fills is the bench's to measure (dashboard_first_frame_ms), not a test's.
    const { shown, stored } = await pageMatchesDatabase(page, db);
    expect(shown.state).toBe('live');
    expect(stored.files).toBe(6);
    expect(stored.rejects.length).toBeGreaterThan(0);
    expect(stored.products.length).toBe(5);
    expect(stored.revenue.length).toBeGreaterThan(0);
    expect(shown.rowsLoadedText).toBe(stored.rowsLoaded.toLocaleString('en-US'));
    expect(shown.queue).toBe(0);
    expect(shown.deadLetters).toBe(0);
    expect(shown.exportPending).toBe(0);
    // The activity chart has drawn its views line (#2563eb) on its canvas.
    expect(await page.locator('.uplot').count()).toBe(4);
    expect(await chartPixels(page, 'chart-activity', [37, 99, 235])).toBeGreaterThan(100);
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // A file lands while the page is open: its rows appear without a reload.
    await page.evaluate(() => {
      (window as unknown as { stillHere: boolean }).stillHere = true;
    });
    const now = Date.now();
    const body = [
      'event_id,event_time,event_type,user_id,product_id,price',
      ...[0, 1, 2].map(
        (i) => `live-${i},${new Date(now - i * 1000).toISOString()},view,u-live,P00001,`,
      ),
    ].join('\n');
    await s3.send(
      new PutObjectCommand({ Bucket: outputs.BucketName, Key: 'incoming/live.csv', Body: body }),
    );
    const after = await waitFor('the new rows on the page', async () => {
      const { shown } = await pageMatchesDatabase(page, db);
      return shown.rowsLoaded === stored.rowsLoaded + 3 ? shown : undefined;
    });
    expect(after.files).toBe(7);
    expect(after.frames).toBeGreaterThan(shown.frames);
    expect(
      await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere),
    ).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('works with the network to anything but the endpoint blocked', async () => {
    const context = await browser.newContext();
    const blocked: string[] = [];
    const failed: string[] = [];
    const origin = new URL(cloud.endpoint).origin;
    await context.route('**/*', (route) => {
      const requested = route.request().url();
      if (new URL(requested).origin === origin) return route.continue();
      blocked.push(requested);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('requestfailed', (request) => failed.push(request.url()));
    await page.goto(url);
    await page.waitForFunction(() => Number(document.body.dataset.frames) >= 1);
    expect(await page.evaluate(() => typeof (window as unknown as { uPlot?: unknown }).uPlot)).toBe(
      'function',
    );
    expect(await page.locator('.uplot canvas').count()).toBe(4);
    expect(Number(await page.locator('[data-figure="files"]').getAttribute('data-value'))).toBe(7);
    expect(blocked).toEqual([]);
    expect(failed).toEqual([]);
    await context.close();
  });

  it('publishes the analytics and the export lag to CloudWatch from the sweep (EMF), as on AWS', async () => {
    // From this moment: this sweep's datapoints, not those of a scheduled one before it.
    const sweptFrom = new Date();
    const swept = await lambda.send(
      new InvokeCommand({
        FunctionName: outputs.ExportFunctionName,
        Payload: JSON.stringify({ action: 'sweep' }),
      }),
    );
    expect(swept.FunctionError).toBeUndefined();
    // Recomputed from the events: the latest complete minute of event time before the anchor.
    const { rows } = await db.query(
      `WITH m AS (SELECT date_trunc('minute', max_event_time) - interval '1 minute' AS minute
                    FROM pipeline_watermark)
       SELECT count(*)::int AS events,
              (count(*) FILTER (WHERE event_type = 'purchase'))::int AS purchases,
              coalesce(sum(price * quantity) FILTER (WHERE event_type = 'purchase'), 0)::float8
                AS revenue,
              (SELECT count(DISTINCT user_id)::int FROM events, m
                WHERE event_time >= m.minute - interval '4 minutes'
                  AND event_time < m.minute + interval '1 minute') AS users
         FROM events, m
        WHERE date_trunc('minute', event_time) = m.minute`,
    );
    const expected = rows[0];
    const cloudwatch = new CloudWatchClient(config);
    try {
      const names = [
        'ActiveUsers',
        'EventsPerMinute',
        'PurchasesPerMinute',
        'RevenuePerMinute',
        'FilesAwaitingExport',
        'ExportLag',
      ];
      const latest = await waitFor('the sweep gauges in CloudWatch', async () => {
        const now = Date.now();
        const data = await cloudwatch.send(
          new GetMetricDataCommand({
            StartTime: sweptFrom,
            EndTime: new Date(now + 60_000),
            MetricDataQueries: names.map((name) => ({
              Id: name.toLowerCase(),
              MetricStat: {
                Metric: {
                  Namespace: 'shopstream',
                  MetricName: name,
                  Dimensions: [{ Name: 'service', Value: 'export' }],
                },
                Period: 60,
                Stat: 'Maximum',
              },
            })),
          }),
        );
        const values = Object.fromEntries(
          (data.MetricDataResults ?? []).map((r) => [r.Label ?? r.Id, r.Values?.[0]]),
        );
        return names.every((n) => values[n] !== undefined || values[n.toLowerCase()] !== undefined)
          ? Object.fromEntries(names.map((n) => [n, values[n] ?? values[n.toLowerCase()]]))
          : undefined;
      });
      expect(latest).toEqual({
        ActiveUsers: expected.users,
        EventsPerMinute: expected.events,
        PurchasesPerMinute: expected.purchases,
        RevenuePerMinute: expected.revenue,
        FilesAwaitingExport: 0,
        ExportLag: 0,
      });
      expect(expected.events).toBeGreaterThan(0);
    } finally {
      cloudwatch.destroy();
    }
  });

  it('serves the same figures for another target from npm run dashboard, with clear answers to anything else', async () => {
    const served = await listenDashboard(
      {
        name: 'local',
        endpoint: cloud.endpoint,
        region: 'us-east-1',
        outputs,
        outputsFile: join(cloud.options.stateDir, 'outputs.json'),
        clientConfig: config,
      },
      0,
    );
    try {
      const figures = (await (await fetch(`${served.url}figures.json`)).json()) as {
        totals: { files: number; rowsLoaded: number };
      };
      const stored = await readDatabase(db);
      expect(figures.totals.files).toBe(stored.files);
      expect(figures.totals.rowsLoaded).toBe(stored.rowsLoaded);
      expect((await fetch(`${served.url}uplot.js`)).headers.get('content-type')).toBe(
        'text/javascript',
      );
      const page = await fetch(served.url);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect((await fetch(`${served.url}nothing`)).status).toBe(404);
      expect((await fetch(served.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await served.close();
    }
  });
});
