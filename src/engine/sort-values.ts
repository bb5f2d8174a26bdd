// Comparison of result values in JS, for the rare ORDER BY the engine finishes itself (over avg()/numeric
// division results): Postgres' order for numerics (exact), numbers, text in code-point order (the translator only
// sorts text under such collations), booleans and DuckDB date/time values.
import { DuckDBDecimalValue } from '@duckdb/node-api';
import type { PgNumeric } from './results/index.js';
import { toNumeric } from './results/numeric.js';

function isNumeric(v: unknown): v is PgNumeric {
  return typeof v === 'object' && v !== null && 'kind' in v;
}

function cmpNumeric(a: PgNumeric, b: PgNumeric): number {
  // NaN sorts above everything, then +Infinity; -Infinity below all
  const rank = (n: PgNumeric) => (n.kind === 'nan' ? 3 : n.kind === '+inf' ? 2 : n.kind === '-inf' ? -2 : 0);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== 0 || rb !== 0) return Math.sign(ra - rb);
  const x = a as PgNumeric & { kind: 'finite' };
  const y = b as PgNumeric & { kind: 'finite' };
  const s = Math.max(x.dscale, y.dscale);
  const ax = x.unscaled * 10n ** BigInt(s - x.dscale);
  const by = y.unscaled * 10n ** BigInt(s - y.dscale);
  return ax < by ? -1 : ax > by ? 1 : 0;
}

function cmpFloat(a: number, b: number): number {
  // float8 order: NaN above all numbers, -0 = 0
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareValues(a: unknown, b: unknown): number {
  if (isNumeric(a) || isNumeric(b) || a instanceof DuckDBDecimalValue || b instanceof DuckDBDecimalValue) {
    return cmpNumeric(toNumeric(a), toNumeric(b));
  }
  if (typeof a === 'number' && typeof b === 'number') return cmpFloat(a, b);
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint | number);
    const y = BigInt(b as bigint | number);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const key = (v: unknown): bigint | number | null => {
    const o = v as { micros?: bigint; days?: number; nanos?: bigint };
    if (o && typeof o === 'object') {
      if (typeof o.micros === 'bigint') return o.micros;
      if (typeof o.days === 'number') return o.days;
      if (typeof o.nanos === 'bigint') return o.nanos;
    }
    return null;
  };
  const ka = key(a);
  const kb = key(b);
  if (ka !== null && kb !== null) return ka < kb ? -1 : ka > kb ? 1 : 0;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}
