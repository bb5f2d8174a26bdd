// Numeric results whose display scale depends on the values: avg() over integers/numerics and numeric division.
// Postgres computes them as numeric_div with select_div_scale (16+ significant digits); DuckDB's DECIMAL has one
// scale per column and divides in DOUBLE. So DuckDB computes exact inputs (sum, count, the operands — HUGEINT or
// DECIMAL) and the rest of the expression is evaluated here with Postgres' numeric rules. Only a top-level output
// column can be finished this way; the translator refuses these values anywhere DuckDB would have to use them.
import { PgError } from '../../route/local.js';
import { numeric, numericAvg, numericDiv, numericRound, numericText, numericVariance, type PgNumeric } from '../results/index.js';
import { toNumeric } from '../results/numeric.js';
import type { Ex } from './ex.js';

export type VarNode =
  | { k: 'leaf'; ex: Ex }
  /** avg: numeric_div(sum, count); `scale`: per-group display scale of the sum when it is not the DuckDB scale */
  | { k: 'avg'; sum: Ex; count: Ex; scale?: Ex }
  /** sum of numerics without declared scale: exact DECIMAL(38,18) sum shown with the inputs' largest scale */
  | { k: 'sum'; sum: Ex; scale: Ex }
  | { k: 'div' | 'add' | 'sub' | 'mul'; a: VarNode; b: VarNode }
  | { k: 'neg'; a: VarNode }
  | { k: 'round' | 'trunc'; a: VarNode; n: number }
  | { k: 'typmod'; a: VarNode; precision: number; scale: number }
  | { k: 'float8' | 'int4' | 'int8' | 'int2'; a: VarNode }
  | { k: 'coalesce'; items: VarNode[] }
  /**
   * var_samp/var_pop/stddev_*: count, Σu and Σu² for u = x·10^scale (an integer), where Σu² = Σ sq·2^shift
   * (u split into limbs whose products are summed apart, so each sum stays exact in HUGEINT)
   */
  | { k: 'var'; n: Ex; sx: Ex; sq: { ex: Ex; shift: number }[]; scale: number; sample: boolean; sqrt: boolean };

/** The DuckDB expressions a tree needs, in a fixed order (their values arrive as one STRUCT). */
export function varLeaves(n: VarNode, out: Ex[] = []): Ex[] {
  switch (n.k) {
    case 'leaf':
      out.push(n.ex);
      break;
    case 'avg':
      out.push(n.sum, n.count);
      if (n.scale) out.push(n.scale);
      break;
    case 'sum':
      out.push(n.sum, n.scale);
      break;
    case 'var':
      out.push(n.n, n.sx, ...n.sq.map((x) => x.ex));
      break;
    case 'coalesce':
      for (const x of n.items) varLeaves(x, out);
      break;
    case 'div':
    case 'add':
    case 'sub':
    case 'mul':
      varLeaves(n.a, out);
      varLeaves(n.b, out);
      break;
    default:
      varLeaves(n.a, out);
  }
  return out;
}

type Val = PgNumeric | null;

