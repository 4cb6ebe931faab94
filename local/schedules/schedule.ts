import { CronExpressionParser } from 'cron-parser';

/** An AWS::Events::Rule with a schedule, as the template states it. */
export interface ScheduleSpec {
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly expression: string;
  readonly targets: readonly { readonly arn: string; readonly input?: string }[];
}

export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * When an EventBridge schedule expression next fires after `from`: `rate(N unit)` or AWS's
 * six-field `cron(min hour day-of-month month day-of-week year)`.
 */
export function nextFiring(expression: string, from: Date): Date {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const ms = Number(rate[1]) * (UNIT_MS[(rate[2] as string).replace(/s$/, '')] as number);
    if (ms <= 0) throw new ScheduleError(`rate must be positive: ${expression}`);
    return new Date(from.getTime() + ms);
  }
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) throw new ScheduleError(`not a schedule expression: ${expression}`);
  const fields = (cron[1] as string).trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ScheduleError(
      `cron needs six fields (minutes hours day-of-month month day-of-week year): ${expression}`,
    );
  const [minutes, hours, dom, month, dow] = fields as [string, string, string, string, string];
  // EventBridge numbers days of the week 1-7 from Sunday; cron-parser 0-6.
  const weekday = dow.replace(/\d/g, (d) => String((Number(d) + 6) % 7));
  const expressionFor = [minutes, hours, dom, month, weekday]
    .map((f) => (f === '?' ? '*' : f))
    .join(' ');
  return CronExpressionParser.parse(expressionFor, { currentDate: from, tz: 'UTC' })
    .next()
    .toDate();
}

/** Runs a task on a schedule until stopped; the first run is `firstDelayMs` after start. */
export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly expression: string;
  private readonly task: () => Promise<void>;

  constructor(expression: string, task: () => Promise<void>) {
    nextFiring(expression, new Date());
    this.expression = expression;
    this.task = task;
  }

  start(firstDelayMs?: number): void {
    const delay = firstDelayMs ?? nextFiring(this.expression, new Date()).getTime() - Date.now();
    this.timer = setTimeout(() => this.fire(), Math.max(0, delay));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async fire() {
    if (this.stopped) return;
    const next = nextFiring(this.expression, new Date()).getTime();
    this.timer = setTimeout(() => this.fire(), Math.max(0, next - Date.now()));
    await this.task().catch(() => {});
  }
}
