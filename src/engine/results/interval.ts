// interval: (months, days, µs) like PG's Interval struct — DuckDB keeps the same three fields unnormalised, so the
// text follows EncodeInterval for each IntervalStyle: postgres `1 year 2 mons -3 days +04:05:06.5`,
// postgres_verbose `@ 1 year 2 mons -3 days 4 hours 5 mins 6.5 secs ago`, sql_standard `+1-2 -3 +4:05:06.5`,
// iso_8601 `P1Y2M-3DT4H5M6.5S`. Binary: int64 µs, int32 days, int32 months.
import { DuckDBIntervalValue } from '@duckdb/node-api';
import { int32, int64, typeError, type TypeCodec } from './codec.js';
import { appendSeconds } from './datetime.js';
import { PG } from './oids.js';
import type { IntervalStyle } from './settings.js';

export interface PgInterval {
  months: number;
  days: number;
  micros: bigint;
}

export function toInterval(v: unknown): PgInterval {
  if (v instanceof DuckDBIntervalValue) return { months: v.months, days: v.days, micros: v.micros };
  if (typeof v === 'object' && v !== null && 'months' in v && 'days' in v && 'micros' in v) return v as PgInterval;
  throw typeError('interval', v);
}

/** interval2itm: every field truncated toward zero, so each carries the sign of its source. */
function fields(iv: PgInterval) {
  const year = Math.trunc(iv.months / 12);
  const mon = iv.months % 12;
  let t = iv.micros;
  const hour = t / 3_600_000_000n;
  t -= hour * 3_600_000_000n;
  const min = t / 60_000_000n;
  t -= min * 60_000_000n;
  const sec = t / 1_000_000n;
  const usec = t - sec * 1_000_000n;
  return { year, mon, mday: iv.days, hour: Number(hour), min: Number(min), sec: Number(sec), fsec: Number(usec) };
}

const plural = (v: number) => (v !== 1 ? 's' : '');

// PG 17+ reserves the extreme values of all three fields for ±infinity
const isPosInf = (iv: PgInterval) => iv.months === 2147483647 && iv.days === 2147483647 && iv.micros === 9223372036854775807n;
const isNegInf = (iv: PgInterval) =>
  iv.months === -2147483648 && iv.days === -2147483648 && iv.micros === -9223372036854775808n;

export function intervalText(iv: PgInterval, style: IntervalStyle): string {
  if (isPosInf(iv)) return 'infinity';
  if (isNegInf(iv)) return '-infinity';
  let { year, mon, mday, hour, min, sec, fsec } = fields(iv);
  switch (style) {
    case 'sql_standard': {
      const hasNeg = year < 0 || mon < 0 || mday < 0 || hour < 0 || min < 0 || sec < 0 || fsec < 0;
      const hasPos = year > 0 || mon > 0 || mday > 0 || hour > 0 || min > 0 || sec > 0 || fsec > 0;
      const hasYM = year !== 0 || mon !== 0;
      const hasDT = mday !== 0 || hour !== 0 || min !== 0 || sec !== 0 || fsec !== 0;
      const sqlStd = !(hasNeg && hasPos) && !(hasYM && hasDT);
      let out = '';
      if (hasNeg && sqlStd) {
        out = '-';
        year = -year;
        mon = -mon;
        mday = -mday;
        hour = -hour;
        min = -min;
        sec = -sec;
        fsec = -fsec;
      }
      if (!hasNeg && !hasPos) return '0';
      if (!sqlStd) {
        const ys = year < 0 || mon < 0 ? '-' : '+';
        const ds = mday < 0 ? '-' : '+';
        const ts = hour < 0 || min < 0 || sec < 0 || fsec < 0 ? '-' : '+';
        return (
          out +
          `${ys}${Math.abs(year)}-${Math.abs(mon)} ${ds}${Math.abs(mday)} ${ts}${Math.abs(hour)}:` +
          `${String(Math.abs(min)).padStart(2, '0')}:${appendSeconds(Math.abs(sec), Math.abs(fsec), true)}`
        );
      }
      if (hasYM) return out + `${year}-${mon}`;
      const hms = `${hour}:${String(min).padStart(2, '0')}:${appendSeconds(sec, fsec, true)}`;
      return out + (mday !== 0 ? `${mday} ${hms}` : hms);
    }
    case 'iso_8601': {
      if (year === 0 && mon === 0 && mday === 0 && hour === 0 && min === 0 && sec === 0 && fsec === 0) return 'PT0S';
      let out = 'P';
      const part = (v: number, u: string) => {
        if (v !== 0) out += `${v}${u}`;
      };
      part(year, 'Y');
      part(mon, 'M');
      part(mday, 'D');
      if (hour !== 0 || min !== 0 || sec !== 0 || fsec !== 0) out += 'T';
      part(hour, 'H');
      part(min, 'M');
      if (sec !== 0 || fsec !== 0) {
        if (sec < 0 || fsec < 0) out += '-';
        out += appendSeconds(Math.abs(sec), Math.abs(fsec), false) + 'S';
      }
      return out;
    }
    case 'postgres': {
      let out = '';
      let isZero = true;
      let isBefore = false;
      const part = (v: number, unit: string) => {
        if (v === 0) return;
        out += `${!isZero ? ' ' : ''}${isBefore && v > 0 ? '+' : ''}${v} ${unit}${plural(v)}`;
        isBefore = v < 0;
        isZero = false;
      };
      part(year, 'year');
      part(mon, 'mon');
      part(mday, 'day');
      if (isZero || hour !== 0 || min !== 0 || sec !== 0 || fsec !== 0) {
        const minus = hour < 0 || min < 0 || sec < 0 || fsec < 0;
        out +=
          `${isZero ? '' : ' '}${minus ? '-' : isBefore ? '+' : ''}` +
          `${String(Math.abs(hour)).padStart(2, '0')}:${String(Math.abs(min)).padStart(2, '0')}:` +
          appendSeconds(Math.abs(sec), Math.abs(fsec), true);
      }
      return out;
    }
    default: {
      // postgres_verbose
      let out = '@';
      let isZero = true;
      let isBefore = false;
      const part = (v: number, unit: string) => {
        if (v === 0) return;
        if (isZero) {
          isBefore = v < 0;
          v = Math.abs(v);
        } else if (isBefore) v = -v;
        out += ` ${v} ${unit}${v === 1 ? '' : 's'}`;
        isZero = false;
      };
      part(year, 'year');
      part(mon, 'mon');
      part(mday, 'day');
      part(hour, 'hour');
      part(min, 'min');
      if (sec !== 0 || fsec !== 0) {
        out += ' ';
        if (sec < 0 || (sec === 0 && fsec < 0)) {
          if (isZero) isBefore = true;
          else if (!isBefore) out += '-';
        } else if (isBefore) out += '-';
        out += appendSeconds(Math.abs(sec), Math.abs(fsec), false);
        out += ` sec${Math.abs(sec) !== 1 || fsec !== 0 ? 's' : ''}`;
        isZero = false;
      }
      if (isZero) out += ' 0';
      if (isBefore) out += ' ago';
      return out;
    }
  }
}

export function intervalSend(iv: PgInterval): Buffer {
  return Buffer.concat([int64(iv.micros), int32(iv.days), int32(iv.months)]);
}

export const intervalCodec: TypeCodec = {
  info: PG.interval,
  text: (v, s) => intervalText(toInterval(v), s.intervalStyle),
  send: (v) => intervalSend(toInterval(v)),
};
