// A translated expression: the DuckDB SQL that computes it, and the Postgres type (and numeric display scale)
// of its value. Every DuckDB fragment is parenthesised by its producer, so fragments compose without any
// reliance on DuckDB's operator precedence.
import type { PgT } from './pg-type.js';
import type { VarNode } from './var-numeric.js';

export interface Literal {
  kind: 'string' | 'number' | 'null' | 'bool';
  /** literal text as written (string contents, number digits, 'true'/'false') */
  text: string;
}

export interface Ex {
  sql: string;
  t: PgT;
  /**
   * numeric only: the display scale (dscale) every value has — equal to the DuckDB DECIMAL scale; null when it
   * differs per value (unconstrained numeric). Ignored for other types.
   */
  scale: number | null;
  /** set for constants the context may still type (unknown-typed string literals, NULL) */
  lit?: Literal;
  /** contains an aggregate call of this query level */
  agg: boolean;
  /** contains a window function call */
  win: boolean;
  /** an avg()/numeric division result finished in JS: only a top-level output column may carry one */
  v?: VarNode;
  /** a set-returning function call (expands rows) */
  srf?: boolean;
  /**
   * an int2 mirror column: the same value as the INTEGER it is stored as (`sql` narrows it to SMALLINT). Used
   * when the value is widened again (int2 compared with int4): DuckDB cannot push a filter through the narrowing
   * cast into the Parquet scan. Valid only while the Ex's sql is still `of` (copies with other SQL keep it).
   */
  wide?: { of: string; sql: string };
}

export function ex(sql: string, t: PgT, o: Partial<Omit<Ex, 'sql' | 't'>> = {}): Ex {
  return { sql, t, scale: o.scale ?? null, agg: o.agg ?? false, win: o.win ?? false, ...(o.lit ? { lit: o.lit } : {}), ...(o.v ? { v: o.v } : {}) };
}

/** flags of the operands carried to a combined expression */
export function flags(...xs: Ex[]): { agg: boolean; win: boolean } {
  return { agg: xs.some((x) => x.agg), win: xs.some((x) => x.win) };
}

/** SQL string literal for DuckDB (standard quoting; DuckDB does not treat backslash specially). */
export function str(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Quoted identifier for DuckDB. */
export function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