/** Evaluates the tree over the leaf values (in varLeaves order); null is SQL NULL. */
export function evalVar(n: VarNode, values: readonly unknown[]): PgNumeric | number | bigint | null {
  let i = 0;
  const next = () => values[i++];
  const go = (n: VarNode): Val => {
    switch (n.k) {
      case 'leaf': {
        const v = next();
        return v === null || v === undefined ? null : toNumeric(v);
      }
      case 'avg': {
        const s = next();
        const c = next();
        const sc = n.scale ? next() : undefined;
        if (s === null || s === undefined || c === null || c === undefined) return null;
        const sum = sc === undefined ? toNumeric(s) : numericRound(toNumeric(s), Number(sc));
        return numericAvg(sum, BigInt(c as bigint | number));
      }
      case 'var': {
        const c = next();
        const sx = next();
        const parts = n.sq.map(() => next());
        if (c === null || c === undefined || sx === null || sx === undefined) return null;
        return numericVariance(BigInt(c as bigint), BigInt(sx as bigint), squares(parts, n.sq.map((x) => x.shift)), n.scale, n.sample, n.sqrt);
      }
      case 'sum': {
        const s = next();
        const sc = next();
        if (s === null || s === undefined) return null;
        return numericRound(toNumeric(s), Number(sc ?? 0));
      }
      case 'div': {
        const a = go(n.a);
        const b = go(n.b);
        if (a === null || b === null) return null;
        return divide(a, b);
      }
      case 'add':
      case 'sub':
      case 'mul': {
        const a = go(n.a);
        const b = go(n.b);
        if (a === null || b === null) return null;
        return arith(n.k, a, b);
      }
      case 'neg': {
        const a = go(n.a);
        if (a === null) return null;
        return a.kind === 'finite' ? numeric(-a.unscaled, a.dscale) : a.kind === '+inf' ? { kind: '-inf' } : a.kind === '-inf' ? { kind: '+inf' } : a;
      }
      case 'round':
      case 'trunc': {
        const a = go(n.a);
        return a === null ? null : roundTo(a, n.n, n.k === 'trunc');
      }
      case 'coalesce': {
        // every item's leaves are consumed in order; the first non-NULL wins
        let r: Val = null;
        for (const x of n.items) {
          // like COALESCE, items after the first non-NULL are not evaluated (their leaves are skipped)
          if (r !== null) i += varLeaves(x).length;
          else r = go(x);
        }
        return r;
      }
      case 'typmod': {
        const a = go(n.a);
        return a === null ? null : applyTypmod(a, n.precision, n.scale);
      }
      default: {
        const a = go(n.a);
        return a;
      }
    }
  };
  const r = go(n);
  if (r === null) return null;
  switch (n.k) {
    case 'float8':
      return r.kind === 'finite' ? Number(numericText(r)) : r.kind === 'nan' ? NaN : r.kind === '+inf' ? Infinity : -Infinity;
    case 'int2':
    case 'int4':
    case 'int8':
      return toInteger(r, n.k);
    default:
      return r;
  }
}

/** Σu² from its parts: Σ part·2^shift (NULL parts: no rows) */
export function squares(parts: readonly unknown[], shifts: readonly number[]): bigint {
  let r = 0n;
  parts.forEach((v, i) => {
    if (v !== null && v !== undefined) r += BigInt(v as bigint | string) << BigInt(shifts[i]!);
  });
  return r;
}

function align(a: PgNumeric & { kind: 'finite' }, s: number): bigint {
  return a.unscaled * 10n ** BigInt(s - a.dscale);
}

/** numeric_div: NaN / anything is NaN (the special values are checked first), else a zero divisor is 22012. */
export function divide(a: PgNumeric, b: PgNumeric): PgNumeric {
  if (a.kind !== 'nan' && b.kind === 'finite' && b.unscaled === 0n) throw new PgError('22012', 'division by zero');
  return numericDiv(a, b);
}

export function arith(op: 'add' | 'sub' | 'mul', a: PgNumeric, b: PgNumeric): PgNumeric {
  if (a.kind !== 'finite' || b.kind !== 'finite') {
    // DuckDB never hands us NaN/Infinity numerics (DECIMAL cannot hold them); division results can be neither.
    return { kind: 'nan' };
  }
  if (op === 'mul') return numeric(a.unscaled * b.unscaled, a.dscale + b.dscale);
  const s = Math.max(a.dscale, b.dscale);
  return numeric(op === 'add' ? align(a, s) + align(b, s) : align(a, s) - align(b, s), s);
}

/** round(numeric, n) / trunc(numeric, n), n may be negative (rounds left of the point, dscale 0). */
export function roundTo(a: PgNumeric, n: number, trunc: boolean): PgNumeric {
  if (a.kind !== 'finite') return a;
  if (!trunc && n >= 0) return numericRound(a, n);
  if (n >= a.dscale) return numeric(align(a, n), n);
  const div = 10n ** BigInt(a.dscale - n);
  let q = a.unscaled / div; // truncates toward zero
  if (!trunc) {
    const r = a.unscaled % div;
    const twice = (r < 0n ? -r : r) * 2n;
    if (twice >= div) q += a.unscaled < 0n ? -1n : 1n;
  }
  if (n >= 0) return numeric(q, n);
  return numeric(q * 10n ** BigInt(-n), 0);
}

/** floor() / ceil() of a numeric: scale 0 (NaN and infinities stay what they are) */
export function floorOf(a: PgNumeric, floor: boolean): PgNumeric {
  if (a.kind !== 'finite') return a;
  const div = 10n ** BigInt(a.dscale);
  let q = a.unscaled / div; // truncates toward zero
  const r = a.unscaled % div;
  if (r !== 0n && (r < 0n) === floor) q += floor ? -1n : 1n;
  return numeric(q, 0);
}

