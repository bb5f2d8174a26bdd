// Constants: a literal's text (or a parameter's value) as Postgres reads it for a given type, turned into an exact
// DuckDB literal. Plain ISO/decimal spellings are read here; anything Postgres reads with session settings or
// rules of its own (DateStyle orders, time zones, `1 day 2 hours`, `1e3::float4` …) is converted by Postgres
// itself through the session's upstream connection (upstreamConstSql), so the value is the one Postgres would use.
import { parseNumeric, type PgNumeric } from '../results/index.js';
import { str, type Ex } from './ex.js';
import { notSupported } from './errors.js';
import type { PgT } from './pg-type.js';

/** A constant ready for DuckDB: its SQL and (numeric) display scale; `sql` is NULL for SQL NULL. */
export interface Const {
  sql: string;
  scale: number | null;
}

export const NULL_CONST: Const = { sql: 'NULL', scale: null };

const BOOL_WORDS: Record<string, boolean> = {
  t: true, tr: true, tru: true, true: true, y: true, ye: true, yes: true, on: true, '1': true,
  f: false, fa: false, fal: false, fals: false, false: false, n: false, no: false, of: false, off: false, '0': false,
};

const INT_TYPE = { int2: 'SMALLINT', int4: 'INTEGER', int8: 'BIGINT' } as const;
const INT_BITS = { int2: 15n, int4: 31n, int8: 63n } as const;

/** DuckDB literal of a numeric value with its display scale. */
export function numericConst(n: PgNumeric): Const {
  if (n.kind !== 'finite') return notSupported('numeric NaN and infinity constants');
  const digits = (n.unscaled < 0n ? -n.unscaled : n.unscaled).toString();
  const p = Math.max(digits.length, n.dscale, 1);
  if (p > 38) return notSupported('numeric constants with more than 38 digits');
  const s = n.dscale;
  const text = digitsText(n.unscaled, s);
  return { sql: `CAST(${str(text)} AS DECIMAL(${p},${s}))`, scale: s };
}

function digitsText(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let d = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    d = d.padStart(scale + 1, '0');
    d = d.slice(0, d.length - scale) + '.' + d.slice(d.length - scale);
  }
  return (neg ? '-' : '') + d;
}

const FLOAT_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE_ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_ISO = /^(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?$/;
const TS_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?$/;
const TSTZ_ISO = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}(?::?\d{2})?)$/;

