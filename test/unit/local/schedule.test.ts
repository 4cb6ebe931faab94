import { describe, expect, it } from 'vitest';
import { nextFiring, ScheduleError } from '../../../local/schedules/schedule.ts';

const at = new Date('2026-11-22T10:07:30Z');

describe('EventBridge schedule expressions', () => {
  it('reads rates', () => {
    expect(nextFiring('rate(1 minute)', at).toISOString()).toBe('2026-11-22T10:08:30.000Z');
    expect(nextFiring('rate(5 minutes)', at).toISOString()).toBe('2026-11-22T10:12:30.000Z');
    expect(nextFiring('rate(2 hours)', at).toISOString()).toBe('2026-11-22T12:07:30.000Z');
    expect(nextFiring('rate(1 day)', at).toISOString()).toBe('2026-11-23T10:07:30.000Z');
  });

  it('reads six-field cron with ? and a year, days of the week counted from Sunday = 1', () => {
    expect(nextFiring('cron(0/15 * * * ? *)', at).toISOString()).toBe('2026-11-22T10:15:00.000Z');
    expect(nextFiring('cron(0 12 * * ? *)', at).toISOString()).toBe('2026-11-22T12:00:00.000Z');
    // 2026-11-22 is a Sunday; 2 is Monday.
    expect(nextFiring('cron(0 8 ? * 2 *)', at).toISOString()).toBe('2026-11-23T08:00:00.000Z');
    expect(nextFiring('cron(0 8 ? * MON *)', at).toISOString()).toBe('2026-11-23T08:00:00.000Z');
  });

  it('refuses anything else', () => {
    expect(() => nextFiring('every minute', at)).toThrow(ScheduleError);
    expect(() => nextFiring('cron(* * * *)', at)).toThrow(/six fields/);
  });
});
