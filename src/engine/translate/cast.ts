// Type conversions with Postgres' results: explicit casts (`x::t`, CAST), the implicit ones operator and function
// resolution adds, and unknown-typed literals taking the type the context gives them. Each supported pair emits
// DuckDB SQL that yields the value Postgres' conversion function yields; other pairs are refused.
import { ex, flags, str, type Ex } from './ex.js';
import { notSupported } from './errors.js';
import { localConst, type Const, constEx } from './literal.js';
import { duckType, isFloat, isInt, isString, numericScale, t as mk, typeName, type PgT } from './pg-type.js';
import type { TranslateEnv } from './context.js';

export interface CastEnv {
  env: TranslateEnv;
}

/** The constant for literal text read as type `to` (Postgres converts what we cannot read ourselves). */
export function literalConst(env: TranslateEnv, to: PgT, text: string): Const {
  if (to.n === 'unknown') return { sql: str(text), scale: null };
  const local = localConst(to, text);
  if (local) return local;
  const known = env.constant(to, text);
  if (known) return known;
  env.needConstant(to, text);
  // placeholder of the right DuckDB type; the translation is redone once Postgres converted the text
  return { sql: `CAST(NULL AS ${duckType(to, to.n === 'numeric' ? 0 : undefined)})`, scale: to.n === 'numeric' ? 0 : null };
}

/** A NULL constant as translated (a literal NULL, or a NULL parameter once bound). */
export function isNullConstant(e: Ex): boolean {
  return /^CAST\(NULL AS [A-Z]+(\(\d+,\d+\))?\)$/.test(e.sql);
}

/**
 * The value of a bigint constant as coerce() writes it (a literal, or a parameter once bound): null for NULL,
 * undefined when the expression is not a constant.
 */
export function int8Constant(e: Ex): bigint | null | undefined {
  if (isNullConstant(e)) return null;
  const m = /^CAST\(CAST\((-?\d+) AS [A-Z]+\) AS BIGINT\)$|^CAST\((-?\d+) AS BIGINT\)$/.exec(e.sql);
  return m ? BigInt(m[1] ?? m[2]!) : undefined;
}

/** A typed NULL. */
export function nullOf(to: PgT): Ex {
  if (to.n === 'unknown') return ex('NULL', to, { lit: { kind: 'null', text: '' } });
  const scale = to.n === 'numeric' ? numericScale(to) : null;
  if (to.n === 'numeric' && scale === null) return ex('CAST(NULL AS VARCHAR)', to, { scale: null });
  return ex(`CAST(NULL AS ${duckType(to)})`, to, { scale });
}

function zoneOf(env: TranslateEnv, what: string): string {
  const z = env.session.timeZone;
  if (!z) return notSupported(`${what} in the session's TimeZone`);
  return str(z);
}

/** the statement's transaction timestamp, as Postgres read it for the bind (now() before that) */
export function nowSql(env: TranslateEnv): string {
  const now = env.session.now;
  return now === null ? 'now()' : `make_timestamptz(CAST(${now} AS BIGINT))`;
}

/** local timestamp of a timestamptz in the session zone (timestamptz::timestamp) */
export function tzLocal(env: TranslateEnv, sql: string): string {
  return `lg_timezone(${zoneOf(env, 'time zone conversion')}, ${sql})`;
}

/** timestamptz of a local timestamp in the session zone (timestamp::timestamptz) */
export function tzFromLocal(env: TranslateEnv, sql: string): string {
  return `lg_timezone(${zoneOf(env, 'time zone conversion')}, ${sql})`;
}

/** Numeric value as text Postgres' numeric_out would print (for values shown with per-value scale). */
export function numericAsText(e: Ex): string {
  if (e.t.n !== 'numeric') throw new Error('numericAsText of ' + e.t.n);
  if (e.scale === null) return e.sql; // already text
  return `CAST(${e.sql} AS VARCHAR)`;
}

/**
 * Converts e to type `to`. `explicit`: a cast written in SQL (allows the conversions Postgres allows only
 * explicitly, and applies length/precision modifiers).
 */
