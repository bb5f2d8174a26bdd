// Result encoding for mirror queries: maps a DuckDB result column (its DuckDBType, plus the Postgres type the
// translator knows the column really has) to what RowDescription needs (OID, typlen, typmod) and to text/binary
// encoders that produce the exact bytes Postgres would send for the same value. See README.md in this folder.
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { arrayCodec } from './array.js';
import { bitCodecFixed, varbitCodec } from './bit.js';
import { boolCodec } from './bool.js';
import { byteaCodec } from './bytea.js';
import type { TypeCodec } from './codec.js';
import { dateCodec } from './date.js';
import { binaryDoubleCodec, binaryFloatCodec, float4Codec, float8Codec, formatG } from './float.js';
import { int2Codec, int4Codec, int8Codec, oidCodec } from './int.js';
import { intervalCodec } from './interval.js';
import { jsonbCodec, jsonCodec } from './json.js';
import { numberCodec, numericCodec, numericFromDouble, parseNumeric } from './numeric.js';
import { parsePgType, PG, typeNameOfOid, type PgTypeName, type PgTypeRef } from './oids.js';
import {
  dsIntervalCodec,
  oradateCodec,
  oratimestampCodec,
  oratimestampltzCodec,
  oratimestamptzCodec,
  ymIntervalCodec,
} from './oracle.js';
import type { OutputSettings } from './settings.js';
import { compositeCodec, compositeJson } from './struct.js';
import {
  bpcharCodec,
  charCodec,
  nameCodec,
  oraCharByteCodec,
  oraCharCharCodec,
  oraVarcharByteCodec,
  oraVarcharCharCodec,
  textCodec,
  varcharCodec,
} from './text.js';
import { timeCodec, timetzCodec } from './time.js';
import { timestampCodec } from './timestamp.js';
import { timestamptzCodec } from './timestamptz.js';
import { uuidCodec } from './uuid.js';

export * from './settings.js';
export { resolveTimeZone, setTimeZoneDirectories, type PgTimeZone, type ZoneInfo } from './timezone.js';
export { PG, parsePgType, numericTypmod, type PgTypeInfo, type PgTypeName, type PgTypeRef } from './oids.js';
export {
  numeric,
  numericAvg,
  numericVariance,
  numericDiv,
  numericFromDecimal,
  numericFromDouble,
  numericRound,
  numericSend,
  numericText,
  parseNumeric,
  selectDivScale,
  type PgNumeric,
} from './numeric.js';
export { float4Text, float8Text, formatG } from './float.js';
export { intervalText, type PgInterval } from './interval.js';
export { escapeJson, jsonbText } from './json.js';
export type { TypeCodec } from './codec.js';

/**
 * The intended Postgres type of a result column, when the translator knows better than DuckDB's type: an OID
 * (+ typmod), or a type name as SQL/format_type writes it (`int4`, `numeric(12,2)`, `varchar(20)`, `jsonb`,
 * `timestamptz`, `text[]`, `sys.number(10,2)`).
 */
export type PgTypeHint = string | { oid: number; typmod?: number } | { name: string; typmod?: number };

export interface ColumnCodec {
  /** RowDescription: data type OID, typlen, typmod */
  readonly oid: number;
  readonly typlen: number;
  readonly typmod: number;
  /** pg_type name, `int4[]` for arrays */
  readonly typname: string;
  /** text output as a JS string (value must not be NULL) */
  text(value: unknown, s: OutputSettings): string;
  /** text output as DataRow bytes */
  encodeText(value: unknown, s: OutputSettings): Buffer;
  /** binary (send) output as DataRow bytes */
  encodeBinary(value: unknown, s: OutputSettings): Buffer;
  /** DataRow field for format code 0 (text) or 1 (binary); null for SQL NULL */
  encode(value: unknown, s: OutputSettings, format: 0 | 1): Buffer | null;
}

