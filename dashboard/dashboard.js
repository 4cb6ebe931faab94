// The shopstream dashboard: one Server-Sent Events stream (`events`) pushes a frame of figures
// every couple of seconds; this module puts each frame into the tiles, tables and uPlot charts.
// Every figure element carries its raw value in `data-value`.

/* global uPlot */

const count = (n) => (n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US'));
const seconds = (s) =>
  s === null || s === undefined ? '-' : s < 10 ? `${s.toFixed(2)} s` : `${Math.round(s)} s`;
const money = (n) =>
  Number(n).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = (r) => (r === null || r === undefined ? '-' : `${(r * 100).toFixed(1)} %`);
const clock = (iso) => (iso ? new Date(iso).toISOString().slice(11, 19) : '-');
const epoch = (iso) => Date.parse(iso) / 1000;

/** Sets a figure's text and its raw value. */
function figure(name, text, value) {
  for (const el of document.querySelectorAll(`[data-figure="${name}"]`)) {
    el.textContent = text;
    if (value !== undefined) el.dataset.value = value === null ? '' : String(value);
  }
}

/** Replaces a table's body: one row per item, cells as [text, raw value] pairs. */
function table(id, items, cells, key) {
  const body = document.querySelector(`#${id} tbody`);
  const rows = items.map((item) => {
    const tr = document.createElement('tr');
    if (key) tr.dataset.key = key(item);
    for (const [text, value] of cells(item)) {
      const td = document.createElement('td');
      td.textContent = text;
      if (value !== undefined) td.dataset.value = String(value);
      tr.append(td);
    }
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.className = 'empty';
    td.colSpan = document.querySelectorAll(`#${id} thead th`).length;
    td.textContent = 'none yet';
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  document.getElementById(id).dataset.rows = String(items.length);
}

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed'];

/**
 * A time chart that follows its container's width; `series` names the lines. Its x axis spans
 * the window `span()` gives ([from, to] in seconds), so one point does not fill the chart.
 */
function chart(id, series, span) {
  const el = document.getElementById(id);
  const axes = [{}, { scale: series[0].scale ?? 'y', size: 60 }];
  const right = series.find((s) => s.scale && s.scale !== (series[0].scale ?? 'y'));
  if (right) axes.push({ scale: right.scale, side: 1, grid: { show: false }, size: 60 });
  const plot = new uPlot(
    {
      width: Math.max(300, el.clientWidth),
      height: 220,
      scales: { x: { time: true, range: (_u, min, max) => span() ?? [min, max] } },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          scale: s.scale ?? 'y',
          stroke: COLORS[i % COLORS.length],
          width: 2,
        })),
      ],
      axes,
      legend: { live: false },
    },
    [[], ...series.map(() => [])],
    el,
  );
  new ResizeObserver(() =>
    plot.setSize({ width: Math.max(300, el.clientWidth), height: 220 }),
  ).observe(el);
  return plot;
}

let charts;
// The windows the charts span: wall-clock time for the pipeline, event time for the analytics.
let latest = null;
const before = (iso, minutes) => (iso ? [epoch(iso) - minutes * 60, epoch(iso)] : null);
function makeCharts() {
  charts = {
    ingest: chart(
      'chart-ingest',
      [
        { label: 'files', scale: 'files' },
        { label: 'rows', scale: 'rows' },
      ],
      () => before(latest?.at, 30),
    ),
    queue: chart('chart-queue', [{ label: 'ingest queue' }, { label: 'dead letters' }], () =>
      before(latest?.at, 10),
    ),
    activity: chart(
      'chart-activity',
      [
        { label: 'views' },
        { label: 'add to cart' },
        { label: 'remove from cart' },
        { label: 'purchases' },
      ],
      () => before(latest?.analytics.anchor, latest?.analytics.minutes ?? 15),
    ),
    users: chart('chart-users', [{ label: 'active users' }], () =>
      before(latest?.analytics.anchor, latest?.analytics.minutes ?? 15),
    ),
  };
}

/**
 * Per-minute rows as uPlot data with every minute of the span [from, to] present: a minute
 * without rows is a zero, not a line drawn across the gap.
 */
function everyMinute(span, rows, minuteOf, values) {
  const byMinute = new Map(rows.map((row) => [epoch(minuteOf(row)), row]));
  const xs = [];
  if (span) {
    const to = Math.floor(span[1] / 60) * 60;
    for (let t = Math.ceil(span[0] / 60) * 60; t <= to; t += 60) xs.push(t);
  }
  return [
    xs,
    ...values.map((value) => xs.map((t) => (byMinute.has(t) ? value(byMinute.get(t)) : 0))),
  ];
}

