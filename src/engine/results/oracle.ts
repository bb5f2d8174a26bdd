// IvorySQL Oracle-compatible types (ivorysql.md §3-5). Their binary forms are the PG ones (oradate/oratimestamp =
// timestamp, oratimestamptz/ltz = timestamptz, yminterval/dsinterval = interval); their text comes from the NLS masks
// (`nls_date_format` 'YYYY-MM-DD' hides the time of day!) and, for the two interval types, from Oracle's
// `+YY-MM` / `+DD HH:MI:SS.FFFFFF` layout whose widths come from the typmod — which IvorySQL passes to the output
// function only in Oracle-mode sessions (PG-mode results use the 9-digit defaults).
import { toMicros, type TypeCodec } from './codec.js';
import { civilFromDays, splitMicros, weekday, zpad } from './datetime.js';
import { intervalSend, toInterval, type PgInterval } from './interval.js';
import { PG, type PgTypeInfo } from './oids.js';
import type { OutputSettings } from './settings.js';
import { timestampSend } from './timestamp.js';
import { toLocal } from './timestamptz.js';

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER',
  'NOVEMBER', 'DECEMBER'];
const DAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

interface Parts {
  days: number;
  usec: number;
  /** seconds east of UTC, for TZH/TZM; null when the type has no zone */
  utoff: number | null;
  abbr: string;
  zoneName: string;
}

/** Renders an Oracle datetime format mask (the subset NLS masks use: Y/RR, MM/MON/MONTH, DD/DY/DAY, HH24/HH12,
 *  MI, SS, SSSSS, FFn, AM/PM, TZH/TZM/TZR/TZD, FM, quoted text and punctuation). */
export function formatOracleMask(mask: string, p: Parts, fracDigits: number): string {
  const c = civilFromDays(p.days);
  const hour = Math.floor(p.usec / 3_600_000_000);
  const min = Math.floor(p.usec / 60_000_000) % 60;
  const sec = Math.floor(p.usec / 1_000_000) % 60;
  const frac = p.usec % 1_000_000;
  let fm = false;
  let out = '';
  let i = 0;
  // Oracle capitalisation: "MON" → JAN, "Mon" → Jan, "mon" → jan
  const cased = (word: string, tok: string) =>
    tok[0] === tok[0]!.toLowerCase() ? word.toLowerCase() : tok[1] === tok[1]!.toLowerCase() ? word[0] + word.slice(1).toLowerCase() : word;
  const num = (n: number, w: number) => (fm ? String(n) : zpad(n, w));
  while (i < mask.length) {
    const rest = mask.slice(i);
    const up = rest.toUpperCase();
    const take = (n: number) => {
      const t = rest.slice(0, n);
      i += n;
      return t;
    };
    if (rest[0] === '"') {
      const end = mask.indexOf('"', i + 1);
      out += mask.slice(i + 1, end < 0 ? mask.length : end);
      i = end < 0 ? mask.length : end + 1;
    } else if (up.startsWith('FM')) {
      take(2);
      fm = !fm;
    } else if (up.startsWith('YYYY') || up.startsWith('RRRR')) {
      take(4);
      out += num(Math.abs(c.year), 4);
    } else if (up.startsWith('YYY')) {
      take(3);
      out += zpad(Math.abs(c.year) % 1000, 3);
    } else if (up.startsWith('YY') || up.startsWith('RR')) {
      take(2);
      out += zpad(Math.abs(c.year) % 100, 2);
    } else if (up.startsWith('Y')) {
      take(1);
      out += String(Math.abs(c.year) % 10);
    } else if (up.startsWith('MONTH')) {
      const w = cased(MONTHS[c.month - 1]!, take(5));
      out += fm ? w : w.padEnd(9);
    } else if (up.startsWith('MON')) {
      out += cased(MONTHS[c.month - 1]!.slice(0, 3), take(3));
    } else if (up.startsWith('MM')) {
      take(2);
      out += num(c.month, 2);
    } else if (up.startsWith('MI')) {
      take(2);
      out += num(min, 2);
    } else if (up.startsWith('DDD')) {
      take(3);
      const doy = p.days - Math.floor(Date.UTC(c.year, 0, 1) / 86_400_000) + 1;
      out += num(doy, 3);
    } else if (up.startsWith('DD')) {
      take(2);
      out += num(c.day, 2);
    } else if (up.startsWith('DAY')) {
      const w = cased(DAYS[weekday(p.days)]!, take(3));
      out += fm ? w : w.padEnd(9);
    } else if (up.startsWith('DY')) {
      out += cased(DAYS[weekday(p.days)]!.slice(0, 3), take(2));
    } else if (up.startsWith('D')) {
      take(1);
      out += String(weekday(p.days) + 1);
    } else if (up.startsWith('HH24')) {
      take(4);
      out += num(hour, 2);
    } else if (up.startsWith('HH12') || up.startsWith('HH')) {
      take(up.startsWith('HH12') ? 4 : 2);
      out += num(hour % 12 === 0 ? 12 : hour % 12, 2);
    } else if (up.startsWith('SSSSS')) {
      take(5);
      out += num(Math.floor(p.usec / 1_000_000), 5);
    } else if (up.startsWith('SS')) {
      take(2);
      out += num(sec, 2);
    } else if (up.startsWith('FF')) {
      take(2);
      let n = fracDigits;
      if (/^[1-9]/.test(mask.slice(i))) n = Number(mask[i++]);
      out += (zpad(frac, 6) + '000').slice(0, n);
    } else if (up.startsWith('A.M.') || up.startsWith('P.M.')) {
      const t = take(4);
      const w = hour < 12 ? 'A.M.' : 'P.M.';
      out += t[0] === t[0]!.toLowerCase() ? w.toLowerCase() : w;
    } else if (up.startsWith('AM') || up.startsWith('PM')) {
      const t = take(2);
      const w = hour < 12 ? 'AM' : 'PM';
      out += t[0] === t[0]!.toLowerCase() ? w.toLowerCase() : w;
    } else if (up.startsWith('TZH')) {
      take(3);
      const o = p.utoff ?? 0;
      out += (o < 0 ? '-' : '+') + zpad(Math.floor(Math.abs(o) / 3600), 2);
    } else if (up.startsWith('TZM')) {
      take(3);
      out += zpad(Math.floor(Math.abs(p.utoff ?? 0) / 60) % 60, 2);
    } else if (up.startsWith('TZR')) {
      take(3);
      out += p.zoneName;
    } else if (up.startsWith('TZD')) {
      take(3);
      out += p.abbr;
    } else {
      out += take(1);
    }
  }
  return out;
}