function validDate(y: string, m: string, d: string): boolean {
  const yy = Number(y);
  const mm = Number(m);
  const dd = Number(d);
  if (yy < 1 || mm < 1 || mm > 12 || dd < 1) return false;
  const days = [31, yy % 4 === 0 && (yy % 100 !== 0 || yy % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return dd <= days[mm - 1]!;
}

function validTime(h?: string, mi?: string, s?: string): boolean {
  return (h === undefined || Number(h) < 24) && (mi === undefined || Number(mi) < 60) && (s === undefined || Number(s) < 60);
}

/**
 * The constant for `text` read as type t, when it can be read here without session settings; undefined when
 * Postgres must convert it (upstreamConstSql).
 */
export function localConst(tp: PgT, text: string): Const | undefined {
  if (tp.arr) return arrayConst(tp, text);
  const s = text.trim();
  switch (tp.n) {
    case 'bool': {
      const b = BOOL_WORDS[s.toLowerCase()];
      return b === undefined ? undefined : { sql: b ? 'TRUE' : 'FALSE', scale: null };
    }
    case 'int2':
    case 'int4':
    case 'int8': {
      if (!/^[+-]?\d+$/.test(s)) return undefined;
      const v = BigInt(s);
      const lim = 1n << INT_BITS[tp.n];
      if (v < -lim || v >= lim) return undefined; // Postgres reports the range error
      return { sql: `CAST(${v} AS ${INT_TYPE[tp.n]})`, scale: 0 };
    }
    case 'numeric': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
      return numericConst(parseNumeric(s));
    }
    case 'float4':
    case 'float8': {
      const ty = tp.n === 'float4' ? 'FLOAT' : 'DOUBLE';
      const low = s.toLowerCase();
      if (low === 'nan') return { sql: `CAST('nan' AS ${ty})`, scale: null };
      if (low === 'infinity' || low === '+infinity' || low === 'inf' || low === '+inf') return { sql: `CAST('inf' AS ${ty})`, scale: null };
      if (low === '-infinity' || low === '-inf') return { sql: `CAST('-inf' AS ${ty})`, scale: null };
      if (!FLOAT_TEXT.test(s)) return undefined;
      const v = Number(s);
      // out of range: Postgres raises an error; let it
      if (!Number.isFinite(v) || (tp.n === 'float4' && !Number.isFinite(Math.fround(v)))) return undefined;
      // DuckDB parses the decimal text with correct rounding, as strtod/strtof do
      return { sql: `CAST(${str(s)} AS ${ty})`, scale: null };
    }
    case 'text':
    case 'varchar':
    case 'name':
    case 'unknown':
    case 'json':
    case 'jsonb':
      // the value is the text; varchar(n)/name truncation happens in explicit casts only
      return { sql: str(text), scale: null };
    case 'bpchar':
      return { sql: str(text), scale: null };
    case 'uuid': {
      let h = s.toLowerCase();
      if (h.startsWith('{') && h.endsWith('}')) h = h.slice(1, -1);
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/.test(h)) return undefined;
      h = h.replace(/-/g, '');
      const canon = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      return { sql: `CAST(${str(canon)} AS UUID)`, scale: null };
    }
    case 'date': {
      const low = s.toLowerCase();
      if (low === 'infinity' || low === '+infinity') return { sql: `CAST('infinity' AS DATE)`, scale: null };
      if (low === '-infinity') return { sql: `CAST('-infinity' AS DATE)`, scale: null };
      const m = DATE_ISO.exec(s);
      if (!m || !validDate(m[1]!, m[2]!, m[3]!)) return undefined;
      return { sql: `CAST(${str(s)} AS DATE)`, scale: null };
    }
    case 'time': {
      // HH:MM[:SS[.ffffff]]; other spellings ('allballs', '4:05 PM') come back from Postgres in this form
      const m = TIME_ISO.exec(s);
      if (!m || !validTime(m[1], m[2], m[3])) return undefined;
      return { sql: `CAST(${str(`${m[1]}:${m[2]}:${m[3] ?? '00'}${m[4] ?? ''}`)} AS TIME)`, scale: null };
    }
    case 'timestamp': {
      const low = s.toLowerCase();
      if (low === 'infinity' || low === '+infinity') return { sql: `CAST('infinity' AS TIMESTAMP)`, scale: null };
      if (low === '-infinity') return { sql: `CAST('-infinity' AS TIMESTAMP)`, scale: null };
      const m = TS_ISO.exec(s);
      if (!m || !validDate(m[1]!, m[2]!, m[3]!) || !validTime(m[4], m[5], m[6])) return undefined;
      const time = m[4] === undefined ? '00:00:00' : `${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}`;
      return { sql: `CAST(${str(`${m[1]}-${m[2]}-${m[3]} ${time}`)} AS TIMESTAMP)`, scale: null };
    }
    case 'timestamptz': {
      const low = s.toLowerCase();
      if (low === 'infinity' || low === '+infinity') return { sql: `CAST('infinity' AS TIMESTAMPTZ)`, scale: null };
      if (low === '-infinity') return { sql: `CAST('-infinity' AS TIMESTAMPTZ)`, scale: null };
      // only an explicit offset is independent of the session's TimeZone
      const m = TSTZ_ISO.exec(s);
      if (!m || !validDate(m[1]!, m[2]!, m[3]!) || !validTime(m[4], m[5], m[6])) return undefined;
      let off = m[8]!;
      if (off === 'Z') off = '+00:00';
      else if (off.length === 3) off += ':00';
      else if (off.length === 5) off = off.slice(0, 3) + ':' + off.slice(3);
      const body = `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}`;
      return { sql: `CAST(${str(body + off)} AS TIMESTAMPTZ)`, scale: null };
    }
    case 'bytea': {
      if (/^\\x([0-9a-fA-F]{2})*$/.test(text)) return { sql: `unhex(${str(text.slice(2))})`, scale: null };
      return undefined;
    }
    case 'interval':
      return intervalConst(s);
    default:
      return undefined;
  }
}

