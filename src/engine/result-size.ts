// Which statements return few rows, read from their Postgres AST. DuckDB streams a result only from a prepared
// statement, and a prepared statement over the mirrors' read_parquet views is bound again when it runs: preparing
// then streaming costs the (parquet-metadata-heavy) bind twice. A result known to be small is produced in one
// call instead, materialised; anything else keeps streaming, so large results stay bounded in memory.
import { AGGREGATES } from './translate/funcs.js';

type Obj = Record<string, unknown>;

/** LIMIT at most this many rows counts as small */
const SMALL_LIMIT = 10_000n;

/** the translator's plain aggregates, and the ordered-set ones it handles (WITHIN GROUP) */
const isAggregate = (name: string) => AGGREGATES.has(name) || name === 'percentile_cont' || name === 'percentile_disc' || name === 'mode';

/** functions that may return several rows per call */
const SET_RETURNING =
  /^(unnest|generate_series|generate_subscripts|regexp_matches|regexp_split_to_table|string_to_table|jsonb?_array_elements(_text)?|jsonb?_each(_text)?|jsonb?_object_keys|jsonb?_populate_recordset|jsonb?_to_recordset)$/;

/** true when the SELECT (a `{SelectStmt: …}` node) returns at most SMALL_LIMIT rows whatever the data */
export function smallResult(query: unknown): boolean {
  const s = (query as Obj | null)?.SelectStmt as Obj | undefined;
  if (!s) return false;
  const limit = constLimit(s.limitCount);
  if (limit !== null && limit <= SMALL_LIMIT) return true;
  // an aggregate without GROUP BY gives one row (zero with HAVING)
  if (s.op !== 'SETOP_NONE' || s.groupClause || s.windowClause || !Array.isArray(s.targetList)) return false;
  const found = { agg: false, other: false };
  for (const t of s.targetList as Obj[]) walk((t.ResTarget as Obj | undefined)?.val, found);
  return found.agg && !found.other;
}

function constLimit(n: unknown): bigint | null {
  const c = (n as Obj | undefined)?.A_Const as Obj | undefined;
  if (!c || c.isnull) return null;
  const iv = c.ival as Obj | undefined;
  if (!iv) return null;
  return BigInt((iv.ival as number | undefined) ?? 0);
}

/** finds aggregate calls; `other`: a window call or a function that may return a set (rows per input row) */
function walk(n: unknown, found: { agg: boolean; other: boolean }): void {
  if (Array.isArray(n)) {
    for (const x of n) walk(x, found);
    return;
  }
  if (!n || typeof n !== 'object') return;
  const o = n as Obj;
  // a subquery is one value here, whatever it reads
  if (o.SubLink) return;
  const f = o.FuncCall as Obj | undefined;
  if (f) {
    const names = (f.funcname as Obj[]).map((x) => (x.String as Obj).sval as string);
    const name = names[names.length - 1]!;
    if (f.over || SET_RETURNING.test(name)) {
      found.other = true;
      return;
    }
    if (isAggregate(name)) {
      found.agg = true;
      return;
    }
  }
  for (const v of Object.values(o)) walk(v, found);
}

