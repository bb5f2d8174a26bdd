// The shape every per-type codec has, plus coercions from the values @duckdb/node-api hands out (number, bigint,
// string, DuckDB*Value objects) to what a codec needs. Codecs take the DuckDB value of a non-NULL cell; NULL never
// reaches them (DataRow encodes it as length -1).
import {
  DuckDBBlobValue,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBDateValue,
} from '@duckdb/node-api';
import type { PgTypeInfo } from './oids.js';
import type { OutputSettings } from './settings.js';

export interface TypeCodec {
  readonly info: PgTypeInfo;
  /** Postgres text output (typoutput) of a non-NULL value */
  text(v: unknown, s: OutputSettings, typmod: number): string;
  /** Postgres binary output (typsend) of a non-NULL value */
  send(v: unknown, s: OutputSettings, typmod: number): Buffer;
}

export function typeError(type: string, v: unknown): Error {
  const what = v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name : typeof v;
  return new Error(`cannot encode ${what} value as ${type}`);
}

/** Integer value of number | bigint | DECIMAL with zero fraction | decimal string. */
export function toBigInt(v: unknown, type: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (v instanceof DuckDBDecimalValue) {
    const p = 10n ** BigInt(v.scale);
    if (v.value % p === 0n) return v.value / p;
  }
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return BigInt(v.trim());
  throw typeError(type, v);
}

export function toFloat(v: unknown, type: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  // Decimal text → nearest double, like PG's numeric_float8 (numeric_out + strtod).
  if (v instanceof DuckDBDecimalValue) return Number(decimalString(v.value, v.scale));
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'nan') return NaN;
    if (t === 'infinity' || t === 'inf' || t === '+infinity' || t === '+inf') return Infinity;
    if (t === '-infinity' || t === '-inf') return -Infinity;
    const n = Number(t);
    if (t !== '' && !Number.isNaN(n)) return n;
  }
  throw typeError(type, v);
}

/** Plain decimal text of value / 10^scale with exactly `scale` fraction digits. */
export function decimalString(value: bigint, scale: number): string {
  const neg = value < 0n;
  let digits = (neg ? -value : value).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    digits = digits.slice(0, digits.length - scale) + '.' + digits.slice(digits.length - scale);
  }
  return neg ? '-' + digits : digits;
}

export function toBytes(v: unknown, type: string): Uint8Array {
  if (v instanceof DuckDBBlobValue) return v.bytes;
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  throw typeError(type, v);
}

/** Days since 1970-01-01 of a DATE (±Infinity for DuckDB's infinite dates). */
export function toDays(v: unknown, type: string): number {
  if (v instanceof DuckDBDateValue) {
    if (v.days === DuckDBDateValue.PosInf.days) return Infinity;
    if (v.days === DuckDBDateValue.NegInf.days) return -Infinity;
    return v.days;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw typeError(type, v);
}

const POS_INF_MICROS = DuckDBTimestampValue.PosInf.micros;
const NEG_INF_MICROS = DuckDBTimestampValue.NegInf.micros;

/**
 * Microseconds since 1970 of a TIMESTAMP / TIMESTAMPTZ (UTC) / TIMESTAMP_S|MS|NS / DATE; null for ±infinity
 * (returned as the `inf` flag).
 */
export function toMicros(v: unknown, type: string): { micros: bigint; inf: 0 | 1 | -1 } {
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) {
    if (v.micros === POS_INF_MICROS) return { micros: 0n, inf: 1 };
    if (v.micros === NEG_INF_MICROS) return { micros: 0n, inf: -1 };
    return { micros: v.micros, inf: 0 };
  }
  if (v instanceof DuckDBTimestampSecondsValue) return finiteOr(v.seconds, 1_000_000n);
  if (v instanceof DuckDBTimestampMillisecondsValue) return finiteOr(v.millis, 1_000n);
  if (v instanceof DuckDBTimestampNanosecondsValue) {
    const r = finiteOr(v.nanos, 1n);
    if (r.inf) return r;
    // PG keeps microseconds; floor keeps the same calendar second as DuckDB's own rendering.
    let us = v.nanos / 1000n;
    if (v.nanos < 0n && us * 1000n !== v.nanos) us -= 1n;
    return { micros: us, inf: 0 };
  }
  if (v instanceof DuckDBDateValue) {
    const d = toDays(v, type);
    if (!Number.isFinite(d)) return { micros: 0n, inf: d > 0 ? 1 : -1 };
    return { micros: BigInt(d) * 86_400_000_000n, inf: 0 };
  }
  if (typeof v === 'bigint') return { micros: v, inf: 0 };
  throw typeError(type, v);
}

function finiteOr(n: bigint, mult: bigint): { micros: bigint; inf: 0 | 1 | -1 } {
  if (n === 9_223_372_036_854_775_807n) return { micros: 0n, inf: 1 };
  if (n === -9_223_372_036_854_775_807n) return { micros: 0n, inf: -1 };
  return { micros: n * mult, inf: 0 };
}

// ---- small big-endian writers for send functions ----

export function int16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(n);
  return b;
}

export function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n);
  return b;
}

export function int64(n: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(n);
  return b;
}
