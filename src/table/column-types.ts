// How a source column is stored in a mirror: its Iceberg type, the DuckDB type of the tail column, and how a
// decoded CDC/COPY value (src/cdc/types/values.ts) is appended. The rule is "exact first": a PG type goes to
// an Iceberg type only when every value round-trips; otherwise it is kept as its PG text form.
//
//   bool→boolean  int2/int4→int  int8/oid→long  float4→float  float8→double  numeric(p≤38,s≥0)→decimal(p,s)
//   numeric (unconstrained or p>38)→string  text/varchar/bpchar/name/"char"/enum/json/jsonb→string
//   bytea→binary  date→date  time→time  timestamp→timestamp  timestamptz→timestamptz  uuid→uuid
//   timetz, interval, types without a binary send function → string (PG output format)   T[] → list<T>
import {
  LIST,
  type DuckDBAppender,
  type DuckDBListType,
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  DuckDBDecimalValue,
  DuckDBBlobValue,
  type DuckDBType,
  type DuckDBValue,
  BOOLEAN,
  INTEGER,
  BIGINT,
  FLOAT,
  DOUBLE,
  DECIMAL,
  VARCHAR,
  BLOB,
  DATE,
  TIME,
  TIMESTAMP,
  TIMESTAMPTZ,
  UUID,
} from '@duckdb/node-api';
import { PgOid, type TypeCatalog, type RelationColumn, type Value, type Interval, type TimeTz } from '../cdc/index.js';
import type { PrimitiveType, TypeSpec } from '../iceberg/index.js';
import { isDecimalSpecial, unrepresentableDecimal } from './unrepresentable.js';

export type ScalarKind =
  | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'decimal' | 'string' | 'binary'
  | 'date' | 'time' | 'timestamp' | 'timestamptz' | 'uuid'
  /** PG value kept as text: interval, timetz */
  | 'interval-text' | 'timetz-text';

export interface ColumnType {
  /** Iceberg type for the schema (lists get their element id assigned by buildSchema) */
  iceberg: TypeSpec;
  /** DuckDB column type of tail/staging tables, e.g. 'DECIMAL(12, 2)' or 'VARCHAR[]' */
  duckdb: string;
  /** element (or the scalar itself) */
  scalar: ScalarKind;
  isList: boolean;
  precision?: number;
  scale?: number;
}

export interface MirrorColumn extends ColumnType {
  name: string;
  typeOid: number;
  typmod: number;
}

/** numeric typmod ((p << 16) | s) + 4 → {p, s}; PG 15+ allows a negative or larger-than-p scale */
function numericTypmod(typmod: number): { precision: number; scale: number } | null {
  if (typmod < 4) return null;
  const t = typmod - 4;
  const precision = (t >> 16) & 0xffff;
  let scale = t & 0x7ff;
  if (scale & 0x400) scale -= 0x800;
  return { precision, scale };
}

function scalarType(layoutOid: number, typmod: number, textual: boolean): ColumnType {
  const s = (scalar: ScalarKind, iceberg: PrimitiveType, duckdb: string): ColumnType => ({ scalar, iceberg, duckdb, isList: false });
  if (textual) return s('string', 'string', 'VARCHAR');
  switch (layoutOid) {
    case PgOid.bool: return s('boolean', 'boolean', 'BOOLEAN');
    case PgOid.int2: case PgOid.int4: return s('int', 'int', 'INTEGER');
    case PgOid.int8: case PgOid.oid: return s('long', 'long', 'BIGINT');
    case PgOid.float4: return s('float', 'float', 'FLOAT');
    case PgOid.float8: return s('double', 'double', 'DOUBLE');
    case PgOid.numeric: {
      const n = numericTypmod(typmod);
      if (n && n.precision >= 1 && n.precision <= 38 && n.scale >= 0 && n.scale <= n.precision) {
        return {
          scalar: 'decimal',
          iceberg: `decimal(${n.precision}, ${n.scale})`,
          duckdb: `DECIMAL(${n.precision}, ${n.scale})`,
          isList: false,
          precision: n.precision,
          scale: n.scale,
        };
      }
      return s('string', 'string', 'VARCHAR');
    }
    case PgOid.bytea: return s('binary', 'binary', 'BLOB');
    case PgOid.date: return s('date', 'date', 'DATE');
    case PgOid.time: return s('time', 'time', 'TIME');
    case PgOid.timestamp: return s('timestamp', 'timestamp', 'TIMESTAMP');
    case PgOid.timestamptz: return s('timestamptz', 'timestamptz', 'TIMESTAMPTZ');
    case PgOid.uuid: return s('uuid', 'uuid', 'UUID');
    case PgOid.interval: return s('interval-text', 'string', 'VARCHAR');
    case PgOid.timetz: return s('timetz-text', 'string', 'VARCHAR');
    default: return s('string', 'string', 'VARCHAR'); // text, varchar, bpchar, name, char, json, jsonb
  }
}