function render(f) {
  latest = f;
  const p = f.pipeline;
  const a = f.analytics;
  document.getElementById('target').textContent =
    `${f.target.name}${f.target.endpoint ? ` · ${f.target.endpoint}` : ''}`;
  const updated = document.getElementById('updated');
  updated.textContent = clock(f.at);
  updated.dateTime = f.at;

  figure('files', count(f.totals.files), f.totals.files);
  figure('rows-loaded', count(f.totals.rowsLoaded), f.totals.rowsLoaded);
  figure('rows-duplicate', count(f.totals.rowsDuplicate), f.totals.rowsDuplicate);
  figure('rows-rejected', count(f.totals.rowsRejected), f.totals.rowsRejected);
  figure('rows-per-second', count(p.lastMinute.rowsPerSecond), p.lastMinute.rowsPerSecond);
  figure('files-per-minute', count(p.lastMinute.files), p.lastMinute.files);
  const depth = f.queue.visible + f.queue.inFlight;
  figure('queue-depth', count(depth), depth);
  figure(
    'queue-detail',
    `${count(f.queue.visible)} waiting, ${count(f.queue.inFlight)} in flight${
      f.queue.oldestAgeSeconds === null ? '' : `, oldest ${seconds(f.queue.oldestAgeSeconds)}`
    }`,
  );
  const dead = f.deadLetters.visible + f.deadLetters.inFlight;
  figure('dead-letters', count(dead), dead);
  document.querySelector('[data-alert="dead-letters"]').classList.toggle('alerting', dead > 0);
  const short = (s) => (s === null ? '-' : s < 10 ? s.toFixed(2) : String(Math.round(s)));
  figure('latency-p50', short(p.latency.fileP50Seconds), p.latency.fileP50Seconds);
  figure('latency-p99', short(p.latency.fileP99Seconds), p.latency.fileP99Seconds);
  figure('export-pending', count(p.exportLag.filesPending), p.exportLag.filesPending);
  figure(
    'export-detail',
    p.exportLag.filesPending === 0
      ? 'every committed file exported'
      : `files to export, ${count(p.exportLag.rowsPending)} rows, oldest ${seconds(p.exportLag.seconds)}`,
  );
  // A 5-minute window is whole once its last minute is: plotted at its end, up to the last
  // complete minute of event time (the latest one is still filling).
  const lastComplete = a.anchor ? Math.floor(epoch(a.anchor) / 60) * 60 - 60 : null;
  const windows = a.activeUsers.filter(
    (w) => lastComplete !== null && epoch(w.windowStart) + 240 <= lastComplete,
  );
  const users = windows.at(-1)?.users ?? 0;
  figure('active-users', count(users), users);
  figure('late-events', count(a.late.events), a.late.events);
  figure(
    'late-detail',
    `${count(a.late.windowsCorrected)} windows corrected, ${count(a.late.revisions)} revisions`,
  );
  figure('anchor', a.anchor ?? 'no events yet', a.anchor);
  figure('watermark', a.watermark.watermark ?? '-', a.watermark.watermark);
  document.getElementById('minutes').textContent = String(a.minutes);

  table(
    'rejects',
    p.topRejectReasons,
    (r) => [[r.reason], [count(r.rows), r.rows]],
    (r) => r.reason,
  );
  table(
    'funnel',
    a.funnel.slice(-3).reverse(),
    (h) => [
      [`${h.hour.slice(5, 13).replace('T', ' ')}:00`],
      [count(h.sessions), h.sessions],
      [count(h.withView), h.withView],
      [count(h.withCart), h.withCart],
      [count(h.withPurchase), h.withPurchase],
      [percent(h.viewToCart), h.viewToCart ?? ''],
      [percent(h.cartToPurchase), h.cartToPurchase ?? ''],
    ],
    (h) => h.hour,
  );
  table(
    'products',
    a.topProducts,
    (r) => [[r.productId], [count(r.views), r.views]],
    (r) => r.productId,
  );
  table(
    'revenue',
    a.revenueByCategory,
    (r) => [
      [r.category],
      [count(r.purchases), r.purchases],
      [count(r.units), r.units],
      [money(r.revenue), r.revenue],
    ],
    (r) => r.category,
  );

  if (!charts) makeCharts();
  const ingest = everyMinute(before(f.at, 30), f.ingestPerMinute, (m) => m.minute, [
    (m) => m.files,
    (m) => m.rows,
  ]);
  charts.ingest.setData(ingest);
  charts.queue.setData([
    f.queueHistory.map((s) => epoch(s.at)),
    f.queueHistory.map((s) => s.queue),
    f.queueHistory.map((s) => s.deadLetters),
  ]);
  charts.activity.setData(
    everyMinute(before(a.anchor, a.minutes), a.activity, (m) => m.minute, [
      (m) => m.views,
      (m) => m.carts,
      (m) => m.removals,
      (m) => m.purchases,
    ]),
  );
  charts.users.setData([
    windows.map((w) => epoch(w.windowStart) + 300),
    windows.map((w) => w.users),
  ]);
}

function connect() {
  const problem = document.getElementById('problem');
  const state = (name, text) => {
    document.body.dataset.state = name;
    document.getElementById('connection').textContent = text;
  };
  const source = new EventSource('events');
  source.addEventListener('open', () => state('live', 'live'));
  source.addEventListener('error', () => state('reconnecting', 'reconnecting'));
  source.addEventListener('figures', (event) => {
    render(JSON.parse(event.data));
    problem.hidden = true;
    document.body.dataset.frames = String(Number(document.body.dataset.frames) + 1);
  });
  source.addEventListener('problem', (event) => {
    problem.textContent = `figures unavailable: ${JSON.parse(event.data).message}`;
    problem.hidden = false;
  });
}

connect();
