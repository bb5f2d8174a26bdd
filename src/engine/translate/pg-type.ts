// The Postgres types the translator reasons about, how SQL spells them (TypeName nodes), and what DuckDB
// type holds each one while a query runs. Only types whose DuckDB representation keeps every PG value
// (and whose operators we map one by one) appear here; anything else is rejected before DuckDB sees it.
import { numericTypmod, PG } from '../results/index.js';
import { typeNameOfOid } from '../results/oids.js';
import { notSupported } from './errors.js';

export type Base =
  | 'bool'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'numeric'
  | 'float4'
  | 'float8'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'name'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'interval'
  | 'uuid'
  | 'json'
  | 'jsonb'
  | 'bytea'
  /** a string literal whose type the context decides (PG's unknown) */
  | 'unknown';

export interface PgT {
  n: Base;
  /** typmod as Postgres reports it (-1 = none) */
  mod: number;
  /** one-dimensional array of n */
  arr: boolean;
}

export const t = (n: Base, mod = -1, arr = false): PgT => ({ n, mod, arr });
export const BOOL = t('bool');
export const INT2 = t('int2');
export const INT4 = t('int4');
export const INT8 = t('int8');
export const NUMERIC = t('numeric');
export const FLOAT4 = t('float4');
export const FLOAT8 = t('float8');
export const TEXT = t('text');
export const DATE = t('date');
export const TIMESTAMP = t('timestamp');
export const TIMESTAMPTZ = t('timestamptz');
export const INTERVAL = t('interval');
export const UNKNOWN = t('unknown');

export const isInt = (x: PgT) => !x.arr && (x.n === 'int2' || x.n === 'int4' || x.n === 'int8');
export const isFloat = (x: PgT) => !x.arr && (x.n === 'float4' || x.n === 'float8');
export const isNumber = (x: PgT) => isInt(x) || isFloat(x) || (!x.arr && x.n === 'numeric');
export const isString = (x: PgT) => !x.arr && (x.n === 'text' || x.n === 'varchar' || x.n === 'bpchar' || x.n === 'name');
export const isDateTime = (x: PgT) => !x.arr && (x.n === 'date' || x.n === 'timestamp' || x.n === 'timestamptz');
export const same = (a: PgT, b: PgT) => a.n === b.n && a.arr === b.arr;

/** PG's type category letters (pg_type.typcategory), for the "same category" resolution rules. */
export function category(x: PgT): string {
  if (x.arr) return 'A';
  switch (x.n) {
    case 'bool':
      return 'B';
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
    case 'float4':
    case 'float8':
      return 'N';
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
      return 'S';
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return 'D';
    case 'interval':
      return 'T';
    case 'unknown':
      return 'X';
    default:
      return 'U';
  }
}

const NUMERIC_RANK: Partial<Record<Base, number>> = { int2: 1, int4: 2, int8: 3, numeric: 4, float4: 5, float8: 6 };

/** The wider of two numeric types, following PG's implicit casts (int2 → int4 → int8 → numeric → float4 → float8). */
export function widerNumber(a: PgT, b: PgT): PgT {
  return (NUMERIC_RANK[a.n] ?? 0) >= (NUMERIC_RANK[b.n] ?? 0) ? t(a.n) : t(b.n);
}

/** RowDescription type OID. */
export function oidOf(x: PgT): number {
  if (x.n === 'unknown') return x.arr ? PG.text.arrayOid : PG.text.oid;
  const info = PG[x.n];
  return x.arr ? info.arrayOid : info.oid;
}

/** The PgT for a RowDescription / ParameterDescription OID, or null when the engine has no model for it. */
export function fromOid(oid: number, typmod = -1): PgT | null {
  const r = typeNameOfOid(oid);
  if (!r) return null;
  const n = r.name as string;
  const known: Base[] = [
    'bool', 'int2', 'int4', 'int8', 'numeric', 'float4', 'float8', 'text', 'varchar', 'bpchar', 'name', 'date',
    'time', 'timestamp', 'timestamptz', 'interval', 'uuid', 'json', 'jsonb', 'bytea', 'unknown',
  ];
  if (!known.includes(n as Base)) return null;
  return t(n as Base, typmod, r.array);
}

/** Static display scale of a numeric with this typmod, or null (unconstrained: scale follows each value). */
export function numericScale(x: PgT): number | null {
  const m = numericTypmod(x.mod);
  return m ? m.scale : null;
}

/** DuckDB type that holds a value of x while the query runs (mirror columns are cast to it on read). */
export function duckType(x: PgT, scale?: number | null): string {
  const el = duckScalar(x, scale);
  return x.arr ? `${el}[]` : el;
}