const IV_UNITS: Record<string, [number, number, bigint]> = {
  // [months, days, micros] per unit
  microsecond: [0, 0, 1n], microseconds: [0, 0, 1n], us: [0, 0, 1n], usec: [0, 0, 1n], usecs: [0, 0, 1n],
  millisecond: [0, 0, 1000n], milliseconds: [0, 0, 1000n], ms: [0, 0, 1000n], msec: [0, 0, 1000n], msecs: [0, 0, 1000n],
  second: [0, 0, 1000000n], seconds: [0, 0, 1000000n], sec: [0, 0, 1000000n], secs: [0, 0, 1000000n], s: [0, 0, 1000000n],
  minute: [0, 0, 60000000n], minutes: [0, 0, 60000000n], min: [0, 0, 60000000n], mins: [0, 0, 60000000n], m: [0, 0, 60000000n],
  hour: [0, 0, 3600000000n], hours: [0, 0, 3600000000n], hr: [0, 0, 3600000000n], hrs: [0, 0, 3600000000n], h: [0, 0, 3600000000n],
  day: [0, 1, 0n], days: [0, 1, 0n], d: [0, 1, 0n],
  week: [0, 7, 0n], weeks: [0, 7, 0n], w: [0, 7, 0n],
  month: [1, 0, 0n], months: [1, 0, 0n], mon: [1, 0, 0n], mons: [1, 0, 0n],
  year: [12, 0, 0n], years: [12, 0, 0n], yr: [12, 0, 0n], yrs: [12, 0, 0n], y: [12, 0, 0n],
};

/** Plain interval text: `N unit …` with integer N, optionally ending in [-]HH:MM[:SS[.ffffff]]; else undefined. */
function intervalConst(s: string): Const | undefined {
  let months = 0;
  let days = 0;
  let micros = 0n;
  const toks = s.toLowerCase().split(/\s+/).filter(Boolean);
  if (toks.length === 0) return undefined;
  let i = 0;
  while (i < toks.length) {
    const tok = toks[i]!;
    const clock = /^([+-]?)(\d+):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(tok);
    if (clock) {
      if (i !== toks.length - 1) return undefined;
      const us =
        BigInt(clock[2]!) * 3600000000n + BigInt(clock[3]!) * 60000000n + BigInt(clock[4] ?? '0') * 1000000n + BigInt((clock[5] ?? '').padEnd(6, '0') || '0');
      if (Number(clock[3]) > 59 || Number(clock[4] ?? 0) > 59) return undefined;
      micros += clock[1] === '-' ? -us : us;
      i++;
      continue;
    }
    if (!/^[+-]?\d+$/.test(tok) || i + 1 >= toks.length) return undefined;
    const u = IV_UNITS[toks[i + 1]!];
    if (!u) return undefined;
    const n = Number(tok);
    if (!Number.isSafeInteger(n) || Math.abs(n) > 1e8) return undefined;
    months += n * u[0];
    days += n * u[1];
    micros += BigInt(n) * u[2];
    i += 2;
  }
  return { sql: intervalSql(months, days, micros), scale: null };
}

/** A one-dimensional array literal `{a,"b c",NULL}` whose elements read locally. */
function arrayConst(tp: PgT, text: string): Const | undefined {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) return undefined;
  const items: (string | null)[] = [];
  let i = 1;
  const end = s.length - 1;
  if (s.slice(1, end).trim() !== '') {
    for (;;) {
      while (i < end && /\s/.test(s[i]!)) i++;
      let v: string;
      let quoted = false;
      if (s[i] === '"') {
        quoted = true;
        v = '';
        i++;
        while (i < end && s[i] !== '"') {
          if (s[i] === '\\') i++;
          v += s[i++];
        }
        if (s[i] !== '"') return undefined;
        i++;
      } else {
        const st = i;
        while (i < end && s[i] !== ',') {
          if (s[i] === '{' || s[i] === '}' || s[i] === '"' || s[i] === '\\') return undefined;
          i++;
        }
        v = s.slice(st, i).trim();
      }
      items.push(!quoted && v.toUpperCase() === 'NULL' ? null : v);
      while (i < end && /\s/.test(s[i]!)) i++;
      if (i >= end) break;
      if (s[i] !== ',') return undefined;
      i++;
    }
  }
  const el: PgT = { n: tp.n, mod: tp.mod, arr: false };
  const parts: string[] = [];
  let scale: number | null = null;
  for (const it of items) {
    if (it === null) {
      parts.push('NULL');
      continue;
    }
    const c = localConst(el, it);
    if (!c) return undefined;
    if (tp.n === 'numeric') {
      if (scale !== null && c.scale !== scale) return undefined;
      scale = c.scale;
    }
    parts.push(c.sql);
  }
  if (parts.length === 0) return undefined;
  return { sql: `[${parts.join(', ')}]`, scale };
}

/**
 * SQL for Postgres that reads `$1` (text) as type t and returns one text value this module can read back
 * exactly (readUpstreamConst), independent of DateStyle, IntervalStyle and extra_float_digits.
 */
