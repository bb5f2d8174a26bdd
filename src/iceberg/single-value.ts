// Iceberg single-value binary serialization (spec Appendix D), used for lower/upper bounds in manifests,
// plus parsing of the text min/max that DuckDB's COPY … RETURN_STATS reports.
import { parseDecimal, parseFixed, type PrimitiveType } from './schema.js';

/** Java's default metrics mode truncate(16): string/binary bounds keep at most 16 code points / bytes. */
export const DEFAULT_TRUNCATE = 16;

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}
function le64(n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return b;
}

/** Two's-complement big-endian with the fewest bytes that keep the sign (decimal bounds). */
export function decimalBytes(unscaled: bigint): Buffer {
  let n = 1;
  while (unscaled < -(1n << BigInt(8 * n - 1)) || unscaled >= 1n << BigInt(8 * n - 1)) n++;
  const b = Buffer.alloc(n);
  let v = BigInt.asUintN(8 * n, unscaled);
  for (let i = n - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

export function decimalFromBytes(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return BigInt.asIntN(8 * b.length, v);
}

export function uuidBytes(s: string): Buffer {
  const hex = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`invalid uuid ${s}`);
  return Buffer.from(hex, 'hex');
}

/** JS value → bound bytes. ints/dates: number; longs/time/timestamps: bigint (µs); decimal: unscaled bigint. */
export function encodeSingleValue(type: PrimitiveType, v: unknown): Buffer {
  switch (type) {
    case 'boolean':
      return Buffer.from([v ? 1 : 0]);
    case 'int':
    case 'date':
      return le32(Number(v));
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return le64(BigInt(v as bigint | number));
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(Number(v));
      return b;
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(v));
      return b;
    }
    case 'string':
      return Buffer.from(String(v), 'utf8');
    case 'uuid':
      return uuidBytes(String(v));
    case 'binary':
      return Buffer.from(v as Uint8Array);
  }
  if (parseDecimal(type)) return decimalBytes(BigInt(v as bigint));
  if (parseFixed(type) !== null) return Buffer.from(v as Uint8Array);
  throw new Error(`no single-value encoding for ${type}`);
}

/** Bound bytes → JS value (inverse of encodeSingleValue). */
export function decodeSingleValue(type: PrimitiveType, b: Buffer): unknown {
  switch (type) {
    case 'boolean':
      return b[0] !== 0;
    case 'int':
    case 'date':
      return b.readInt32LE();
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return b.readBigInt64LE();
    case 'float':
      return b.readFloatLE();
    case 'double':
      return b.readDoubleLE();
    case 'string':
      return b.toString('utf8');
    case 'uuid': {
      const h = b.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
  }
  if (parseDecimal(type)) return decimalFromBytes(b);
  return Buffer.from(b);
}

// ---- truncation (truncate(N) metrics mode) ----------------------------------------------------------------

export function truncateStringLower(s: string, n = DEFAULT_TRUNCATE): string {
  const cps = Array.from(s);
  return cps.length <= n ? s : cps.slice(0, n).join('');
}

/** Shortest string ≥ every string with this prefix: truncate, then bump the last code point that can grow. */
export function truncateStringUpper(s: string, n = DEFAULT_TRUNCATE): string | null {
  const cps = Array.from(s);
  if (cps.length <= n) return s;
  const keep = cps.slice(0, n).map((c) => c.codePointAt(0)!);
  for (let i = keep.length - 1; i >= 0; i--) {
    let next = keep[i]! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // skip surrogates
    if (next <= 0x10ffff) {
      keep[i] = next;
      return String.fromCodePoint(...keep.slice(0, i + 1));
    }
  }
  return null;
}

export function truncateBinaryLower(b: Buffer, n = DEFAULT_TRUNCATE): Buffer {
  return b.length <= n ? b : b.subarray(0, n);
}

export function truncateBinaryUpper(b: Buffer, n = DEFAULT_TRUNCATE): Buffer | null {
  if (b.length <= n) return b;
  const out = Buffer.from(b.subarray(0, n));
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]!++;
      return out.subarray(0, i + 1);
    }
  }
  return null;
}

