import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type pg from 'pg';
import { type LocalCloud, TEST_CREDENTIALS } from '../../local/index.ts';
import { type Analytics, readAnalytics } from './analytics-queries.ts';
import { connectDatabase } from './database.ts';
import {
  ingestPerMinute,
  ledgerTotals,
  pipelineFigures,
  type QueueFigures,
  queueFigures,
} from './pipeline-figures.ts';
import { output, PROJECT_ROOT, type Target } from './target.ts';

/** Where the dashboard lives on an endpoint (LocalStack's `/_name/` convention). */
export const DASHBOARD_PATH = '/_shopstream/dashboard';

/** The minutes of event time the analytics panels cover: `npm run analytics`'s default. */
export const DASHBOARD_ANALYTICS_MINUTES = 15;
/** The minutes of the files-and-rows chart. */
const INGEST_MINUTES = 30;
/** The queue-depth samples kept for a page that opens later: 10 minutes at 2 s. */
const QUEUE_SAMPLES = 300;

export interface QueueSample {
  readonly at: string;
  readonly queue: number;
  readonly deadLetters: number;
}

/** One frame of the dashboard: everything the page shows, read at `at`. */
export interface DashboardFigures {
  readonly at: string;
  readonly target: { readonly name: string; readonly endpoint: string | null };
  readonly totals: Awaited<ReturnType<typeof ledgerTotals>>;
  readonly ingestPerMinute: Awaited<ReturnType<typeof ingestPerMinute>>;
  readonly queue: QueueFigures;
  readonly deadLetters: QueueFigures;
  readonly queueHistory: readonly QueueSample[];
  readonly pipeline: Omit<Awaited<ReturnType<typeof pipelineFigures>>, 'lastFiles'>;
  readonly analytics: Analytics;
}

/**
 * The dashboard's figures, from the query modules `npm run status` and `npm run analytics`
 * use: the same numbers, not a second set of queries.
 */
export async function readDashboardFigures(
  target: Target,
  db: pg.Pool,
  sqs: SQSClient,
): Promise<Omit<DashboardFigures, 'queueHistory'>> {
  const [totals, perMinute, queue, deadLetters, pipeline, analytics] = await Promise.all([
    ledgerTotals(db),
    ingestPerMinute(db, INGEST_MINUTES),
    queueFigures(target, sqs, output(target, 'IngestQueueUrl')),
    queueFigures(target, sqs, output(target, 'DeadLetterQueueUrl')),
    pipelineFigures(db, { rejectedWithinHours: 1 }),
    readAnalytics(db, DASHBOARD_ANALYTICS_MINUTES),
  ]);
  const { lastFiles: _, ...health } = pipeline;
  return {
    at: new Date().toISOString(),
    target: { name: target.name, endpoint: target.endpoint ?? null },
    totals,
    ingestPerMinute: perMinute,
    queue,
    deadLetters,
    pipeline: health,
    analytics,
  };
}

const PAGE_DIR = resolve(PROJECT_ROOT, 'dashboard');
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));

