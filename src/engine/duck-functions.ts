// DuckDB helpers the translated SQL calls: macros giving Postgres' behaviour where DuckDB's built-ins differ
// (division by zero is an error, substr/lpad/split_part edge cases, LIMIT checks) and JS scalar functions for
// json/jsonb access (json-path.ts). Installed once per DuckDB instance; all names start with lg_.
import { BOOLEAN, DuckDBScalarFunction, INTEGER, LIST, VARCHAR, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { PgError } from '../route/local.js';
import { jsonArrayLength, jsonGet, jsonIndex, jsonPath, jsonTypeof } from './json-path.js';

/** Errors raised inside DuckDB carry their SQLSTATE in this form: `lakegate:<code>:<message>`. */
export const ERROR_TAG = 'lakegate:';

const err = (code: string, msg: string) => `error('${ERROR_TAG}${code}:${msg.replace(/'/g, "''")}')`;

const MACROS: string[] = [
  `lg_idiv(a, b) AS CASE WHEN b = 0 THEN ${err('22012', 'division by zero')} ELSE a // b END`,
  `lg_imod(a, b) AS CASE WHEN b = 0 THEN ${err('22012', 'division by zero')} WHEN b = -1 THEN a - a ELSE a % b END`,
  `lg_nmod(a, b) AS CASE WHEN b = 0 THEN ${err('22012', 'division by zero')} ELSE a % b END`,
  `lg_fnz(b) AS CASE WHEN b = 0 THEN ${err('22012', 'division by zero')} ELSE b END`,
  `lg_sqrt(x) AS CASE WHEN x < 0 THEN ${err('2201F', 'cannot take square root of a negative number')} ELSE sqrt(x) END`,
  // text_substring(): the window [start, start + len) clipped to the string
  `lg_substr3(s, a, n) AS CASE WHEN n < 0 THEN ${err('22011', 'negative substring length not allowed')} ` +
    `WHEN a + n <= 1 THEN '' ELSE substring(s, greatest(a, 1), a + n - greatest(a, 1)) END`,
  `lg_substr2(s, a) AS substring(s, greatest(a, 1))`,
  `lg_lpad(s, n, f) AS CASE WHEN n <= 0 THEN '' WHEN length(s) >= n THEN left(s, n) WHEN f = '' THEN s ELSE lpad(s, n, f) END`,
  `lg_rpad(s, n, f) AS CASE WHEN n <= 0 THEN '' WHEN length(s) >= n THEN left(s, n) WHEN f = '' THEN s ELSE rpad(s, n, f) END`,
  `lg_split_part(s, d, n) AS CASE WHEN n = 0 THEN ${err('22023', 'field position must not be zero')} ` +
    `WHEN d = '' THEN (CASE WHEN n = 1 OR n = -1 THEN s ELSE '' END) ELSE split_part(s, d, n) END`,
  // outside LC_CTYPE=C, libc and DuckDB case tables agree on ASCII only
  `lg_lower(s) AS CASE WHEN regexp_full_match(s, '[\\x00-\\x7F]*') THEN lower(s) ELSE ${err('0A000', 'lower() of non-ASCII text is not supported on lakegate mirrors')} END`,
  `lg_upper(s) AS CASE WHEN regexp_full_match(s, '[\\x00-\\x7F]*') THEN upper(s) ELSE ${err('0A000', 'upper() of non-ASCII text is not supported on lakegate mirrors')} END`,
  // interval text as Postgres prints it with IntervalStyle postgres: [N year[s]] [N mon[s]] [N day[s]] [[-]HH:MM:SS[.f]]
  `lg_pg_interval(s) AS to_months(coalesce(TRY_CAST(nullif(regexp_extract(s, '(-?\\d+) years?', 1), '') AS INTEGER), 0) * 12 ` +
    `+ coalesce(TRY_CAST(nullif(regexp_extract(s, '(-?\\d+) mons?', 1), '') AS INTEGER), 0)) ` +
    `+ to_days(coalesce(TRY_CAST(nullif(regexp_extract(s, '(-?\\d+) days?', 1), '') AS INTEGER), 0)) ` +
    `+ to_microseconds(CASE WHEN regexp_matches(s, '\\d+:\\d+:\\d+') THEN ` +
    `(CASE WHEN regexp_extract(s, '([+-]?)\\d+:\\d+:\\d+', 1) = '-' THEN -1 ELSE 1 END) * (` +
    `CAST(regexp_extract(s, '(\\d+):(\\d+):(\\d+)', 1) AS BIGINT) * 3600000000 + ` +
    `CAST(regexp_extract(s, '(\\d+):(\\d+):(\\d+)', 2) AS BIGINT) * 60000000 + ` +
    `CAST(regexp_extract(s, '(\\d+):(\\d+):(\\d+)', 3) AS BIGINT) * 1000000 + ` +
    `coalesce(TRY_CAST(nullif(rpad(regexp_extract(s, ':\\d+\\.(\\d+)', 1), 6, '0'), '000000') AS BIGINT), 0)) ELSE 0 END)`,
];

type Fn = (args: unknown[]) => unknown;

function udf(name: string, params: DuckDBType[], ret: DuckDBType, fn: Fn): DuckDBScalarFunction {
  return DuckDBScalarFunction.create({
    name,
    returnType: ret,
    parameterTypes: params,
    specialHandling: true,
    mainFunction: (info, input, output) => {
      const n = input.rowCount;
      const cols = params.map((_, i) => input.getColumnVector(i));
      try {
        for (let r = 0; r < n; r++) {
          const args = cols.map((c) => c.getItem(r));
          output.setItem(r, args[0] === null ? null : (fn(args) as never));
        }
        output.flush();
      } catch (e) {
        const code = e instanceof PgError ? e.code : 'XX000';
        info.setError(`${ERROR_TAG}${code}:${(e as Error).message}`);
      }
    },
  });
}

function listItems(v: unknown): (string | null)[] {
  const items = (v as { items?: unknown[] } | null)?.items ?? [];
  return items.map((x) => (x === null || x === undefined ? null : String(x)));
}

const UDFS = (): DuckDBScalarFunction[] => [
  udf('lg_json_get', [VARCHAR, VARCHAR, BOOLEAN, BOOLEAN], VARCHAR, ([j, k, t, b]) =>
    k === null ? null : jsonGet(j as string, k as string, t as boolean, b as boolean),
  ),
  udf('lg_json_index', [VARCHAR, INTEGER, BOOLEAN, BOOLEAN], VARCHAR, ([j, k, t, b]) =>
    k === null ? null : jsonIndex(j as string, k as number, t as boolean, b as boolean),
  ),
  udf('lg_json_path', [VARCHAR, LIST(VARCHAR), BOOLEAN, BOOLEAN], VARCHAR, ([j, p, t, b]) =>
    p === null ? null : jsonPath(j as string, listItems(p), t as boolean, b as boolean),
  ),
  udf('lg_json_typeof', [VARCHAR], VARCHAR, ([j]) => jsonTypeof(j as string)),
  udf('lg_json_array_length', [VARCHAR, BOOLEAN], INTEGER, ([j, b]) => jsonArrayLength(j as string, b as boolean)),
];

const installed = new WeakSet<object>();

/** Creates the lg_* macros and functions in the instance behind `conn` (once per instance). */
export async function installFunctions(conn: DuckDBConnection, instanceKey: object): Promise<void> {
  if (installed.has(instanceKey)) return;
  for (const m of MACROS) await conn.run(`CREATE OR REPLACE MACRO ${m}`);
  for (const f of UDFS()) conn.registerScalarFunction(f);
  installed.add(instanceKey);
}