// ---- DuckDB RETURN_STATS text → bound bytes ---------------------------------------------------------------

/** days since 1970-01-01 for a proleptic Gregorian date (works for any year, unlike Date.UTC's 0–99 quirk) */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function parseDate(s: string): number | null {
  const m = /^(\d{4,})-(\d{2})-(\d{2})$/.exec(s);
  return m ? daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])) : null;
}

function parseTimeMicros(s: string): bigint | null {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) return null;
  const frac = BigInt((m[4] ?? '').padEnd(6, '0'));
  return (BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1_000_000n) + frac;
}

/** 'YYYY-MM-DD HH:MM:SS[.ffffff][±HH[:MM]]' → µs since epoch (UTC) */
function parseTimestampMicros(s: string, withZone: boolean): bigint | null {
  const m = /^(\d{4,}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/.exec(s);
  if (!m) return null;
  const days = parseDate(m[1]!);
  const t = parseTimeMicros(m[2]!);
  if (days === null || t === null) return null;
  let us = BigInt(days) * 86_400_000_000n + t;
  if (m[3]) {
    if (!withZone) return null;
    const off = (Number(m[4]) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0)) * 1_000_000;
    us -= BigInt(m[3] === '+' ? off : -off);
  }
  return us;
}

function parseDecimalUnscaled(s: string, scale: number): bigint | null {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && !m[3])) return null;
  const frac = m[3] ?? '';
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale))) return null;
  const v = BigInt((m[2] || '0') + frac.slice(0, scale).padEnd(scale, '0'));
  return m[1] === '-' ? -v : v;
}

/**
 * DuckDB stats text → Iceberg bound bytes; null when the value cannot be represented (NaN, BC dates,
 * infinity timestamps, an upper bound with no truncated form). `upper` selects the truncation direction.
 */
export function boundFromDuckDBText(type: PrimitiveType, text: string, upper: boolean): Buffer | null {
  switch (type) {
    case 'boolean':
      return Buffer.from([text === '1' || text.toLowerCase() === 'true' ? 1 : 0]);
    case 'int': {
      const n = Number(text);
      return Number.isInteger(n) ? le32(n) : null;
    }
    case 'long':
      return /^-?\d+$/.test(text) ? le64(BigInt(text)) : null;
    case 'float':
    case 'double': {
      const t = text.toLowerCase();
      const n = t === 'inf' || t === 'infinity' ? Infinity : t === '-inf' || t === '-infinity' ? -Infinity : Number(text);
      if (Number.isNaN(n)) return null;
      return encodeSingleValue(type, type === 'float' ? Math.fround(n) : n);
    }
    case 'date': {
      const d = parseDate(text);
      return d === null ? null : le32(d);
    }
    case 'time': {
      const t = parseTimeMicros(text);
      return t === null ? null : le64(t);
    }
    case 'timestamp':
    case 'timestamptz': {
      const t = parseTimestampMicros(text, type === 'timestamptz');
      return t === null ? null : le64(t);
    }
    case 'string':
      if (upper) {
        const u = truncateStringUpper(text);
        return u === null ? null : Buffer.from(u, 'utf8');
      }
      return Buffer.from(truncateStringLower(text), 'utf8');
    case 'uuid':
      return /^[0-9a-fA-F-]{36}$/.test(text) ? uuidBytes(text) : null;
    case 'binary': {
      if (!/^([0-9a-fA-F]{2})*$/.test(text)) return null;
      const b = Buffer.from(text, 'hex');
      return upper ? truncateBinaryUpper(b) : truncateBinaryLower(b);
    }
  }
  const dec = parseDecimal(type);
  if (dec) {
    const v = parseDecimalUnscaled(text, dec.scale);
    return v === null ? null : decimalBytes(v);
  }
  return null; // fixed[n]: DuckDB has no fixed type; no bounds
}