export function coerce(env: TranslateEnv, e: Ex, to: PgT, explicit: boolean): Ex {
  const f = flags(e);
  if (e.v) return notSupported('avg() or numeric division results used inside another expression');
  if (e.lit && (e.lit.kind === 'string' || e.lit.kind === 'null') && e.t.n === 'unknown') {
    if (e.lit.kind === 'null') return nullOf(to);
    const base = { ...to, mod: -1 };
    let out = constEx(literalConst(env, base, e.lit.text), base);
    // an explicit cast to char(n)/varchar(n)/numeric(p,s) applies the modifier; implicit coercion never does
    if (to.mod >= 0 && explicit) out = applyTypmod(out, to, true);
    return { ...out, ...f };
  }
  const from = e.t;
  if (from.arr || to.arr) {
    if (from.arr && to.arr && from.n === to.n) return e;
    if (from.arr && to.arr && isString(from) && isString(to)) return e;
    return notSupported(`casting ${typeName(from)} to ${typeName(to)}`);
  }
  if (from.n === to.n) return explicit && to.mod >= 0 && to.mod !== from.mod ? applyTypmod(e, to, explicit) : e;
  const out = convert(env, e, to, explicit);
  // timestamp(p) of another type: converted, then rounded
  if (explicit && to.mod >= 0 && (to.n === 'timestamp' || to.n === 'timestamptz')) return { ...applyTypmod({ ...out, t: { ...to, mod: -1 } }, to, true), ...f };
  return { ...out, ...f };
}

/**
 * numeric text or DECIMAL `sql` as numeric(p,s): DuckDB's cast where it succeeds; where it cannot (out of range,
 * NaN, ±Infinity) apply_typmod's own error (22003 with Postgres' detail), and NaN, which a DECIMAL cannot hold, refused
 */
export function numericTypmodSql(sql: string, to: PgT): string {
  const ty = duckType(to);
  const precision = ((to.mod - 4) >> 16) & 0xffff;
  const text = `CAST(${sql} AS VARCHAR)`;
  return `coalesce(TRY_CAST(${sql} AS ${ty}), CAST(lg_typmod_slow(${text}, ${precision}, ${numericScale(to)}) AS ${ty}))`;
}

function applyTypmod(e: Ex, to: PgT, explicit: boolean): Ex {
  switch (to.n) {
    case 'numeric': {
      const s = numericScale(to)!;
      return ex(numericTypmodSql(e.sql, to), to, { scale: s, ...flags(e) });
    }
    case 'timestamp':
    case 'timestamptz': {
      // AdjustTimestampForTypmod: microseconds since 2000-01-01 rounded half away from zero to 10^(6-p)
      if (to.mod >= 6) return { ...e, t: to };
      return ex(`lg_ts_round(${e.sql}, ${10 ** (6 - to.mod)})`, to, flags(e));
    }
    case 'varchar':
      // explicit casts truncate to n characters; implicit ones would raise an error, which needs the value
      if (!explicit) return notSupported('assigning to a varchar(n) value');
      return ex(`left(${e.sql}, ${to.mod - 4})`, to, flags(e));
    case 'bpchar': {
      if (!explicit) return notSupported('assigning to a char(n) value');
      const n = to.mod - 4;
      return ex(`rpad(left(${e.sql}, ${n}), ${n}, ' ')`, to, flags(e));
    }
    default:
      return { ...e, t: to };
  }
}

