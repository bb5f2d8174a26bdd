// Shared date/time text building blocks, named after their counterparts in PG's utils/adt/datetime.c
// (EncodeDateOnly, EncodeDateTime, EncodeTimeOnly, EncodeTimezone, AppendSeconds) so behaviour can be checked
// line by line. Calendar math is proleptic Gregorian with year 0 = 1 BC, as in both PG and DuckDB.
import type { OutputSettings } from './settings.js';

export const USECS_PER_DAY = 86_400_000_000;
/** days from 1970-01-01 (DuckDB epoch) to 2000-01-01 (PG epoch) */
export const PG_EPOCH_DAYS = 10_957;
export const PG_EPOCH_MICROS = 946_684_800_000_000n;

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface Civil {
  year: number;
  month: number;
  day: number;
}

/** Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilFromDays(days: number): Civil {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 0 = Sunday, like PG's j2day. */
export function weekday(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** pg_ultostr_zeropad: at least `width` digits, more when needed. */
export function zpad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

/** Year as printed: positive, with BC handled by the caller (year 0 = 1 BC). */
function displayYear(year: number): string {
  return zpad(year > 0 ? year : -(year - 1), 4);
}

/**
 * AppendSeconds: seconds (two digits when `fill`), then the microseconds with trailing zeros dropped.
 * `sec` and `usec` are magnitudes (callers print signs).
 */
export function appendSeconds(sec: number, usec: number, fill: boolean): string {
  let s = fill ? zpad(sec, 2) : String(sec);
  if (usec !== 0) {
    let frac = zpad(usec, 6);
    let end = frac.length;
    while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
    frac = frac.slice(0, end);
    s += '.' + frac;
  }
  return s;
}

/** EncodeTimezone: `tzWest` is seconds west of UTC (PG's sign convention); `+05:30`, `-03`, `-04:56:02`. */
export function encodeTimezone(tzWest: number): string {
  let sec = Math.abs(tzWest);
  let min = Math.floor(sec / 60);
  sec -= min * 60;
  const hour = Math.floor(min / 60);
  min -= hour * 60;
  const sign = tzWest <= 0 ? '+' : '-';
  if (sec !== 0) return `${sign}${zpad(hour, 2)}:${zpad(min, 2)}:${zpad(sec, 2)}`;
  if (min !== 0) return `${sign}${zpad(hour, 2)}:${zpad(min, 2)}`;
  return `${sign}${zpad(hour, 2)}`;
}

/** EncodeDateOnly for the session's DateStyle. */
export function encodeDateOnly(c: Civil, s: OutputSettings): string {
  const y = displayYear(c.year);
  const mm = zpad(c.month, 2);
  const dd = zpad(c.day, 2);
  let out: string;
  switch (s.dateStyle) {
    case 'ISO':
      out = `${y}-${mm}-${dd}`;
      break;
    case 'SQL':
      out = s.dateOrder === 'DMY' ? `${dd}/${mm}/${y}` : `${mm}/${dd}/${y}`;
      break;
    case 'German':
      out = `${dd}.${mm}.${y}`;
      break;
    default:
      out = s.dateOrder === 'DMY' ? `${dd}-${mm}-${y}` : `${mm}-${dd}-${y}`;
  }
  return c.year <= 0 ? out + ' BC' : out;
}

/** Time zone part of a timestamptz: offset west of UTC and the abbreviation (tm_zone). */
export interface TzPart {
  west: number;
  abbr: string;
}

/** EncodeDateTime: `days` since 1970 and time of day in microseconds, already in local time. */
export function encodeDateTime(days: number, usecOfDay: number, tz: TzPart | null, s: OutputSettings): string {
  const c = civilFromDays(days);
  const hh = zpad(Math.floor(usecOfDay / 3_600_000_000), 2);
  const mi = zpad(Math.floor(usecOfDay / 60_000_000) % 60, 2);
  const secs = appendSeconds(Math.floor(usecOfDay / 1_000_000) % 60, usecOfDay % 1_000_000, true);
  const y = displayYear(c.year);
  const mm = zpad(c.month, 2);
  const dd = zpad(c.day, 2);
  let out: string;
  switch (s.dateStyle) {
    case 'ISO':
      out = `${y}-${mm}-${dd} ${hh}:${mi}:${secs}`;
      if (tz) out += encodeTimezone(tz.west);
      break;
    case 'SQL':
      out = (s.dateOrder === 'DMY' ? `${dd}/${mm}/${y}` : `${mm}/${dd}/${y}`) + ` ${hh}:${mi}:${secs}`;
      if (tz) out += ' ' + tz.abbr;
      break;
    case 'German':
      out = `${dd}.${mm}.${y} ${hh}:${mi}:${secs}`;
      if (tz) out += ' ' + tz.abbr;
      break;
    default: {
      const dn = DAY_NAMES[weekday(days)]!;
      const mn = MONTH_NAMES[c.month - 1]!;
      out = s.dateOrder === 'DMY' ? `${dn} ${dd} ${mn}` : `${dn} ${mn} ${dd}`;
      out += ` ${hh}:${mi}:${secs} ${y}`;
      if (tz) out += ' ' + tz.abbr;
    }
  }
  return c.year <= 0 ? out + ' BC' : out;
}

/** EncodeTimeOnly (time and timetz; DateStyle does not change these). */
export function encodeTimeOnly(usec: number, tzWest: number | null): string {
  const hh = zpad(Math.floor(usec / 3_600_000_000), 2);
  const mi = zpad(Math.floor(usec / 60_000_000) % 60, 2);
  const out = `${hh}:${mi}:${appendSeconds(Math.floor(usec / 1_000_000) % 60, usec % 1_000_000, true)}`;
  return tzWest === null ? out : out + encodeTimezone(tzWest);
}

/** Splits microseconds since 1970 into whole days and microseconds of that day (floor semantics). */
export function splitMicros(micros: bigint): { days: number; usec: number } {
  if (micros >= -9_007_199_254_740_991n && micros <= 9_007_199_254_740_991n) return splitMicrosNumber(Number(micros));
  const d = 86_400_000_000n;
  let days = micros / d;
  let rem = micros - days * d;
  if (rem < 0n) {
    rem += d;
    days -= 1n;
  }
  return { days: Number(days), usec: Number(rem) };
}

/** splitMicros for a safe-integer Number of microseconds. */
export function splitMicrosNumber(m: number): { days: number; usec: number } {
  let days = Math.floor(m / USECS_PER_DAY);
  let usec = m - days * USECS_PER_DAY;
  // the float quotient can round across an integer near 2^53; the exact remainder corrects it
  if (usec < 0) {
    days -= 1;
    usec += USECS_PER_DAY;
  } else if (usec >= USECS_PER_DAY) {
    days += 1;
    usec -= USECS_PER_DAY;
  }
  return { days, usec };
}

/** Floor of micros / 1e6 as a Number (Unix seconds). */
export function unixSeconds(micros: bigint): number {
  if (micros >= -9_007_199_254_740_991n && micros <= 9_007_199_254_740_991n) {
    const m = Number(micros);
    let s = Math.floor(m / 1e6);
    const r = m - s * 1e6;
    if (r < 0) s -= 1;
    else if (r >= 1e6) s += 1;
    return s;
  }
  let s = micros / 1_000_000n;
  if (micros < 0n && s * 1_000_000n !== micros) s -= 1n;
  return Number(s);
}