const BY_NAME: Record<PgTypeName, TypeCodec> = {
  bool: boolCodec,
  bytea: byteaCodec,
  char: charCodec,
  name: nameCodec,
  int8: int8Codec,
  int2: int2Codec,
  int4: int4Codec,
  text: textCodec,
  oid: oidCodec,
  json: jsonCodec,
  float4: float4Codec,
  float8: float8Codec,
  unknown: { ...textCodec, info: PG.unknown },
  bpchar: bpcharCodec,
  varchar: varcharCodec,
  date: dateCodec,
  time: timeCodec,
  timestamp: timestampCodec,
  timestamptz: timestamptzCodec,
  interval: intervalCodec,
  timetz: timetzCodec,
  bit: bitCodecFixed,
  varbit: varbitCodec,
  numeric: numericCodec,
  record: { ...compositeCodec, info: PG.record },
  uuid: uuidCodec,
  jsonb: jsonbCodec,
  oracharchar: oraCharCharCodec,
  oracharbyte: oraCharByteCodec,
  oravarcharchar: oraVarcharCharCodec,
  oravarcharbyte: oraVarcharByteCodec,
  oradate: oradateCodec,
  oratimestamp: oratimestampCodec,
  oratimestamptz: oratimestamptzCodec,
  oratimestampltz: oratimestampltzCodec,
  yminterval: ymIntervalCodec,
  dsinterval: dsIntervalCodec,
  number: numberCodec,
  binary_float: binaryFloatCodec,
  binary_double: binaryDoubleCodec,
};

/** Codec for a PG type by name (scalar). */
export function typeCodec(name: PgTypeName): TypeCodec {
  return BY_NAME[name];
}

/** The PG type Postgres itself would report for a DuckDB type, when nothing better is known. */
export function defaultPgType(t: DuckDBType): PgTypeRef {
  let depth = 0;
  let cur: DuckDBType = t;
  while (cur.typeId === DuckDBTypeId.LIST || cur.typeId === DuckDBTypeId.ARRAY) {
    cur = (cur as { valueType: DuckDBType }).valueType;
    depth++;
  }
  return { name: scalarName(cur), typmod: -1, arrayDims: depth };
}

function scalarName(t: DuckDBType): PgTypeName {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'bool';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return 'int2';
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return 'int4';
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return 'int8';
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.DECIMAL:
      return 'numeric';
    case DuckDBTypeId.FLOAT:
      return 'float4';
    case DuckDBTypeId.DOUBLE:
      return 'float8';
    case DuckDBTypeId.VARCHAR:
      return t.alias?.toUpperCase() === 'JSON' ? 'json' : 'text';
    case DuckDBTypeId.ENUM:
      return 'text';
    case DuckDBTypeId.BLOB:
      return 'bytea';
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return 'time';
    case DuckDBTypeId.TIME_TZ:
      return 'timetz';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'timestamp';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamptz';
    case DuckDBTypeId.INTERVAL:
      return 'interval';
    case DuckDBTypeId.UUID:
      return 'uuid';
    case DuckDBTypeId.BIT:
      return 'varbit';
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.UNION:
    case DuckDBTypeId.VARIANT:
      return 'json';
    default:
      // SQLNULL (`SELECT NULL`), BIGNUM, GEOMETRY …: PG reports a bare NULL as text
      return 'text';
  }
}

function resolveHint(h: PgTypeHint): PgTypeRef {
  if (typeof h === 'string') return parsePgType(h);
  if ('oid' in h) {
    const r = typeNameOfOid(h.oid);
    if (!r) throw new Error(`no codec for type OID ${h.oid}`);
    return { name: r.name, typmod: h.typmod ?? -1, arrayDims: r.array ? 1 : 0 };
  }
  const r = parsePgType(h.name);
  return h.typmod === undefined ? r : { ...r, typmod: h.typmod };
}

const isComposite = (t: DuckDBType) =>
  t.typeId === DuckDBTypeId.STRUCT || t.typeId === DuckDBTypeId.MAP || t.typeId === DuckDBTypeId.UNION ||
  t.typeId === DuckDBTypeId.VARIANT;

/**
 * Value adaptation where DuckDB's type differs from the PG one in a way the codec cannot see from the JS value:
 * a DOUBLE/FLOAT shown as numeric converts like float8::numeric (`%.15g`) / float4::numeric (`%.6g`); a
 * STRUCT/MAP/LIST shown as json/jsonb/text is first rendered as JSON text.
 */
type Adapt = (v: unknown, s: OutputSettings) => unknown;