function convert(env: TranslateEnv, e: Ex, to: PgT, explicit: boolean): Ex {
  const from = e.t;
  const f = flags(e);
  const cast = (ty: string, o: { scale?: number | null } = {}) => ex(`CAST(${e.sql} AS ${ty})`, to, { ...f, ...o });
  // --- numbers
  if (isInt(from)) {
    // int2 → int4 of a mirror column: its stored INTEGER as it is (filters on it reach the Parquet scan)
    if (to.n === 'int4' && e.wide && e.wide.of === e.sql) return ex(e.wide.sql, to, { ...f, scale: 0 });
    if (isInt(to) || isFloat(to)) return cast(duckType(to));
    if (to.n === 'numeric') {
      const s = explicit ? numericScale(to) : null;
      return s === null ? cast('DECIMAL(38,0)', { scale: 0 }) : ex(numericTypmodSql(e.sql, to), to, { ...f, scale: s });
    }
    if (to.n === 'bool' && explicit && from.n === 'int4') return cast('BOOLEAN');
  }
  if (from.n === 'numeric') {
    if (e.scale === null) {
      // numeric text: numeric_int* rounds half away from zero, numeric_float8 reads the text
      if (isInt(to)) return ex(`CAST(lg_num(${e.sql}) AS ${duckType(to)})`, to, { ...f, scale: 0 });
      // float4in/float8in of the text: out of range (DuckDB reads it as ±Infinity or 0) is an error
      if (isFloat(to)) return ex(`lg_num_${to.n === 'float4' ? 'f4' : 'f8'}(${e.sql})`, to, f);
    }
    if (isInt(to)) return cast(duckType(to)); // rounds half away from zero, as numeric_int4 does
    // numeric_float8 reads numeric_out's text: correctly rounded
    if (isFloat(to)) return ex(`CAST(CAST(${e.sql} AS VARCHAR) AS ${duckType(to)})`, to, f);
  }
  if (isFloat(from)) {
    // dtof: overflow and underflow (a nonzero value that becomes 0) are errors
    if (from.n === 'float8' && to.n === 'float4') return ex(`lg_f8_f4(${e.sql})`, to, f);
    if (isFloat(to)) return cast(duckType(to));
    if (isInt(to)) return cast(duckType(to)); // rint: half to even, as DuckDB's cast
    if (to.n === 'numeric') {
      // float8_numeric / float4_numeric print %.15g / %.6g first, then read the text as numeric (NaN and ±Infinity
      // become numeric's own)
      const g =
        `(CASE WHEN isnan(${e.sql}) THEN 'NaN' WHEN isinf(${e.sql}) THEN (CASE WHEN ${e.sql} > 0 THEN 'Infinity' ELSE '-Infinity' END) ` +
        `ELSE printf('%.${from.n === 'float4' ? 6 : 15}g', ${e.sql}) END)`;
      const s = numericScale(to);
      if (s === null) return ex(g, to, { ...f, scale: null });
      return ex(numericTypmodSql(g, to), to, { ...f, scale: s });
    }
  }
  if (from.n === 'bool' && to.n === 'int4' && explicit) return cast('INTEGER');
  // --- text
  if (isString(to)) {
    let src = e;
    if (from.n === 'bpchar') src = ex(`rtrim(${e.sql})`, mk('text'), f);
    const asText = textOf(env, src);
    const r = ex(asText, to, f);
    return to.mod >= 0 && explicit ? applyTypmod(r, to, explicit) : r;
  }
  if (isString(from)) {
    const src = from.n === 'bpchar' ? `rtrim(${e.sql})` : e.sql;
    const r = textInput(src, to);
    if (r) return ex(r.sql, to, { ...f, scale: r.scale });
    return notSupported(`casting text to ${typeName(to)}`);
  }
  // --- date and time
  if (from.n === 'date') {
    if (to.n === 'timestamp') return ex(`lg_date_ts(${e.sql})`, to, f);
    if (to.n === 'timestamptz') return ex(tzFromLocal(env, `lg_date_ts(${e.sql})`), to, f);
  }
  if (from.n === 'timestamp') {
    if (to.n === 'date') return cast('DATE');
    if (to.n === 'timestamptz') return ex(tzFromLocal(env, e.sql), to, f);
  }
  if (from.n === 'timestamptz') {
    if (to.n === 'timestamp') return ex(tzLocal(env, e.sql), to, f);
    if (to.n === 'date') return ex(`CAST(${tzLocal(env, e.sql)} AS DATE)`, to, f);
  }
  // the time of day (local to the session zone for timestamptz); infinite values have none: NULL, as in Postgres
  if ((from.n === 'timestamp' || from.n === 'timestamptz') && to.n === 'time' && to.mod < 0) {
    const local = from.n === 'timestamptz' ? tzLocal(env, e.sql) : e.sql;
    return ex(`(CASE WHEN isfinite(${e.sql}) THEN CAST(${local} AS TIME) END)`, to, f);
  }
  if ((from.n === 'json' && to.n === 'jsonb') || (from.n === 'jsonb' && to.n === 'json')) {
    // same text in DuckDB; jsonb's normal form is produced when the value is sent
    if (from.n === 'json') return { ...e, t: to };
    return { ...e, t: to };
  }
  return notSupported(`casting ${typeName(from)} to ${typeName(to)}`);
}

