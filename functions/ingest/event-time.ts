/** Earliest accepted event time: anything older is a parsing accident, not history. */
const MIN_YEAR = 2000;
/** How far ahead of ingestion a clock may drift before the event is called impossible. */
const MAX_AHEAD_MS = 24 * 60 * 60 * 1000;

const DATE_TIME =
  /^(\d{4})([-/])(\d{2})\2(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const EPOCH_SECONDS = /^\d{10}$/;
const EPOCH_MILLIS = /^\d{13}$/;

/**
 * Parses the timestamp forms producers actually send and returns it as an ISO 8601 UTC
 * string with up to microsecond precision (PostgreSQL's), or null when it is not a real
 * instant between 2000 and 24 h after `now`. A time without a zone is UTC.
 */
export function parseEventTime(text: string, now: number): string | null {
  let millis: number;
  let extraMicros = '';
  if (EPOCH_SECONDS.test(text)) {
    millis = Number(text) * 1000;
  } else if (EPOCH_MILLIS.test(text)) {
    millis = Number(text);
  } else {
    const m = DATE_TIME.exec(text);
    if (!m) return null;
    const [, y, , mo, d, h, mi, s = '0', fraction = '', zone] = m;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    const second = Number(s);
    if (hour > 23 || minute > 59 || second > 59 || month < 1 || month > 12 || day < 1) return null;
    const local = Date.UTC(
      year,
      month - 1,
      day,
      hour,
      minute,
      second,
      Number(fraction.slice(0, 3).padEnd(3, '0')),
    );
    const check = new Date(local);
    if (
      check.getUTCFullYear() !== year ||
      check.getUTCMonth() !== month - 1 ||
      check.getUTCDate() !== day
    ) {
      return null;
    }
    const offset = parseOffset(zone);
    if (offset === null) return null;
    millis = local - offset;
    extraMicros = fraction.slice(3, 6);
  }
  if (!Number.isFinite(millis)) return null;
  const date = new Date(millis);
  if (date.getUTCFullYear() < MIN_YEAR || millis > now + MAX_AHEAD_MS) return null;
  const iso = date.toISOString();
  return extraMicros ? `${iso.slice(0, -1)}${extraMicros}Z` : iso;
}

/** Offset in milliseconds east of UTC; 0 when absent; null when out of range. */
function parseOffset(zone: string | undefined): number | null {
  if (!zone || zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 14 || minutes > 59) return null;
  return sign * (hours * 60 + minutes) * 60_000;
}
