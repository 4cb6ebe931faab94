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
  const fast = canonical(text, now);
  if (fast !== undefined) return fast;
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

/** Start of day (ms) of the last valid `YYYY-MM-DD` seen: a file's events share a few days. */
let lastDay = '';
let lastDayStart = 0;

const digit = (text: string, i: number) => {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
};
const two = (text: string, i: number) => {
  const a = digit(text, i);
  const b = digit(text, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
};

/**
 * The form producers mostly send and the generator writes, `YYYY-MM-DDTHH:MM:SS.sssZ`, checked
 * without a regular expression or a Date per row; it is already its own canonical output.
 * Undefined for anything else, which takes the general path.
 */
function canonical(text: string, now: number): string | null | undefined {
  if (
    text.length !== 24 ||
    text.charCodeAt(23) !== 90 /* Z */ ||
    text.charCodeAt(10) !== 84 /* T */
  )
    return undefined;
  if (
    text[4] !== '-' ||
    text[7] !== '-' ||
    text[13] !== ':' ||
    text[16] !== ':' ||
    text[19] !== '.'
  )
    return undefined;
  const day = text.slice(0, 10);
  if (day !== lastDay) {
    const year = Number(day.slice(0, 4));
    const month = two(text, 5);
    const date = two(text, 8);
    if (!Number.isInteger(year) || month < 1 || month > 12 || date < 1) return undefined;
    const start = Date.UTC(year, month - 1, date);
    const check = new Date(start);
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return null;
    lastDay = day;
    lastDayStart = start;
  }
  const hour = two(text, 11);
  const minute = two(text, 14);
  const second = two(text, 17);
  const [d1, d2, d3] = [digit(text, 20), digit(text, 21), digit(text, 22)];
  if (
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    d1 < 0 ||
    d2 < 0 ||
    d3 < 0
  ) {
    return undefined;
  }
  const ms = d1 * 100 + d2 * 10 + d3;
  const millis = lastDayStart + hour * 3_600_000 + minute * 60_000 + second * 1_000 + ms;
  if (millis < MIN_TIME || millis > now + MAX_AHEAD_MS) return null;
  return text;
}

const MIN_TIME = Date.UTC(MIN_YEAR, 0, 1);