/** The mirror type of a published column; throws UnsupportedTypeError (from the catalog) for unsupported types. */
export function columnType(catalog: TypeCatalog, col: Pick<RelationColumn, 'typeOid' | 'typmod'>): ColumnType {
  const support = catalog.support(col.typeOid);
  if (!support.supported) throw new Error(support.reason);
  const t = support.type;
  const typmod = col.typmod >= 0 ? col.typmod : t.domainTypmod;
  const el = scalarType(t.layoutOid, typmod, t.textOnly || t.isEnum);
  if (!t.isArray) return el;
  return { ...el, iceberg: { type: 'list', element: el.iceberg }, duckdb: `${el.duckdb}[]`, isList: true };
}

export function mirrorColumn(catalog: TypeCatalog, col: RelationColumn): MirrorColumn {
  return { name: col.name, typeOid: col.typeOid, typmod: col.typmod, ...columnType(catalog, col) };
}

// ---- PG text forms for types Iceberg lacks -------------------------------------------------------------------

function pad2(n: number | bigint): string {
  const s = String(n);
  return s.length < 2 ? '0' + s : s;
}

/** µs → HH:MM:SS[.ffffff] with trailing zeros trimmed, as PG prints times */
function clock(micros: bigint): string {
  const us = micros % 1_000_000n;
  const secs = micros / 1_000_000n;
  let out = `${pad2(secs / 3600n)}:${pad2((secs / 60n) % 60n)}:${pad2(secs % 60n)}`;
  if (us !== 0n) out += '.' + us.toString().padStart(6, '0').replace(/0+$/, '');
  return out;
}

/** interval in IntervalStyle 'postgres' (EncodeInterval, INTSTYLE_POSTGRES) */
export function intervalText(v: Interval): string {
  const parts: string[] = [];
  let before = false;
  let zero = true;
  const unit = (n: number, name: string) => {
    if (n === 0) return;
    parts.push(`${before && n > 0 ? '+' : ''}${n} ${name}${n === 1 ? '' : 's'}`);
    before ||= n < 0;
    zero = false;
  };
  const years = Math.trunc(v.months / 12);
  unit(years, 'year');
  unit(v.months - years * 12, 'mon');
  unit(v.days, 'day');
  if (zero || v.micros !== 0n) {
    const neg = v.micros < 0n;
    parts.push(`${neg ? '-' : before ? '+' : ''}${clock(neg ? -v.micros : v.micros)}`);
  }
  return parts.join(' ');
}

/** timetz as timetz_out prints it: 04:05:06.5+05:30 */
export function timetzText(v: TimeTz): string {
  const off = v.utcOffsetSeconds;
  const a = Math.abs(off);
  let zone = `${off < 0 ? '-' : '+'}${pad2(Math.floor(a / 3600))}`;
  if (a % 3600 !== 0) zone += `:${pad2(Math.floor(a / 60) % 60)}`;
  if (a % 60 !== 0) zone += `:${pad2(a % 60)}`;
  return clock(v.micros) + zone;
}

// ---- values → DuckDB ---------------------------------------------------------------------------------------

/** decimal text → scaled bigint at `scale` (the source typmod guarantees it fits); null for NaN/±Infinity */
function scaledDecimal(text: string, scale: number): bigint | null {
  if (text === 'NaN' || text === 'Infinity' || text === '-Infinity') return null;
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  const dot = body.indexOf('.');
  const int = dot < 0 ? body : body.slice(0, dot);
  let frac = dot < 0 ? '' : body.slice(dot + 1);
  frac = frac.length > scale ? frac.slice(0, scale) : frac.padEnd(scale, '0');
  const v = BigInt((int || '0') + frac);
  return neg ? -v : v;
}

function timestampMicros(v: Value): bigint | 'inf' | '-inf' {
  if (typeof v === 'bigint') return v;
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  throw new Error(`not a timestamp value: ${String(v)}`);
}

