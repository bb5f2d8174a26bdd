// Postgres statement (libpg_query AST) → DuckDB SQL over mirrors and fetched Postgres tables, with the Postgres
// type of every output column. Unsupported constructs throw NotSupported (SQLSTATE 0A000).
import { compileExpr } from './expr.js';
import { compileQuery, type JsSort } from './select.js';
import { Aliases, type Scope } from './scope.js';
import { node, type ExprCtx, type Obj, type OutCol, type QueryOut, type Tr } from './translator.js';
import type { TranslateEnv } from './context.js';
import { notSupported } from './errors.js';

export interface Translation {
  /** DuckDB SELECT; output columns c1 … cn, then `hidden` sort keys */
  sql: string;
  cols: OutCol[];
  hidden: number;
  jsSort: JsSort | null;
}

class Translator implements Tr {
  readonly aliases = new Aliases();
  collated = false;
  constructor(readonly env: TranslateEnv) {}
  expr(n: unknown, sc: Scope, cx: ExprCtx) {
    return compileExpr(this, n, sc, cx);
  }
  query(stmt: Obj, outer: Scope | null): QueryOut {
    const [k, b] = node(stmt);
    if (k !== 'SelectStmt') return notSupported(k);
    return compileQuery(this, b, outer);
  }
}

/** Translates one SELECT statement node ({SelectStmt: …}). */
export function translateSelect(stmt: unknown, env: TranslateEnv): Translation {
  const [k, b] = node(stmt);
  if (k !== 'SelectStmt') return notSupported(`${k} on mirrors`);
  const tr = new Translator(env);
  const q = compileQuery(tr, b, null, true);
  return { sql: q.sql, cols: q.cols, hidden: q.hidden, jsSort: q.jsSort };
}

export { NotSupported, notSupported, FEATURE_NOT_SUPPORTED } from './errors.js';
export type { TranslateEnv, MirrorRelation, PgTableUse, SessionState, SourceColumn } from './context.js';
export { constKey } from './context.js';
export type { OutCol } from './translator.js';
export type { JsSort } from './select.js';
export { fromOid, oidOf, typeName, duckType, type PgT } from './pg-type.js';
export { upstreamConstSql, readUpstreamConst, localConst, type Const } from './literal.js';
export { evalVar, varLeaves } from './var-numeric.js';
