// float4 / float8 text and binary output as PG 12+ does it (float4out/float8out):
// * extra_float_digits > 0 → shortest decimal that reads back to the same value (Ryu). For float8 that is JS's own
//   shortest form; float4 needs the shortest form *for a 32-bit float*, computed here against the float's rounding
//   interval. Layout follows PG's Ryu to_chars: fixed notation for decimal exponents -4 … 14 (float4: -4 … 5),
//   otherwise `d.ddde+XX`.
// * extra_float_digits ≤ 0 → C `%.*g` with 15+edf (float8) or 6+edf (float4) significant digits, ties to even as
//   glibc rounds the exact binary value.
// NaN / Infinity / -Infinity are spelled out; -0 keeps its sign.
import { toFloat, type TypeCodec } from './codec.js';
import { PG } from './oids.js';
import type { OutputSettings } from './settings.js';

// ---- exact helpers (used only on rare boundary/tie cases) ----

const dv = new DataView(new ArrayBuffer(8));

/** x = M · 2^E exactly, for finite x > 0. */
function decompose(x: number): { m: bigint; e: number } {
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const eb = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return eb === 0 ? { m: frac, e: -1074 } : { m: frac | (1n << 52n), e: eb - 1075 };
}

/** Sign of (c · 10^k − d) computed exactly; d finite ≥ 0. */
function compareDecimalToDouble(c: bigint, k: number, d: number): number {
  if (d === 0) return c > 0n ? 1 : c < 0n ? -1 : 0;
  const { m, e } = decompose(d);
  const l = c * 10n ** BigInt(Math.max(k, 0)) * 2n ** BigInt(Math.max(-e, 0));
  const r = m * 2n ** BigInt(Math.max(e, 0)) * 10n ** BigInt(Math.max(-k, 0));
  return l > r ? 1 : l < r ? -1 : 0;
}

/** Splits JS exponential notation `d.ddde±x` into digit string and decimal exponent of the first digit. */
function splitExp(s: string): { digits: string; exp: number } {
  const e = s.indexOf('e');
  const mant = s.slice(0, e);
  return { digits: mant.length > 1 ? mant[0] + mant.slice(2) : mant, exp: Number(s.slice(e + 1)) };
}

/**
 * True when a is exactly halfway between two p-digit decimals (the rounding of toExponential(p-1) is then a tie,
 * which JS breaks upward and C/Ryu break to even).
 */
function isTie(a: number, p: number): boolean {
  const s = a.toExponential(p);
  if (s.charCodeAt(s.indexOf('e') - 1) !== 53 /* '5' */ || Number(s) !== a) return false;
  const { digits, exp } = splitExp(s);
  return compareDecimalToDouble(BigInt(digits), exp - p, a) === 0;
}

/** Digits and exponent of a rounded to p significant digits, ties to even (C printf on the exact value). */
function roundDigits(a: number, p: number): { digits: string; exp: number } {
  const r = splitExp(a.toExponential(p - 1));
  if (isTie(a, p)) {
    // JS rounded the tie up; the lower candidate is the truncation, taken when its last digit is even
    const t = splitExp(a.toExponential(p));
    const lower = t.digits.slice(0, p);
    if ((lower.charCodeAt(p - 1) - 48) % 2 === 0) return { digits: lower, exp: t.exp };
  }
  return r;
}

// ---- layouts ----

function trimZeros(d: string): string {
  let end = d.length;
  while (end > 1 && d.charCodeAt(end - 1) === 48) end--;
  return d.slice(0, end);
}

function expSuffix(exp: number): string {
  const a = Math.abs(exp);
  return (exp < 0 ? 'e-' : 'e+') + (a < 10 ? '0' + a : String(a));
}

/** Fixed notation of digits · 10^(exp − len + 1), no exponent. */
function fixed(digits: string, exp: number): string {
  if (exp < 0) return '0.' + '0'.repeat(-exp - 1) + digits;
  if (digits.length <= exp + 1) return digits + '0'.repeat(exp + 1 - digits.length);
  return digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
}

/** PG's Ryu to_chars layout for shortest digits (no trailing zeros). */
function ryuLayout(digits: string, exp: number, fixedLimit: number): string {
  if (exp >= -4 && exp < fixedLimit) return fixed(digits, exp);
  return digits[0] + (digits.length > 1 ? '.' + digits.slice(1) : '') + expSuffix(exp);
}

/** C's `%.{p}g` of a finite value. */
export function formatG(x: number, p: number): string {
  // pg_strfromd spells the specials itself
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (p < 1) p = 1;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const neg = x < 0;
  const { digits, exp } = roundDigits(Math.abs(x), p);
  let out: string;
  if (exp < p && exp >= -4) {
    const f = fixed(digits, exp);
    out = f.includes('.') ? f.replace(/\.?0+$/, '') : f;
  } else {
    const d = trimZeros(digits);
    out = d[0] + (d.length > 1 ? '.' + d.slice(1) : '') + expSuffix(exp);
  }
  return neg ? '-' + out : out;
}

