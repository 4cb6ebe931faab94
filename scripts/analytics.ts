/**
 * npm run analytics [-- --minutes 15] [--json] [--watch [SECONDS]] [--target local|localstack|aws]
 * The stream analytics of the last minutes of event time: activity, active users, top
 * products, funnel, revenue by category, sessions, the watermark and late events.
 */
import { type Analytics, readAnalytics } from './lib/analytics-queries.ts';
import { parseCommand, TARGET_OPTIONS } from './lib/cli.ts';
import { connectDatabase } from './lib/database.ts';
import { resolveTarget, runCommand, TargetError } from './lib/target.ts';

const money = (v: number) =>
  v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dur = (s: number | null) =>
  s === null ? '-' : s < 90 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`;
const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)} %`);
const hhmm = (iso: string) => iso.slice(11, 16);

export function formatAnalytics(a: Analytics, target: string): string {
  const out: string[] = [];
  const w = a.watermark;
  out.push(
    `shopstream analytics on ${target}: the ${a.minutes} minutes of event time up to ${a.anchor ?? '(no events yet)'}`,
  );
  out.push(
    `watermark          ${w.watermark ?? '-'} (latest event ${w.maxEventTime ?? '-'} minus ${w.allowedLatenessSeconds} s)`,
  );
  out.push(
    `late events        ${a.late.events} in ${a.late.windowsCorrected} window(s), corrected by ${a.late.revisions} file(s); counted, never dropped`,
  );
  out.push('');
  out.push('activity per minute');
  out.push('  minute   views  carts  removed  purchases     revenue  late');
  for (const r of a.activity.slice(-a.minutes)) {
    out.push(
      `  ${hhmm(r.minute)}  ${String(r.views).padStart(6)} ${String(r.carts).padStart(6)} ${String(r.removals).padStart(8)} ${String(r.purchases).padStart(10)} ${money(r.revenue).padStart(11)} ${String(r.lateEvents).padStart(5)}`,
    );
  }
  if (a.activity.length === 0) out.push('  none');
  out.push('');
  const users = a.activeUsers.slice(-6);
  out.push(
    `active users (5-minute windows sliding by 1)  ${users.map((u) => `${hhmm(u.windowStart)} ${u.users}`).join('  ') || 'none'}`,
  );
  out.push(
    `top products (views)  ${a.topProducts.map((p) => `${p.productId} ${p.views}`).join('  ') || 'none'}`,
  );
  const s = a.sessions;
  out.push(
    `sessions started     ${s.count} (${s.inferred} inferred from inactivity); duration median ${dur(s.medianSeconds)}, p90 ${dur(s.p90Seconds)}`,
  );
  out.push('');
  out.push('funnel by hour of session start');
  out.push('  hour   sessions  viewed  carted  bought  view->cart  cart->buy');
  for (const f of a.funnel) {
    out.push(
      `  ${hhmm(f.hour)} ${String(f.sessions).padStart(9)} ${String(f.withView).padStart(7)} ${String(f.withCart).padStart(7)} ${String(f.withPurchase).padStart(7)} ${pct(f.viewToCart).padStart(11)} ${pct(f.cartToPurchase).padStart(10)}`,
    );
  }
  if (a.funnel.length === 0) out.push('  none');
  out.push('');
  out.push(`revenue by category (the ${a.minutes} minutes)`);
  for (const c of a.revenueByCategory.slice(0, 8))
    out.push(
      `  ${c.category.padEnd(24)} ${String(c.purchases).padStart(7)} purchases ${money(c.revenue).padStart(14)}`,
    );
  if (a.revenueByCategory.length === 0) out.push('  none');
  return out.join('\n');
}

async function main() {
  const watch = watchArgs(process.argv.slice(2));
  const { values } = parseCommand(
    {
      usage: 'npm run analytics --',
      summary:
        'The stream analytics of the pipeline (docs/analytics.md), over the last minutes of event\ntime up to the latest committed event.',
      options: {
        minutes: {
          type: 'string',
          default: '15',
          value: 'N',
          description: 'how many minutes of event time to show',
        },
        watch: {
          type: 'boolean',
          value: '[SECONDS]',
          description: 'redraw every few seconds (default 5) until Ctrl-C',
        },
        json: {
          type: 'boolean',
          description: "one JSON object on stdout (npm run -s keeps npm's banner out of it)",
        },
        ...TARGET_OPTIONS,
      },
    },
    watch.args,
  );
  const minutes = Number(values.minutes);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440)
    throw new TargetError(`--minutes takes a whole number from 1 to 1440, got "${values.minutes}"`);
  const target = await resolveTarget(values);
  const db = await connectDatabase(target);
  try {
    const draw = async () => {
      const analytics = await readAnalytics(db, minutes);
      if (values.json) console.log(JSON.stringify({ target: target.name, ...analytics }, null, 2));
      else {
        if (values.watch && process.stdout.isTTY) process.stdout.write('\u001b[2J\u001b[H');
        console.log(formatAnalytics(analytics, target.name));
      }
    };
    await draw();
    if (!values.watch) return;
    const every = watch.seconds * 1000;
    let stop = false;
    process.on('SIGINT', () => {
      stop = true;
    });
    while (!stop) {
      await new Promise((resolve) => setTimeout(resolve, every));
      if (!stop) await draw();
    }
  } finally {
    await db.end();
  }
}

/** `--watch 10`: the number after --watch is its interval (default 5 s), not a stray argument. */
function watchArgs(args: string[]): { args: string[]; seconds: number } {
  const i = args.indexOf('--watch');
  const next = args[i + 1];
  if (i >= 0 && next !== undefined && /^\d+$/.test(next))
    return {
      args: [...args.slice(0, i + 1), ...args.slice(i + 2)],
      seconds: Math.max(1, Number(next)),
    };
  return { args, seconds: 5 };
}

if (import.meta.main) runCommand(main);
