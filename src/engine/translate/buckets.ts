// Histogram and time buckets: width_bucket() and date_bin(). Both are computed the way Postgres computes them
// (float.c, numeric.c, timestamp.c), with their errors raised per row as Postgres raises them; the DuckDB macros
// they expand to are in duck-functions.ts.
import { coerce } from './cast.js';
import { ex, type Ex } from './ex.js';
import { notSupported } from './errors.js';
import { numericText } from './expr.js';
import { FLOAT8, INT4, INTERVAL, isFloat, isInt, isNumber, NUMERIC, TIMESTAMP, TIMESTAMPTZ, typeName, type PgT } from './pg-type.js';
import type { Tr } from './translator.js';

type Flags = { agg: boolean; win: boolean };

const numberLike = (e: Ex) => isNumber(e.t) || (!e.t.arr && e.t.n === 'unknown');

/**
 * width_bucket(operand, low, high, count). Postgres has a float8 and a numeric version; like its function
 * resolution, a float argument (or integers only) picks float8, a numeric one picks numeric. The float8 version
 * is IEEE arithmetic, the same in DuckDB. The numeric version is an exact floor of (x − low)·count / (high − low):
 * for declared scales DuckDB computes it on integers scaled to the common scale, as long as they are small enough
 * for HUGEINT; other values (and numerics without a declared scale) are computed in JS.
 */
export function widthBucket(tr: Tr, args: Ex[], f: Flags): Ex {
  if (args.length !== 4 || !args.slice(0, 3).every(numberLike) || !(isInt(args[3]!.t) || args[3]!.t.n === 'unknown') || args[3]!.t.arr) {
    return notSupported(`width_bucket(${args.map((x) => typeName(x.t)).join(', ')})`);
  }
  const count = coerce(tr.env, args[3]!, INT4, false).sql;
  const bounds = args.slice(0, 3);
  const numeric = bounds.some((x) => x.t.n === 'numeric') && !bounds.some((x) => isFloat(x.t));
  if (!numeric) {
    const [x, lo, hi] = bounds.map((e) => `CAST(${coerce(tr.env, e, FLOAT8, false).sql} AS DOUBLE)`);
    return ex(`lg_width_bucket(${x}, ${lo}, ${hi}, ${count})`, INT4, { scale: 0, ...f });
  }
  const [x, lo, hi] = bounds.map((e) => coerce(tr.env, e, NUMERIC, false)) as [Ex, Ex, Ex];
  const viaJs = `lg_numwidth_bucket(${numericText(x)}, ${numericText(lo)}, ${numericText(hi)}, ${count})`;
  if (x.scale === null || lo.scale === null || hi.scale === null) return ex(viaJs, INT4, { scale: 0, ...f });
  const s = Math.max(x.scale, lo.scale, hi.scale);
  // below 10^(26 − s) the scaled values keep ≤ 26 digits, their difference times count (< 2^31) fits HUGEINT
  if (s > 20) return ex(viaJs, INT4, { scale: 0, ...f });
  const limit = `CAST('1e${26 - s}' AS DOUBLE)`;
  const scaled = (e: Ex) => `CAST(${e.sql} * CAST('1${'0'.repeat(s)}' AS HUGEINT) AS HUGEINT)`;
  const small = [x, lo, hi].map((e) => `abs(CAST(${e.sql} AS DOUBLE)) < ${limit}`).join(' AND ');
  return ex(
    `(CASE WHEN ${small} THEN lg_wb_scaled(${scaled(x)}, ${scaled(lo)}, ${scaled(hi)}, ${count}) ELSE ${viaJs} END)`,
    INT4,
    { scale: 0, ...f },
  );
}

/**
 * date_bin(stride, source, origin): origin plus whole strides, rounded down. timestamp or timestamptz as
 * Postgres resolves it (a timestamptz argument, or dates and literals only, pick timestamptz); the arithmetic
 * is on microseconds either way, so the session zone plays no part.
 */
export function dateBin(tr: Tr, args: Ex[], f: Flags): Ex {
  const ok = (e: Ex, ...ns: string[]) => !e.t.arr && (ns.includes(e.t.n) || e.t.n === 'unknown');
  if (args.length !== 3 || !ok(args[0]!, 'interval') || !args.slice(1).every((e) => ok(e, 'timestamp', 'timestamptz', 'date'))) {
    return notSupported(`date_bin(${args.map((x) => typeName(x.t)).join(', ')})`);
  }
  const kinds = args.slice(1).map((e) => e.t.n);
  const t: PgT = kinds.includes('timestamptz') || !kinds.includes('timestamp') ? TIMESTAMPTZ : TIMESTAMP;
  const [stride, source, origin] = [coerce(tr.env, args[0]!, INTERVAL, false), ...args.slice(1).map((e) => coerce(tr.env, e, t, false))] as [Ex, Ex, Ex];
  const fn = t === TIMESTAMPTZ ? 'lg_date_bin_tz' : 'lg_date_bin_ts';
  return ex(`${fn}(${stride.sql}, ${source.sql}, ${origin.sql})`, t, f);
}