function local(v: unknown, type: string): Parts | 'infinity' | '-infinity' {
  const t = toMicros(v, type);
  if (t.inf) return t.inf > 0 ? 'infinity' : '-infinity';
  const { days, usec } = splitMicros(t.micros);
  return { days, usec, utoff: null, abbr: '', zoneName: '' };
}

function zoned(v: unknown, s: OutputSettings, type: string): Parts | 'infinity' | '-infinity' {
  const t = toMicros(v, type);
  if (t.inf) return t.inf > 0 ? 'infinity' : '-infinity';
  const l = toLocal(t.micros, s);
  return { days: l.days, usec: l.usec, utoff: -l.west, abbr: l.abbr, zoneName: s.timeZone.name };
}

/** Fraction digits of a TIMESTAMP(p) typmod (6 when unspecified). */
const fsDigits = (typmod: number) => (typmod >= 0 && typmod <= 9 ? typmod : 6);

function oraDateTime(info: PgTypeInfo, mask: (s: OutputSettings) => string, zone: boolean): TypeCodec {
  return {
    info,
    text: (v, s, typmod) => {
      const p = zone ? zoned(v, s, info.name) : local(v, info.name);
      return typeof p === 'string' ? p : formatOracleMask(mask(s), p, fsDigits(typmod));
    },
    send: (v) => timestampSend(v, info.name),
  };
}

export const oradateCodec = oraDateTime(PG.oradate, (s) => s.nlsDateFormat, false);
export const oratimestampCodec = oraDateTime(PG.oratimestamp, (s) => s.nlsTimestampFormat, false);
export const oratimestamptzCodec = oraDateTime(PG.oratimestamptz, (s) => s.nlsTimestampTzFormat, true);
/** TIMESTAMP WITH LOCAL TIME ZONE: session-zone wall time printed with the plain timestamp mask (no offset). */
export const oratimestampltzCodec = oraDateTime(PG.oratimestampltz, (s) => s.nlsTimestampFormat, true);

// ---- INTERVAL YEAR TO MONTH / DAY TO SECOND ----

/** Leading-field and fraction precision from an interval typmod; 9/9 when the output gets typmod -1. */
function intervalPrecision(typmod: number, oracleMode: boolean): { lead: number; frac: number } {
  if (!oracleMode || typmod < 0) return { lead: 9, frac: 9 };
  const prec = typmod & 0xffff;
  // DAY TO SECOND packs (day precision << 8) | fractional precision; YEAR TO MONTH just the year precision
  return prec > 0xff ? { lead: prec >> 8, frac: prec & 0xff } : { lead: prec, frac: 0 };
}

export function ymIntervalText(iv: PgInterval, typmod: number, oracleMode: boolean): string {
  const { lead } = intervalPrecision(typmod, oracleMode);
  const m = iv.months;
  const a = Math.abs(m);
  return (m < 0 ? '-' : '+') + zpad(Math.floor(a / 12), lead) + '-' + zpad(a % 12, 2);
}

export function dsIntervalText(iv: PgInterval, typmod: number, oracleMode: boolean): string {
  const { lead, frac } = intervalPrecision(typmod, oracleMode);
  const total = BigInt(iv.days) * 86_400_000_000n + iv.micros;
  const a = total < 0n ? -total : total;
  const days = a / 86_400_000_000n;
  const rest = Number(a % 86_400_000_000n);
  const hh = Math.floor(rest / 3_600_000_000);
  const mi = Math.floor(rest / 60_000_000) % 60;
  const ss = Math.floor(rest / 1_000_000) % 60;
  const us = rest % 1_000_000;
  let out = `${total < 0n ? '-' : '+'}${zpad(Number(days), lead)} ${zpad(hh, 2)}:${zpad(mi, 2)}:${zpad(ss, 2)}`;
  if (frac > 0) out += '.' + (zpad(us, 6) + '000').slice(0, frac);
  return out;
}

export const ymIntervalCodec: TypeCodec = {
  info: PG.yminterval,
  text: (v, s, typmod) => ymIntervalText(toInterval(v), typmod, s.oracleMode),
  send: (v) => intervalSend(toInterval(v)),
};

export const dsIntervalCodec: TypeCodec = {
  info: PG.dsinterval,
  text: (v, s, typmod) => dsIntervalText(toInterval(v), typmod, s.oracleMode),
  send: (v) => intervalSend(toInterval(v)),
};