/**
 * Reading text as another type at run time (`(j ->> 'n')::numeric`): plain spellings convert in DuckDB; input
 * Postgres rejects raises its error; spellings Postgres reads but DuckDB might read differently are refused.
 */
function textInput(s: string, to: PgT): { sql: string; scale: number | null } | null {
  switch (to.n) {
    case 'int2':
    case 'int4':
    case 'int8':
      return { sql: `lg_text_${to.n}(${s})`, scale: 0 };
    case 'numeric': {
      const sc = numericScale(to);
      if (sc === null) return { sql: `lg_text_numeric(${s})`, scale: null };
      return { sql: numericTypmodSql(`lg_text_numeric_fixed(${s})`, to), scale: sc };
    }
    case 'float4':
    case 'float8':
      return { sql: `CAST(lg_text_float(${s}, '${to.n === 'float4' ? 'real' : 'double precision'}') AS ${duckType(to)})`, scale: null };
    case 'bool':
      return { sql: `lg_text_bool(${s})`, scale: null };
    case 'date':
      return { sql: `CAST(lg_text_iso(${s}, 'date', '\\d{4}-\\d{2}-\\d{2}') AS DATE)`, scale: null };
    case 'timestamp':
      return { sql: `CAST(lg_text_iso(${s}, 'timestamp', '\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?)?') AS TIMESTAMP)`, scale: null };
    case 'json':
    case 'jsonb':
      return { sql: `lg_text_json(${s})`, scale: null };
    default:
      return null;
  }
}

/**
 * The text Postgres' output function prints for e (casts to text, `||`, concat()), for the types where DuckDB's
 * own text form is identical.
 */
export function textOf(env: TranslateEnv, e: Ex, how: 'cast' | 'output' = 'cast'): string {
  const n = e.t.n;
  // bool::text is 'true'/'false'; boolout (concat, format) prints 't'/'f'
  if (n === 'bool' && !e.t.arr && how === 'output') return `(CASE WHEN ${e.sql} IS NULL THEN NULL WHEN ${e.sql} THEN 't' ELSE 'f' END)`;
  if (e.t.arr) return notSupported(`converting ${typeName(e.t)} to text`);
  switch (n) {
    case 'text':
    case 'varchar':
    case 'name':
    case 'unknown':
    case 'json':
    case 'jsonb':
      return e.sql;
    case 'bpchar':
      // the cast to text drops the padding; bpcharout (concat, format) prints it
      return how === 'output' ? e.sql : `rtrim(${e.sql})`;
    case 'int2':
    case 'int4':
    case 'int8':
    case 'bool':
    case 'uuid':
      return `CAST(${e.sql} AS VARCHAR)`;
    case 'numeric':
      return numericAsText(e);
    case 'date':
    case 'timestamp':
      if (!/^ISO/i.test(env.session.dateStyle)) return notSupported(`converting ${typeName(e.t)} to text under DateStyle ${env.session.dateStyle}`);
      // DuckDB marks years before 1 AD as `(BC)`, Postgres as ` BC`
      return `regexp_replace(CAST(${e.sql} AS VARCHAR), ' \\(BC\\)(.*)$', '\\1 BC')`;
    default:
      return notSupported(`converting ${typeName(e.t)} to text`);
  }
}

