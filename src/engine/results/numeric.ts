// numeric: exact decimal with a display scale (dscale), held as a signed unscaled BigInt. Text is numeric_out (all
// dscale fraction digits, no exponent); binary is numeric_send (base-10000 digits, weight, sign, dscale).
// Also the result-scale rules PG applies where DuckDB computes differently: numeric division (select_div_scale) and
// avg() over integers/numerics, which is numeric_div(sum, count) in PG but DOUBLE in DuckDB.
import { DuckDBDecimalValue } from '@duckdb/node-api';
import { decimalString, typeError, type TypeCodec } from './codec.js';
import { formatG } from './float.js';
import { PG, numericTypmod, type PgTypeInfo } from './oids.js';

export type PgNumeric =
  | { kind: 'finite'; /** value · 10^dscale */ unscaled: bigint; dscale: number }
  | { kind: 'nan' | '+inf' | '-inf' };

const NUMERIC_MIN_SIG_DIGITS = 16;
const NUMERIC_MAX_DISPLAY_SCALE = 1000;

export function numeric(unscaled: bigint, dscale: number): PgNumeric {
  return { kind: 'finite', unscaled, dscale };
}

export function numericFromDecimal(v: DuckDBDecimalValue): PgNumeric {
  return numeric(v.value, v.scale);
}

/** float8_numeric: `%.15g` of the double, then numeric_in. */
export function numericFromDouble(x: number): PgNumeric {
  if (Number.isNaN(x)) return { kind: 'nan' };
  if (x === Infinity) return { kind: '+inf' };
  if (x === -Infinity) return { kind: '-inf' };
  return parseNumeric(formatG(x, 15));
}

/** numeric_in for decimal text: `-12.50`, `1e-3` (dscale 3), `1.5E+3` (dscale 0), `NaN`, `Infinity`. */
export function parseNumeric(text: string): PgNumeric {
  const t = text.trim();
  const low = t.toLowerCase();
  if (low === 'nan') return { kind: 'nan' };
  if (low === 'infinity' || low === '+infinity' || low === 'inf' || low === '+inf') return { kind: '+inf' };
  if (low === '-infinity' || low === '-inf') return { kind: '-inf' };
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t.replace(/_/g, ''));
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`invalid input syntax for type numeric: "${text}"`);
  const frac = m[3] ?? '';
  const exp = m[4] ? Number(m[4]) : 0;
  let unscaled = BigInt((m[2] || '0') + frac);
  let dscale = frac.length - exp;
  // a negative display scale means the exponent shifted digits left of the point: scale the integer up
  if (dscale < 0) {
    unscaled *= 10n ** BigInt(-dscale);
    dscale = 0;
  }
  if (m[1] === '-') unscaled = -unscaled;
  return numeric(unscaled, dscale);
}

/** numeric_out. */
export function numericText(n: PgNumeric): string {
  switch (n.kind) {
    case 'nan':
      return 'NaN';
    case '+inf':
      return 'Infinity';
    case '-inf':
      return '-Infinity';
    default:
      return decimalString(n.unscaled, n.dscale);
  }
}

/** Base-10000 digit groups of |unscaled|·10^-dscale, most significant first, with PG's weight. */
function nbaseDigits(unscaled: bigint, dscale: number): { digits: number[]; weight: number } {
  let a = unscaled < 0n ? -unscaled : unscaled;
  if (a === 0n) return { digits: [], weight: 0 };
  // align the decimal point to a group boundary
  const pad = (4 - (dscale % 4)) % 4;
  a *= 10n ** BigInt(pad);
  const fracGroups = (dscale + pad) / 4;
  const groups: number[] = [];
  while (a > 0n) {
    groups.push(Number(a % 10000n));
    a /= 10000n;
  }
  const weight = groups.length - 1 - fracGroups;
  // strip trailing zero groups (make_result); leading ones cannot occur
  let start = 0;
  while (start < groups.length && groups[start] === 0) start++;
  return { digits: groups.slice(start).reverse(), weight };
}

