// DuckDB errors → the error Postgres raises for the same condition. Errors our own helpers raise carry their
// SQLSTATE (duck-functions.ts ERROR_TAG); the common runtime ones are recognised by DuckDB's wording.
import { PgError } from '../route/local.js';
import { DETAIL_MARK, ERROR_TAG } from './duck-functions.js';

/** The error a one-call reader-view check raises in DuckDB when the view guessed for a mirror is not the current one. */
export const STALE_CHOICE = 'lakegate: stale reader view choice';

const INT_NAMES: Record<string, string> = { INT16: 'smallint', INT32: 'integer', INT64: 'bigint', INT128: 'numeric' };

export function pgErrorOf(e: unknown): PgError {
  if (e instanceof PgError) return e;
  const msg = (e as Error)?.message ?? String(e);
  const tag = msg.indexOf(ERROR_TAG);
  if (tag >= 0) {
    const rest = msg.slice(tag + ERROR_TAG.length);
    const code = rest.slice(0, 5);
    let text = rest.slice(6);
    const nl = text.indexOf('\n');
    if (nl >= 0) text = text.slice(0, nl);
    const d = text.indexOf(DETAIL_MARK);
    if (d >= 0) return new PgError(code, text.slice(0, d).trim(), 'ERROR', text.slice(d + 1).trim());
    return new PgError(code, text.trim());
  }
  if (/INTERRUPT|Interrupted/.test(msg)) return new PgError('57014', 'canceling statement due to user request');
  // array_agg/string_agg(DISTINCT x) are sorted by x as Postgres sorts them; DuckDB binds that ORDER BY only when it
  // can tell it equals the argument, which it never can for an expression holding a checked operation
  if (/In a DISTINCT aggregate, ORDER BY expressions must appear in the argument list/.test(msg)) {
    return new PgError('0A000', 'DISTINCT aggregates over this expression are not supported on lakegate mirrors');
  }
  // Postgres' numeric has no 38-digit limit (casts to numeric(p,s) raise its own 22003 through lg_typmod_slow)
  if (/Could not cast value .* to DECIMAL|DECIMAL.*out of range|Overflow in .*DECIMAL|exceeds the maximum width|Overflow in HUGEINT/i.test(msg)) {
    return new PgError('0A000', 'numeric values of more than 38 digits are not supported on lakegate mirrors');
  }
  // DuckDB's timestamps end in the year 294247, Postgres' in 294276: arithmetic past DuckDB's end (which Postgres may
  // still answer, or refuse with its own 22008 further on) is refused
  if (/Date and time not in timestamp range/.test(msg)) {
    return new PgError('0A000', 'timestamps past the year 294247 are not supported on lakegate mirrors');
  }
  let m = /Overflow in (?:addition|subtraction|multiplication|division|negation) of (INT16|INT32|INT64|INT128)/.exec(msg);
  if (m) return overflow(m[1]!);
  m = /Overflow in (?:division|multiplication|addition|subtraction)/.exec(msg);
  if (m) return new PgError('22003', 'integer out of range');
  m = /value out of range for the destination type (INT16|INT32|INT64)|Type .* with value .* can't be cast .* destination type (INT16|INT32|INT64)/.exec(msg);
  if (m) return overflow((m[1] ?? m[2])!);
  if (/More than one row returned by a subquery/.test(msg)) {
    return new PgError('21000', 'more than one row returned by a subquery used as an expression');
  }
  return new PgError('XX000', `lakegate: DuckDB could not run the query: ${firstLine(msg)}`);
}

function overflow(t: string): PgError {
  const n = INT_NAMES[t] ?? 'integer';
  return new PgError('22003', n === 'numeric' ? 'numeric field overflow' : `${n} out of range`);
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
