// Integer + - *, unary minus and abs() with Postgres' overflow errors. DuckDB checks its own integer arithmetic,
// but its optimizer rewrites some forms before they run: sum(x + c) becomes sum(x) + c·count(x) (sum_rewriter)
// and `x + c > k` becomes `x > k - c` (constants moved across a comparison), so a row Postgres fails on would be
// counted or filtered instead. Here the operation runs one size wider and a range check narrows it back: a CASE
// those rewrites do not see through (a plain narrowing CAST is itself moved onto the constant).
import { ERROR_TAG } from '../duck-functions.js';

type IntName = 'int2' | 'int4' | 'int8';

const SIZES: Record<IntName, { ty: string; wide: string; min: string; max: string; name: string }> = {
  int2: { ty: 'SMALLINT', wide: 'INTEGER', min: '-32768', max: '32767', name: 'smallint' },
  int4: { ty: 'INTEGER', wide: 'BIGINT', min: '-2147483648', max: '2147483647', name: 'integer' },
  int8: { ty: 'BIGINT', wide: 'HUGEINT', min: '-9223372036854775808', max: '9223372036854775807', name: 'bigint' },
};

/** `wide` (an expression of t's wider type) back in t, or Postgres' "<type> out of range" */
function narrow(t: IntName, wide: string): string {
  const s = SIZES[t];
  // NOT (NULL BETWEEN …) is NULL: NULL passes through
  return `(CASE WHEN NOT (${wide} BETWEEN ${s.min} AND ${s.max}) THEN error('${ERROR_TAG}22003:${s.name} out of range') ` +
    `ELSE CAST(${wide} AS ${s.ty}) END)`;
}

/** a op b for integers of type t (op: + - *) */
export function checkedIntOp(t: IntName, op: '+' | '-' | '*', a: string, b: string): string {
  const w = SIZES[t].wide;
  return narrow(t, `(CAST(${a} AS ${w}) ${op} CAST(${b} AS ${w}))`);
}

export function checkedIntNeg(t: IntName, a: string): string {
  return narrow(t, `(- CAST(${a} AS ${SIZES[t].wide}))`);
}

export function checkedIntAbs(t: IntName, a: string): string {
  return narrow(t, `abs(CAST(${a} AS ${SIZES[t].wide}))`);
}