/** numeric_send. */
export function numericSend(n: PgNumeric): Buffer {
  if (n.kind !== 'finite') {
    const sign = n.kind === 'nan' ? 0xc000 : n.kind === '+inf' ? 0xd000 : 0xf000;
    const b = Buffer.alloc(8);
    b.writeUInt16BE(sign, 4);
    // numeric_send reads dscale out of the special value's header bits: 32 for ±Infinity, 0 for NaN
    if (n.kind !== 'nan') b.writeInt16BE(32, 6);
    return b;
  }
  const { digits, weight } = nbaseDigits(n.unscaled, n.dscale);
  const b = Buffer.allocUnsafe(8 + 2 * digits.length);
  b.writeInt16BE(digits.length, 0);
  b.writeInt16BE(weight, 2);
  b.writeUInt16BE(n.unscaled < 0n ? 0x4000 : 0x0000, 4);
  b.writeInt16BE(n.dscale, 6);
  for (let i = 0; i < digits.length; i++) b.writeInt16BE(digits[i]!, 8 + 2 * i);
  return b;
}

/** Rounds to `scale` fraction digits, half away from zero (round_var), and sets dscale = scale. */
export function numericRound(n: PgNumeric, scale: number): PgNumeric {
  if (n.kind !== 'finite') return n;
  if (scale >= n.dscale) return numeric(n.unscaled * 10n ** BigInt(scale - n.dscale), scale);
  const div = 10n ** BigInt(n.dscale - scale);
  return numeric(roundDiv(n.unscaled, div), scale);
}

/** a / b rounded half away from zero (b ≠ 0). */
function roundDiv(a: bigint, b: bigint): bigint {
  const neg = a < 0n !== b < 0n;
  const aa = a < 0n ? -a : a;
  const bb = b < 0n ? -b : b;
  const q = (2n * aa + bb) / (2n * bb);
  return neg ? -q : q;
}

/** select_div_scale: the result scale PG gives a / b. */
export function selectDivScale(a: PgNumeric & { kind: 'finite' }, b: PgNumeric & { kind: 'finite' }): number {
  const lead = (n: { unscaled: bigint; dscale: number }) => {
    const { digits, weight } = nbaseDigits(n.unscaled, n.dscale);
    return digits.length ? { weight, first: digits[0]! } : { weight: 0, first: 0 };
  };
  const l1 = lead(a);
  const l2 = lead(b);
  let qweight = l1.weight - l2.weight;
  if (l1.first <= l2.first) qweight--;
  let rscale = NUMERIC_MIN_SIG_DIGITS - qweight * 4;
  rscale = Math.max(rscale, a.dscale, b.dscale, 0);
  return Math.min(rscale, NUMERIC_MAX_DISPLAY_SCALE);
}

/** numeric_div: exact quotient rounded at select_div_scale digits. Throws on division by zero. */
export function numericDiv(a: PgNumeric, b: PgNumeric): PgNumeric {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  if (a.kind !== 'finite') {
    if (b.kind !== 'finite') return { kind: 'nan' };
    if (b.unscaled === 0n) throw new Error('division by zero');
    const neg = (a.kind === '-inf') !== b.unscaled < 0n;
    return { kind: neg ? '-inf' : '+inf' };
  }
  if (b.kind !== 'finite') return numeric(0n, 0);
  if (b.unscaled === 0n) throw new Error('division by zero');
  const rscale = selectDivScale(a, b);
  // a/b·10^rscale = (A·10^-sa)/(B·10^-sb)·10^rscale = A·10^(sb+rscale-sa) / B
  const shift = b.dscale + rscale - a.dscale;
  const num = shift >= 0 ? a.unscaled * 10n ** BigInt(shift) : a.unscaled;
  const den = shift >= 0 ? b.unscaled : b.unscaled * 10n ** BigInt(-shift);
  return numeric(roundDiv(num, den), rscale);
}

/**
 * avg() as PG computes it for int2/int4/int8/numeric inputs: numeric_div(sum, count), where sum keeps the inputs'
 * largest dscale. Pass the exact sum (e.g. DuckDB `sum(x)` as HUGEINT/DECIMAL) and the count; null for count 0.
 */