function duckScalar(x: PgT, scale?: number | null): string {
  switch (x.n) {
    case 'bool':
      return 'BOOLEAN';
    case 'int2':
      return 'SMALLINT';
    case 'int4':
      return 'INTEGER';
    case 'int8':
      return 'BIGINT';
    case 'numeric': {
      const m = numericTypmod(x.mod);
      if (m && m.precision <= 38 && m.scale >= 0 && m.scale <= m.precision) return `DECIMAL(${m.precision},${m.scale})`;
      if (scale !== undefined && scale !== null) return `DECIMAL(38,${scale})`;
      return notSupported('numeric values without a declared precision and scale');
    }
    case 'float4':
      return 'FLOAT';
    case 'float8':
      return 'DOUBLE';
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'unknown':
    case 'json':
    case 'jsonb':
      return 'VARCHAR';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'interval':
      return 'INTERVAL';
    case 'uuid':
      return 'UUID';
    case 'bytea':
      return 'BLOB';
  }
}

/** SQL spelling for messages, as format_type prints it. */
export function typeName(x: PgT): string {
  const names: Record<Base, string> = {
    bool: 'boolean',
    int2: 'smallint',
    int4: 'integer',
    int8: 'bigint',
    numeric: 'numeric',
    float4: 'real',
    float8: 'double precision',
    text: 'text',
    varchar: 'character varying',
    bpchar: 'character',
    name: 'name',
    date: 'date',
    time: 'time without time zone',
    timestamp: 'timestamp without time zone',
    timestamptz: 'timestamp with time zone',
    interval: 'interval',
    uuid: 'uuid',
    json: 'json',
    jsonb: 'jsonb',
    bytea: 'bytea',
    unknown: 'unknown',
  };
  return names[x.n] + (x.arr ? '[]' : '');
}

type Obj = Record<string, unknown>;

const TYPE_WORDS: Record<string, Base> = {
  bool: 'bool',
  boolean: 'bool',
  int2: 'int2',
  smallint: 'int2',
  int4: 'int4',
  int: 'int4',
  integer: 'int4',
  int8: 'int8',
  bigint: 'int8',
  numeric: 'numeric',
  decimal: 'numeric',
  float4: 'float4',
  real: 'float4',
  float8: 'float8',
  text: 'text',
  varchar: 'varchar',
  bpchar: 'bpchar',
  name: 'name',
  date: 'date',
  time: 'time',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
  interval: 'interval',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'jsonb',
  bytea: 'bytea',
};

/** A TypeName node (as in `x::numeric(10,2)`, `CAST(x AS text[])`) → PgT with PG's typmod. */
export function fromTypeName(tn: Obj): PgT {
  const names = ((tn.names as Obj[] | undefined) ?? []).map((n) => (n.String as Obj).sval as string);
  if (tn.setof || tn.pct_type) notSupported('this type reference');
  const arrayBounds = (tn.arrayBounds as unknown[] | undefined) ?? [];
  if (arrayBounds.length > 1) notSupported('multi-dimensional array types');
  const schema = names.length > 1 ? names[names.length - 2] : null;
  const word = names[names.length - 1]!;
  if (schema !== null && schema !== 'pg_catalog') notSupported(`type ${names.join('.')}`);
  let base = TYPE_WORDS[word];
  // `float(p)`: 1-24 → real, 25-53 → double precision
  if (word === 'float8' || word === 'float4') base = word;
  if (!base) notSupported(`type ${word}`);
  const mods = ((tn.typmods as Obj[] | undefined) ?? []).map((m) => {
    const c = m.A_Const as Obj | undefined;
    const iv = (c?.ival as Obj | undefined)?.ival;
    if (c && (c.ival !== undefined)) return typeof iv === 'number' ? iv : 0;
    return notSupported('a type modifier that is not an integer constant');
  });
  let mod = -1;
  switch (base) {
    case 'numeric':
      if (mods.length > 0) mod = ((mods[0]! << 16) | ((mods[1] ?? 0) & 0x7ff)) + 4;
      break;
    case 'varchar':
    case 'bpchar':
      // the grammar gives bare `char` / `character` an explicit (1)
      if (mods.length > 0) mod = mods[0]! + 4;
      break;
    case 'timestamp':
    case 'timestamptz':
      // fractional digits to round to (cast.ts applyTypmod); Postgres reduces more than 6 to 6
      if (mods.length > 0) {
        if (mods[0]! < 0) notSupported(`${word}(${mods[0]}) casts`);
        mod = Math.min(mods[0]!, 6);
      }
      break;
    case 'time':
      // PG rounds to the given fractional digits; DuckDB's types have none
      if (mods.length > 0) notSupported(`${word}(${mods[0]}) casts`);
      break;
    case 'interval':
      if (mods.length > 0) notSupported('interval type modifiers');
      break;
    default:
      if (mods.length > 0) notSupported(`type modifiers on ${word}`);
  }
  return t(base, mod, arrayBounds.length === 1);
}