/** one scalar as a DuckDBValue (list elements, parameters) */
export function scalarToDuck(t: ColumnType, v: Value): DuckDBValue {
  if (v === null) return null;
  switch (t.scalar) {
    case 'boolean': return v as boolean;
    case 'int': case 'float': case 'double': return v as number;
    case 'long': return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'decimal': {
      const scaled = scaledDecimal(v as string, t.scale!);
      return scaled === null ? null : new DuckDBDecimalValue(scaled, t.precision!, t.scale!);
    }
    case 'string': case 'uuid': return v as string;
    case 'binary': return new DuckDBBlobValue(v as Buffer);
    case 'date': {
      if (v === Infinity) return DuckDBDateValue.PosInf;
      if (v === -Infinity) return DuckDBDateValue.NegInf;
      return new DuckDBDateValue(v as number);
    }
    case 'time': return new DuckDBTimeValue(v as bigint);
    case 'timestamp': {
      const m = timestampMicros(v);
      return m === 'inf' ? DuckDBTimestampValue.PosInf : m === '-inf' ? DuckDBTimestampValue.NegInf : new DuckDBTimestampValue(m);
    }
    case 'timestamptz': {
      const m = timestampMicros(v);
      return m === 'inf' ? DuckDBTimestampTZValue.PosInf : m === '-inf' ? DuckDBTimestampTZValue.NegInf : new DuckDBTimestampTZValue(m);
    }
    case 'interval-text': return intervalText(v as Interval);
    case 'timetz-text': return timetzText(v as TimeTz);
  }
}

const SCALAR_DUCK_TYPES: Record<Exclude<ScalarKind, 'decimal'>, DuckDBType> = {
  boolean: BOOLEAN, int: INTEGER, long: BIGINT, float: FLOAT, double: DOUBLE, string: VARCHAR, binary: BLOB,
  date: DATE, time: TIME, timestamp: TIMESTAMP, timestamptz: TIMESTAMPTZ, uuid: UUID,
  'interval-text': VARCHAR, 'timetz-text': VARCHAR,
};

function duckScalarType(t: ColumnType): DuckDBType {
  return t.scalar === 'decimal' ? DECIMAL(t.precision!, t.scale!) : SCALAR_DUCK_TYPES[t.scalar];
}

export type AppendFn = (app: DuckDBAppender, v: Value) => void;

/** A per-column append function (typed appender calls; no per-value type dispatch beyond the null check). */
export function appendFn(t: ColumnType): AppendFn {
  if (t.isList) {
    const listType: DuckDBListType = LIST(duckScalarType(t));
    return (app, v) => {
      if (v === null) app.appendNull();
      else app.appendList((v as Value[]).map((x) => scalarToDuck(t, x)), listType);
    };
  }
  const nullable = (f: AppendFn): AppendFn => (app, v) => (v === null ? app.appendNull() : f(app, v));
  switch (t.scalar) {
    case 'boolean': return nullable((app, v) => app.appendBoolean(v as boolean));
    case 'int': return nullable((app, v) => app.appendInteger(v as number));
    case 'long': return nullable((app, v) => app.appendBigInt(typeof v === 'bigint' ? v : BigInt(v as number)));
    case 'float': return nullable((app, v) => app.appendFloat(v as number));
    case 'double': return nullable((app, v) => app.appendDouble(v as number));
    case 'decimal': return nullable((app, v) => {
      // NaN has no decimal: the mirror fails rather than store something else
      if (isDecimalSpecial(v)) throw unrepresentableDecimal((t as Partial<MirrorColumn>).name, v as string, t);
      app.appendVarchar(v as string);
    });
    case 'string': case 'uuid': return nullable((app, v) => app.appendVarchar(v as string));
    case 'binary': return nullable((app, v) => app.appendBlob(v as Buffer));
    case 'interval-text': return nullable((app, v) => app.appendVarchar(intervalText(v as Interval)));
    case 'timetz-text': return nullable((app, v) => app.appendVarchar(timetzText(v as TimeTz)));
    case 'date': return nullable((app, v) => app.appendDate(scalarToDuck(t, v) as DuckDBDateValue));
    case 'time': return nullable((app, v) => app.appendTime(new DuckDBTimeValue(v as bigint)));
    case 'timestamp': return nullable((app, v) => app.appendTimestamp(scalarToDuck(t, v) as DuckDBTimestampValue));
    // appendTimestampTZ takes a slow generic path (~1.8 µs/value); the same micros appended as TIMESTAMP land
    // unchanged in the TIMESTAMPTZ column because the instance's TimeZone is UTC (engine/duckdb.ts)
    case 'timestamptz': return nullable((app, v) => app.appendTimestamp(new DuckDBTimestampValue((scalarToDuck(t, v) as DuckDBTimestampTZValue).micros)));
  }
}