export function numericAvg(sum: PgNumeric | bigint | DuckDBDecimalValue, count: bigint | number): PgNumeric | null {
  const c = BigInt(count);
  if (c === 0n) return null;
  const s = typeof sum === 'bigint' ? numeric(sum, 0) : sum instanceof DuckDBDecimalValue ? numericFromDecimal(sum) : sum;
  return numericDiv(s, numeric(c, 0));
}

/** floor(√x) for x ≥ 0 (Newton's method on BigInt) */
function isqrt(x: bigint): bigint {
  if (x < 2n) return x;
  // a start at or above √x: Newton's steps then decrease to floor(√x). One step from any positive guess lands
  // there ((g + x/g)/2 ≥ √x), so the float estimate (or a power of two past it) only saves steps.
  const f = Math.sqrt(Number(x));
  let g = Number.isFinite(f) && f >= 1 ? BigInt(Math.floor(f)) : 1n << BigInt((x.toString(2).length + 1) >> 1);
  g = (g + x / g) >> 1n;
  for (;;) {
    const next = (g + x / g) >> 1n;
    if (next >= g) return g;
    g = next;
  }
}

/**
 * var_samp/var_pop/stddev_samp/stddev_pop over integers or numerics as numeric_stddev_internal computes them from
 * the exact count n, Σx and Σx² (both given unscaled at `scale` and 2·`scale` fraction digits): numerator
 * n·Σx² − (Σx)², 0 when it is not positive, else divided by n(n−1) or n² at select_div_scale digits, rounded; the
 * standard deviation is the square root of that rounded variance at the same scale, rounded half away from zero.
 * null: no rows, or one row for the sample forms.
 */
export function numericVariance(n: bigint, sx: bigint, sxx: bigint, scale: number, sample: boolean, sqrt: boolean): PgNumeric | null {
  if (n === 0n || (sample && n <= 1n)) return null;
  const num = n * sxx - sx * sx;
  if (num <= 0n) return numeric(0n, 0);
  const v = numericDiv(numeric(num, 2 * scale), numeric(sample ? n * (n - 1n) : n * n, 0)) as PgNumeric & { kind: 'finite' };
  if (!sqrt) return v;
  // √(U·10^-r)·10^(r+1) = √(U·10^(r+2)): one guard digit, truncated, then rounded half up
  const t = isqrt(v.unscaled * 10n ** BigInt(v.dscale + 2));
  return numeric((t + 5n) / 10n, v.dscale);
}

/** Coerces a DuckDB value to PgNumeric: DECIMAL, integers, HUGEINT, DOUBLE (like float8::numeric), text. */
export function toNumeric(v: unknown): PgNumeric {
  if (v instanceof DuckDBDecimalValue) return numericFromDecimal(v);
  if (typeof v === 'bigint') return numeric(v, 0);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 2 ** 53 ? numeric(BigInt(v), 0) : numericFromDouble(v);
  if (typeof v === 'string') return parseNumeric(v);
  if (typeof v === 'object' && v !== null && 'kind' in v) return v as PgNumeric;
  throw typeError('numeric', v);
}

/** A typmod with a scale forces that scale, as PG's apply_typmod does on storage into numeric(p,s). */
function withTypmod(n: PgNumeric, typmod: number): PgNumeric {
  const t = numericTypmod(typmod);
  return t && n.kind === 'finite' && n.dscale !== t.scale ? numericRound(n, t.scale) : n;
}

function numericLike(info: PgTypeInfo): TypeCodec {
  return {
    info,
    text: (v, _s, typmod) => numericText(withTypmod(toNumeric(v), typmod)),
    send: (v, _s, typmod) => numericSend(withTypmod(toNumeric(v), typmod)),
  };
}

export const numericCodec = numericLike(PG.numeric);
/** IvorySQL NUMBER: numeric I/O and send format under its own OID. */
export const numberCodec = numericLike(PG.number);