function adapter(duck: DuckDBType, pg: PgTypeName): Adapt | null {
  const numericLike = pg === 'numeric' || pg === 'number';
  if (numericLike && duck.typeId === DuckDBTypeId.DOUBLE) return (v) => numericFromDouble(v as number);
  if (numericLike && duck.typeId === DuckDBTypeId.FLOAT) {
    return (v) => {
      const x = v as number;
      return Number.isFinite(x) ? parseNumeric(formatG(x, 6)) : numericFromDouble(x);
    };
  }
  const jsonish = pg === 'json' || pg === 'jsonb' || pg === 'text' || pg === 'varchar';
  if (jsonish && (isComposite(duck) || isList(duck))) return (v, s) => compositeJson(v, s);
  return null;
}

function withAdapter(c: TypeCodec, adapt: Adapt | null): TypeCodec {
  if (!adapt) return c;
  return {
    info: c.info,
    text: (v, s, m) => c.text(adapt(v, s), s, m),
    send: (v, s, m) => c.send(adapt(v, s), s, m),
  };
}

const isList = (t: DuckDBType) => t.typeId === DuckDBTypeId.LIST || t.typeId === DuckDBTypeId.ARRAY;

/**
 * Codec for one result column. Without a hint the PG type is DuckDB's natural counterpart (INTEGER → int4,
 * DECIMAL → numeric with typmod -1, VARCHAR → text, JSON → json, LIST → array, STRUCT/MAP → json); with a hint the
 * column is reported and rendered as that PG type (e.g. a DuckDB JSON column hinted `jsonb` is normalised, a BIGINT
 * hinted `int4` is sent as int4, a DOUBLE hinted `numeric` converts like float8::numeric, a LIST hinted `jsonb` is
 * sent as a JSON array).
 */
export function columnCodec(duck: DuckDBType, hint?: PgTypeHint): ColumnCodec {
  const ref = hint === undefined ? defaultPgType(duck) : resolveHint(hint);
  let codec: TypeCodec;
  if (ref.arrayDims > 0) {
    // a PG array needs a DuckDB LIST/ARRAY; nested lists become dimensions
    let elemDuck = duck;
    let depth = 0;
    while (isList(elemDuck)) {
      elemDuck = (elemDuck as { valueType: DuckDBType }).valueType;
      depth++;
    }
    if (depth === 0) throw new Error(`cannot send DuckDB ${duck.toString()} as ${ref.name}[]`);
    const base = hint === undefined && isComposite(elemDuck) ? compositeCodec : BY_NAME[ref.name];
    codec = arrayCodec(withAdapter(base, adapter(elemDuck, ref.name)), depth);
  } else if (isList(duck) || isComposite(duck)) {
    // a nested DuckDB value sent as one scalar PG value: json (default), jsonb or text
    const adapt = adapter(duck, ref.name);
    if (hint === undefined) codec = compositeCodec;
    else if (adapt) codec = withAdapter(BY_NAME[ref.name], adapt);
    else throw new Error(`cannot send DuckDB ${duck.toString()} as ${ref.name}`);
  } else {
    codec = withAdapter(BY_NAME[ref.name], adapter(duck, ref.name));
  }
  // RowDescription carries the element typmod for arrays too (numeric(12,2)[] → 786438), and codecs get it as well
  const typmod = ref.typmod;
  const text = (v: unknown, s: OutputSettings) => codec.text(v, s, typmod);
  const encodeText = (v: unknown, s: OutputSettings) => Buffer.from(codec.text(v, s, typmod), 'utf8');
  const encodeBinary = (v: unknown, s: OutputSettings) => codec.send(v, s, typmod);
  return {
    oid: codec.info.oid,
    typlen: codec.info.typlen,
    typmod,
    typname: codec.info.name,
    text,
    encodeText,
    encodeBinary,
    encode: (v, s, format) => (v === null || v === undefined ? null : format === 1 ? encodeBinary(v, s) : encodeText(v, s)),
  };
}

/** Codecs for every column of a DuckDB result or prepared statement (anything with columnCount/columnType). */
export function resultCodecs(
  r: { columnCount: number; columnType(i: number): DuckDBType },
  hints: readonly (PgTypeHint | undefined)[] = [],
): ColumnCodec[] {
  const out: ColumnCodec[] = [];
  for (let i = 0; i < r.columnCount; i++) out.push(columnCodec(r.columnType(i), hints[i]));
  return out;
}