/** What the page is made of, by path under DASHBOARD_PATH: files read at start, served as is. */
const ASSETS: Record<string, { readonly file: string; readonly type: string }> = {
  '/': { file: resolve(PAGE_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: resolve(PAGE_DIR, 'dashboard.js'), type: 'text/javascript' },
  '/dashboard.css': { file: resolve(PAGE_DIR, 'dashboard.css'), type: 'text/css' },
  // uPlot from node_modules, never a CDN: the page works offline.
  '/uplot.js': { file: resolve(UPLOT_DIR, 'dist/uPlot.iife.min.js'), type: 'text/javascript' },
  '/uplot.css': { file: resolve(UPLOT_DIR, 'dist/uPlot.min.css'), type: 'text/css' },
};

const SECURITY_HEADERS = {
  // Nothing but this endpoint: no CDN, no inline script.
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface DashboardOptions {
  /** How often figures are read and pushed while a page is open. @default 2000 */
  readonly intervalMs?: number;
  /**
   * The database to read, left open at the close (the bench's own). @default the target's,
   * through its secret
   */
  readonly db?: pg.Pool;
}

export interface Dashboard {
  /** Serves every request whose path starts with DASHBOARD_PATH. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Ends the open pages' event streams and the database pool. */
  close(): Promise<void>;
}

/**
 * The live dashboard: a static page, uPlot, and a Server-Sent Events stream at `events` that
 * pushes one frame of figures every couple of seconds while a page is open. The figures are read
 * once per tick whatever the number of pages.
 */
export async function openDashboard(
  target: Target,
  options: DashboardOptions = {},
): Promise<Dashboard> {
  const intervalMs = options.intervalMs ?? 2_000;
  const assets = new Map(
    Object.entries(ASSETS).map(([path, a]) => [path, { body: readFileSync(a.file), type: a.type }]),
  );
  const db = options.db ?? (await connectDatabase(target));
  // A database that stops before the dashboard does ends idle connections: not a crash.
  if (!options.db) db.on('error', () => {});
  const sqs = new SQSClient(target.clientConfig);
  const clients = new Set<ServerResponse>();
  const history: QueueSample[] = [];
  let last: string | null = null;
  let reading = false;
  let closed = false;

  const broadcast = (frame: string) => {
    for (const res of clients) res.write(frame);
  };
  const sample = (at: string, queue: QueueFigures, deadLetters: QueueFigures) => {
    history.push({
      at,
      queue: queue.visible + queue.inFlight,
      deadLetters: deadLetters.visible + deadLetters.inFlight,
    });
    if (history.length > QUEUE_SAMPLES) history.splice(0, history.length - QUEUE_SAMPLES);
  };
  // With no page open only the two queues are sampled (the database is left alone), so that
  // the queue chart has its last ten minutes when a page opens.
  const tick = async () => {
    if (reading || closed) return;
    reading = true;
    try {
      if (clients.size === 0) {
        const [queue, deadLetters] = await Promise.all([
          queueFigures(target, sqs, output(target, 'IngestQueueUrl'), false),
          queueFigures(target, sqs, output(target, 'DeadLetterQueueUrl'), false),
        ]);
        sample(new Date().toISOString(), queue, deadLetters);
        return;
      }
      const figures = await readDashboardFigures(target, db, sqs);
      sample(figures.at, figures.queue, figures.deadLetters);
      last = `event: figures\ndata: ${JSON.stringify({ ...figures, queueHistory: history })}\n\n`;
      broadcast(last);
    } catch (error) {
      if (clients.size === 0) return;
      // Shown on the page; the next tick tries again.
      broadcast(
        `event: problem\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`,
      );
    } finally {
      reading = false;
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      ...SECURITY_HEADERS,
    });
    res.write('retry: 2000\n\n');
    if (last) res.write(last);
    clients.add(res);
    req.on('close', () => clients.delete(res));
    void tick();
  };

  return {
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://dashboard');
      const path = url.pathname.slice(DASHBOARD_PATH.length);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
        res.end('the dashboard only answers GET\n');
        return;
      }
      if (path === '') {
        res.writeHead(302, { location: `${DASHBOARD_PATH}/` });
        res.end();
        return;
      }
      if (path === '/events') return events(req, res);
      if (path === '/figures.json') {
        try {
          const figures = await readDashboardFigures(target, db, sqs);
          const body = JSON.stringify({ ...figures, queueHistory: history }, null, 2);
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(body);
        } catch (error) {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: (error as Error).message }));
        }
        return;
      }
      const asset = assets.get(path);
      if (!asset) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`no ${url.pathname} here; the dashboard is at ${DASHBOARD_PATH}/\n`);
        return;
      }
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': asset.body.length,
        'cache-control': 'no-cache',
        ...SECURITY_HEADERS,
      });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      for (const res of clients) res.end();
      clients.clear();
      sqs.destroy();
      if (!options.db) await db.end().catch(() => {});
    },
  };
}

/** The embedded cloud as the commands' target. */
export function cloudTarget(cloud: LocalCloud): Target {
  return {
    name: 'local',
    endpoint: cloud.endpoint,
    region: cloud.region,
    outputs: cloud.outputs,
    outputsFile: cloud.outputsFile,
    clientConfig: { endpoint: cloud.endpoint, region: cloud.region, credentials: TEST_CREDENTIALS },
  };
}

/** The dashboard on the embedded cloud's own endpoint; returns its URL. */
export async function serveDashboard(cloud: LocalCloud): Promise<string> {
  const dashboard = await openDashboard(cloudTarget(cloud));
  cloud.serve({
    name: 'dashboard',
    pathPrefix: DASHBOARD_PATH,
    handle: dashboard.handle,
    close: dashboard.close,
  });
  return `${cloud.endpoint}${DASHBOARD_PATH}/`;
}

/**
 * The dashboard of another target on a server of its own, on 127.0.0.1:`port` (0 picks one):
 * what `npm run dashboard -- --target localstack|aws` serves.
 */
export async function listenDashboard(
  target: Target,
  port: number,
  options: DashboardOptions = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const dashboard = await openDashboard(target, options);
  const server = createServer((req, res) => {
    if (!(req.url ?? '/').startsWith(DASHBOARD_PATH)) {
      res.writeHead(302, { location: `${DASHBOARD_PATH}/` });
      res.end();
      return;
    }
    dashboard.handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${error.message}\n`);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`127.0.0.1:${port} is in use; --listen picks another port`)
            : error,
        ),
      );
      server.listen(port, '127.0.0.1', resolve);
    });
  } catch (error) {
    await dashboard.close();
    throw error;
  }
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}${DASHBOARD_PATH}/`,
    async close() {
      await dashboard.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