/** apply_typmod: round to the scale, then the integer digits must fit precision - scale. */
export function applyTypmod(a: PgNumeric, precision: number, scale: number): PgNumeric {
  if (a.kind !== 'finite') {
    if (a.kind === 'nan') return a;
    throw new PgError('22003', 'numeric field overflow', 'ERROR', `A field with precision ${precision}, scale ${scale} cannot hold an infinite value.`);
  }
  const r = roundTo(a, scale, false);
  if (r.kind !== 'finite') return r;
  const abs = r.unscaled < 0n ? -r.unscaled : r.unscaled;
  const intDigits = abs === 0n ? 0 : Math.max(0, abs.toString().length - r.dscale);
  if (intDigits > precision - scale) {
    throw new PgError(
      '22003',
      'numeric field overflow',
      'ERROR',
      `A field with precision ${precision}, scale ${scale} must round to an absolute value less than 10^${precision - scale}.`,
    );
  }
  return r;
}

const INT_RANGE = {
  int2: [-(2n ** 15n), 2n ** 15n - 1n, 'smallint out of range'],
  int4: [-(2n ** 31n), 2n ** 31n - 1n, 'integer out of range'],
  int8: [-(2n ** 63n), 2n ** 63n - 1n, 'bigint out of range'],
} as const;

export function toInteger(a: PgNumeric, k: 'int2' | 'int4' | 'int8'): bigint {
  if (a.kind !== 'finite') throw new PgError('22003', `cannot convert ${a.kind === 'nan' ? 'NaN' : 'infinity'} to ${k === 'int2' ? 'smallint' : k === 'int4' ? 'integer' : 'bigint'}`);
  const r = roundTo(a, 0, false) as PgNumeric & { kind: 'finite' };
  const [lo, hi, msg] = INT_RANGE[k];
  if (r.unscaled < lo || r.unscaled > hi) throw new PgError('22003', msg);
  return r.unscaled;
}

/**
 * The same computation inside DuckDB, for values used where DuckDB must see them (WHERE, HAVING, ORDER BY,
 * subqueries): numerics travel as numeric_out text through exact JS functions (duck-functions.ts lg_num*).
 * The result is a numeric "without declared scale" (text), or float8/int for the casts.
 */
export function varSql(n: VarNode): string {
  const text = (e: Ex) => (e.scale === null && e.t.n === 'numeric' ? e.sql : `CAST(${e.sql} AS VARCHAR)`);
  switch (n.k) {
    case 'leaf':
      return text(n.ex);
    case 'avg': {
      // the scale is max(lg_num_scale(…)), a BIGINT in DuckDB
      const sum = n.scale ? `lg_numround(CAST(${n.sum.sql} AS VARCHAR), CAST(${n.scale.sql} AS INTEGER))` : text(n.sum);
      return `lg_numavg(${sum}, CAST(${n.count.sql} AS BIGINT))`;
    }
    case 'sum':
      return `lg_numround(CAST(${n.sum.sql} AS VARCHAR), CAST(${n.scale.sql} AS INTEGER))`;
    case 'var': {
      const parts = `concat_ws(',', ${n.sq.map((x) => `CAST(${x.ex.sql} AS VARCHAR)`).join(', ')})`;
      const shifts = `'${n.sq.map((x) => x.shift).join(',')}'`;
      return `lg_numvar(CAST(${n.n.sql} AS BIGINT), CAST(${n.sx.sql} AS VARCHAR), ${parts}, ${shifts}, ${n.scale}, ${(n.sample ? 1 : 0) + (n.sqrt ? 2 : 0)})`;
    }
    case 'div':
      return `lg_numdiv(${varSql(n.a)}, ${varSql(n.b)})`;
    case 'add':
    case 'sub':
    case 'mul':
      return `lg_numarith('${n.k}', ${varSql(n.a)}, ${varSql(n.b)})`;
    case 'neg':
      return `lg_numarith('neg', ${varSql(n.a)}, NULL)`;
    case 'round':
    case 'trunc':
      return `lg_num${n.k}(${varSql(n.a)}, ${n.n})`;
    case 'typmod':
      return `lg_numtypmod(${varSql(n.a)}, ${n.precision}, ${n.scale})`;
    case 'float8':
      return `CAST(${varSql(n.a)} AS DOUBLE)`;
    case 'int2':
    case 'int4':
    case 'int8':
      return `CAST(lg_numint(${varSql(n.a)}, '${n.k}') AS ${n.k === 'int2' ? 'SMALLINT' : n.k === 'int4' ? 'INTEGER' : 'BIGINT'})`;
    case 'coalesce':
      return `COALESCE(${n.items.map(varSql).join(', ')})`;
  }
}
