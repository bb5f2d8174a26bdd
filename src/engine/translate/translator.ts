// Shared shapes of one translation: the translator handle the expression and query compilers call each other
// through, the context an expression is translated in, and a translated query's output.
import type { CaseRules, TranslateEnv } from './context.js';
import type { Ex } from './ex.js';
import type { Aliases, Scope } from './scope.js';

export type Obj = Record<string, unknown>;

export interface ExprCtx {
  /** clause, for messages ('WHERE', 'GROUP BY' …) */
  what: string;
  /** aggregates allowed here */
  agg: boolean;
  /** window functions allowed here */
  win: boolean;
  /** avg()/numeric division finished in JS allowed (a top-level output column) */
  var: boolean;
  /** inside an aggregate's arguments */
  inAgg?: boolean;
  /** WINDOW clause definitions of the current SELECT */
  windows?: Map<string, Obj>;
  /** a set-returning function may stand here (the top of a select-list entry) */
  srf?: boolean;
}

export interface OutCol {
  /** column name Postgres would report (the describe result is authoritative; this is for name lookups) */
  name: string;
  ex: Ex;
}

export interface QueryOut {
  /** DuckDB SELECT whose columns are named c1 … cn */
  sql: string;
  cols: OutCol[];
}

export interface Tr {
  env: TranslateEnv;
  aliases: Aliases;
  /** a COLLATE clause was compiled: its collation may reach expressions that do not carry it (caseRulesFor) */
  collated: boolean;
  expr(node: unknown, sc: Scope, cx: ExprCtx): Ex;
  /** a nested query (subquery, CTE body, derived table) seeing `outer` for correlated references */
  query(stmt: Obj, outer: Scope | null): QueryOut;
}

/** unwrap a one-key node `{Type: body}` */
export function node(v: unknown): [string, Obj] {
  const o = v as Obj;
  const k = Object.keys(o)[0]!;
  return [k, o[k] as Obj];
}

export function strings(list: unknown): string[] {
  return ((list as Obj[] | undefined) ?? []).map((n) => {
    const [k, b] = node(n);
    if (k === 'String') return b.sval as string;
    if (k === 'A_Star') return '*';
    return '?';
  });
}

export function list(v: unknown): Obj[] {
  return (v as Obj[] | undefined) ?? [];
}

/**
 * The case rules lower()/upper()/initcap(), ILIKE and ~* follow for these operands: an explicit COLLATE "C"
 * (or POSIX, ucs_basic) on one of them makes it ASCII; a COLLATE elsewhere in the statement may have reached
 * them through an operator, which is not followed, so they count as mixed (refused); else the session's.
 */
export function caseRulesFor(tr: Tr, ...args: Ex[]): CaseRules {
  if (args.some((a) => (a as { collateC?: boolean }).collateC)) return 'ascii';
  if (tr.collated) return 'mixed';
  return tr.env.session.caseRules;
}