// ---- float8 ----

/** float8out. */
export function float8Text(x: number, extraFloatDigits: number): string {
  return floatOut(x, extraFloatDigits, 15, float8Shortest);
}

/**
 * float4out/float8out share one shape: specials, %g with `digits + extra_float_digits` when that is ≤ 0,
 * else the shortest round-trip digits of the type laid out like Postgres' ryu output.
 */
function floatOut(x: number, extraFloatDigits: number, digits: number, shortest: (v: number) => { digits: string; exp: number }): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (extraFloatDigits <= 0) return formatG(x, digits + extraFloatDigits);
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const s = shortest(Math.abs(x));
  const body = ryuLayout(s.digits, s.exp, digits);
  return x < 0 ? '-' + body : body;
}

// ---- float4 ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Sign of (c · 10^k − b · 2^e), exactly. */
function compareDecimalToBinary(c: bigint, k: number, b: bigint, e: number): number {
  const l = c * 10n ** BigInt(Math.max(k, 0)) * 2n ** BigInt(Math.max(-e, 0));
  const r = b * 2n ** BigInt(Math.max(e, 0)) * 10n ** BigInt(Math.max(-k, 0));
  return l > r ? 1 : l < r ? -1 : 0;
}

/**
 * Shortest digits strictly inside the rounding interval of a (> 0), nearest to a, ties to even: Ryu as PG builds it
 * (STRICTLY_SHORTEST off, so a decimal exactly on an interval bound is never used). `inside(c, k)` says whether
 * c · 10^k lies strictly inside.
 */
function shortestDigits(a: number, maxDigits: number, inside: (c: bigint, k: number) => boolean) {
  // Candidates at p digits: the p-digit rounding n of a, and its neighbour on the other side of a; only these two
  // can be the nearest inside the (convex) interval.
  const attempt = (p: number): { digits: string; exp: number } | null => {
    const { digits, exp } = splitExp(a.toExponential(p - 1));
    const n = BigInt(digits);
    const k = exp - p + 1;
    const nIn = inside(n, k);
    // d === a means n is within a double's rounding of a: inside, and no tie is possible
    const above = Number(`${n}e${k}`) > a;
    let o: bigint;
    let ok = k;
    if (!above) o = n + 1n;
    else if (n === 10n ** BigInt(p - 1)) {
      // below 10^(p-1) the neighbour continues one decade down (…999 at k-1)
      o = 10n ** BigInt(p) - 1n;
      ok = k - 1;
    } else o = n - 1n;
    const oIn = inside(o, ok);
    let c: bigint;
    let ck: number;
    // both inside and a exactly halfway: JS rounded up to n, Ryu takes the even one of the two
    const preferOther = oIn && (!nIn || (above && o % 2n === 0n && isTie(a, p)));
    if (preferOther) {
      c = o;
      ck = ok;
    } else if (nIn) {
      c = n;
      ck = k;
    } else return null;
    const ds = String(c);
    return { digits: trimZeros(ds), exp: ck + ds.length - 1 };
  };
  // "some p-digit decimal is inside" is monotonic in p: binary search the smallest p.
  let lowP = 1;
  let highP = maxDigits;
  let best = attempt(maxDigits)!;
  while (lowP < highP) {
    const mid = (lowP + highP) >> 1;
    const r = attempt(mid);
    if (r) {
      best = r;
      highP = mid;
    } else lowP = mid + 1;
  }
  return best;
}

/** Shortest digits of a float32 value a > 0 (Ryu f2s with exclusive bounds). */
export function float4Shortest(a: number): { digits: string; exp: number } {
  f32[0] = a;
  const bits = u32[0]!;
  const eb = bits >>> 23;
  const mant = bits & 0x7fffff;
  const ulp = eb === 0 ? 2 ** -149 : 2 ** (eb - 150);
  const lowerGap = mant === 0 && eb > 1 ? ulp / 2 : ulp;
  // float32 bounds need 25 bits: exact as doubles
  const lo = a - lowerGap / 2;
  const hi = a + ulp / 2;
  // same search as shortestDigits, specialised to plain numbers (≤ 10 digits are exact) for speed
  let lowP = 1;
  let highP = 9;
  let best: { digits: string; exp: number } | null = null;
  while (lowP < highP) {
    const mid = (lowP + highP) >> 1;
    const r = float4Attempt(a, mid, lo, hi);
    if (r) {
      best = r;
      highP = mid;
    } else lowP = mid + 1;
  }
  return best ?? float4Attempt(a, 9, lo, hi)!;
}