export function upstreamConstSql(tp: PgT, param: string): string {
  if (tp.arr) return notSupported('array constants');
  const v = `${param}::${pgTypeSql(tp)}`;
  switch (tp.n) {
    case 'date':
      return `(SELECT CASE WHEN isfinite(d) THEN (d - DATE '2000-01-01')::text ELSE d::text END FROM (SELECT ${v} AS d) s)`;
    case 'timestamp':
    case 'timestamptz':
      return `(SELECT CASE WHEN isfinite(d) THEN (extract(epoch FROM d) * 1000000)::int8::text ELSE d::text END FROM (SELECT ${v} AS d) s)`;
    case 'interval':
      return (
        `(SELECT concat_ws(',', (extract(year FROM d) * 12 + extract(month FROM d))::text, extract(day FROM d)::text, ` +
        `((extract(hour FROM d) * 3600 + extract(minute FROM d) * 60) * 1000000 + extract(microseconds FROM d))::int8::text) FROM (SELECT ${v} AS d) s)`
      );
    case 'float4':
      return `encode(float4send(${v}), 'hex')`;
    case 'float8':
      return `encode(float8send(${v}), 'hex')`;
    case 'bytea':
      return `encode(${v}, 'hex')`;
    case 'bool':
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
    case 'uuid':
      return `${v}::text`;
    case 'time':
      return `${v}::text`;
    default:
      return `${v}::text`;
  }
}

/** Reads back what upstreamConstSql returned. */
export function readUpstreamConst(tp: PgT, out: string | null): Const {
  if (out === null) return NULL_CONST;
  switch (tp.n) {
    case 'date':
      if (out === 'infinity' || out === '-infinity') return { sql: `CAST(${str(out)} AS DATE)`, scale: null };
      return { sql: `CAST(DATE '2000-01-01' + ${Number(out)} AS DATE)`, scale: null };
    case 'timestamp':
    case 'timestamptz': {
      const ty = tp.n === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
      if (out === 'infinity' || out === '-infinity') return { sql: `CAST(${str(out)} AS ${ty})`, scale: null };
      return { sql: `${tp.n === 'timestamp' ? 'make_timestamp' : 'make_timestamptz'}(CAST(${BigInt(out)} AS BIGINT))`, scale: null };
    }
    case 'interval': {
      const [m, d, us] = out.split(',');
      return { sql: intervalSql(Number(m), Number(d), BigInt(us!)), scale: null };
    }
    case 'float4':
    case 'float8': {
      const b = Buffer.from(out, 'hex');
      const x = tp.n === 'float4' ? b.readFloatBE(0) : b.readDoubleBE(0);
      return floatConst(x, tp.n);
    }
    case 'bytea':
      return { sql: `unhex(${str(out)})`, scale: null };
    default: {
      const c = localConst(tp, out);
      if (!c) return notSupported(`a ${tp.n} constant`);
      return c;
    }
  }
}

/** Exact DuckDB literal of a double (JS shortest round-trip text; DuckDB parses it correctly rounded). */
export function floatConst(x: number, n: 'float4' | 'float8'): Const {
  const ty = n === 'float4' ? 'FLOAT' : 'DOUBLE';
  if (Number.isNaN(x)) return { sql: `CAST('nan' AS ${ty})`, scale: null };
  if (x === Infinity) return { sql: `CAST('inf' AS ${ty})`, scale: null };
  if (x === -Infinity) return { sql: `CAST('-inf' AS ${ty})`, scale: null };
  // -0 keeps its sign through the text form
  const text = Object.is(x, -0) ? '-0.0' : String(x);
  return { sql: `CAST(${str(text)} AS ${ty})`, scale: null };
}

/** DuckDB interval with Postgres' three fields. */
export function intervalSql(months: number, days: number, micros: bigint): string {
  return `(to_months(CAST(${months} AS INTEGER)) + to_days(CAST(${days} AS INTEGER)) + to_microseconds(CAST(${micros} AS BIGINT)))`;
}

/** The type as Postgres SQL (for casts run upstream). */
export function pgTypeSql(tp: PgT): string {
  const base = tp.n === 'unknown' ? 'text' : tp.n;
  return base + (tp.arr ? '[]' : '');
}

/** The Ex for a constant of type t. */
export function constEx(c: Const, tp: PgT): Ex {
  return { sql: c.sql === 'NULL' ? 'NULL' : c.sql, t: tp, scale: tp.n === 'numeric' ? c.scale : null, agg: false, win: false };
}