function float4Inside(c: number, k: number, lo: number, hi: number): boolean {
  if (c <= 0) return false;
  const d = Number(c + 'e' + k);
  if (d > lo && d < hi) return true;
  if (d < lo || d > hi) return false;
  // d rounded onto a bound: decide exactly (monotonic rounding makes the other cases safe)
  return compareDecimalToDouble(BigInt(c), k, lo) > 0 && compareDecimalToDouble(BigInt(c), k, hi) < 0;
}

function float4Attempt(a: number, p: number, lo: number, hi: number): { digits: string; exp: number } | null {
  const s = a.toExponential(p - 1);
  const e = s.indexOf('e');
  const n = Number(p > 1 ? s[0] + s.slice(2, e) : s.slice(0, e));
  const k = Number(s.slice(e + 1)) - p + 1;
  const nIn = float4Inside(n, k, lo, hi);
  const above = Number(n + 'e' + k) > a;
  let o: number;
  let ok = k;
  if (!above) o = n + 1;
  else if (n === 10 ** (p - 1)) {
    o = 10 ** p - 1;
    ok = k - 1;
  } else o = n - 1;
  const oIn = float4Inside(o, ok, lo, hi);
  let c: number;
  let ck: number;
  if (oIn && (!nIn || (above && o % 2 === 0 && isTie(a, p)))) {
    c = o;
    ck = ok;
  } else if (nIn) {
    c = n;
    ck = k;
  } else return null;
  const ds = String(c);
  return { digits: trimZeros(ds), exp: ck + ds.length - 1 };
}

/**
 * Shortest digits of a double a > 0 as PG's d2s prints them. JS's own shortest form is the same except when it sits
 * exactly on a rounding bound (JS accepts bounds for even mantissas, PG never does): that needs a midpoint with at
 * most 17 significant digits, i.e. an integer ≥ 2^53 (1e23 is the classic: PG prints 9.999999999999999e+22).
 */
function float8Shortest(a: number): { digits: string; exp: number } {
  const js = splitExp(a.toExponential());
  if (a < 2 ** 53) return js;
  const { m, e } = decompose(a);
  if ((m & 1n) === 1n) return js;
  const hiB = 2n * m + 1n;
  const loPow2 = m === 1n << 52n && e > -1074;
  const loB = loPow2 ? 4n * m - 1n : 2n * m - 1n;
  const loE = loPow2 ? e - 2 : e - 1;
  const c = BigInt(js.digits);
  const k = js.exp - js.digits.length + 1;
  if (compareDecimalToBinary(c, k, hiB, e - 1) !== 0 && compareDecimalToBinary(c, k, loB, loE) !== 0) return js;
  return shortestDigits(a, 17, (cc, kk) => {
    if (cc <= 0n) return false;
    return compareDecimalToBinary(cc, kk, loB, loE) > 0 && compareDecimalToBinary(cc, kk, hiB, e - 1) < 0;
  });
}

/** float4out; `x` must already be a float32 value (DuckDB FLOAT arrives widened to a JS number). */
export function float4Text(x: number, extraFloatDigits: number): string {
  return floatOut(x, extraFloatDigits, 6, float4Shortest);
}

// IvorySQL Oracle mode spells the specials of binary_float/binary_double differently (ivorysql.md §2).
function oracleSpecials(x: number, s: OutputSettings): string | null {
  if (!s.oracleMode) return null;
  if (Number.isNaN(x)) return 'Nan';
  if (x === Infinity) return 'Inf';
  if (x === -Infinity) return '-Inf';
  return null;
}

export const float4Codec: TypeCodec = {
  info: PG.float4,
  text: (v, s) => float4Text(Math.fround(toFloat(v, 'float4')), s.extraFloatDigits),
  send: (v) => {
    const b = Buffer.allocUnsafe(4);
    b.writeFloatBE(toFloat(v, 'float4'));
    return b;
  },
};

export const float8Codec: TypeCodec = {
  info: PG.float8,
  text: (v, s) => float8Text(toFloat(v, 'float8'), s.extraFloatDigits),
  send: (v) => {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(toFloat(v, 'float8'));
    return b;
  },
};

export const binaryFloatCodec: TypeCodec = {
  info: PG.binary_float,
  text: (v, s) => {
    const x = Math.fround(toFloat(v, 'binary_float'));
    return oracleSpecials(x, s) ?? float4Text(x, s.extraFloatDigits);
  },
  send: float4Codec.send,
};

export const binaryDoubleCodec: TypeCodec = {
  info: PG.binary_double,
  text: (v, s) => {
    const x = toFloat(v, 'binary_double');
    return oracleSpecials(x, s) ?? float8Text(x, s.extraFloatDigits);
  },
  send: float8Codec.send,
};
