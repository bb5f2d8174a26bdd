// Filters pushed into the fetch of an ordinary Postgres table read next to a mirror: WHERE conjuncts that compare
// one of its columns with constants. They are re-rendered as Postgres SQL (Postgres evaluates them, so their
// meaning is Postgres' own) and kept in the DuckDB query as well. Only strict predicates qualify — ones that are
// never true for NULL — so pre-filtering the nullable side of an outer join cannot change the result.
import type { Col, Scope } from './scope.js';
import { list, node, strings, type Obj } from './translator.js';
import type { PgTableUse } from './context.js';
import { listItems } from './expr.js';

const OPS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

export function pushdownFilter(where: unknown, sc: Scope): void {
  for (const c of conjuncts(where)) {
    const r = render(c, sc);
    if (r && r.use.filters !== null) r.use.filters.push(r.sql);
  }
}

function conjuncts(n: unknown): unknown[] {
  const [k, b] = node(n);
  if (k === 'BoolExpr' && b.boolop === 'AND_EXPR') return list(b.args).flatMap(conjuncts);
  return [n];
}

interface Rendered {
  use: PgTableUse;
  sql: string;
}

/** the Postgres text of a simple predicate on one table column, or null */
function render(n: unknown, sc: Scope): Rendered | null {
  const [k, b] = node(n);
  let target: { use: PgTableUse; col: string } | null = null;
  const col = (v: unknown): string | null => {
    const [ck, cb] = node(v);
    if (ck !== 'ColumnRef') return null;
    const parts = strings(cb.fields);
    if (parts.includes('*')) return null;
    let c: Col;
    try {
      const r = sc.column(parts);
      if (r.levelsUp !== 0) return null;
      c = r.col;
    } catch {
      return null;
    }
    if (!c.pg) return null;
    if (target && target.use !== c.pg.use) return null;
    target = { use: c.pg.use, col: quoteIdent(c.pg.use.columns[c.pg.index]!.name) };
    return target.col;
  };
  let sql: string | null = null;
  if (k === 'A_Expr') {
    const op = strings(b.name).pop()!;
    if (b.kind === 'AEXPR_OP' && OPS.has(op) && b.lexpr) {
      const l = col(b.lexpr) ?? constant(b.lexpr);
      const r = col(b.rexpr) ?? constant(b.rexpr);
      if (l && r) sql = `${l} ${op} ${r}`;
    } else if (b.kind === 'AEXPR_IN' && op === '=') {
      const l = col(b.lexpr);
      const items = listItems(b.rexpr).map(constant);
      if (l && items.every((x) => x !== null)) sql = `${l} IN (${items.join(', ')})`;
    } else if (b.kind === 'AEXPR_BETWEEN') {
      const l = col(b.lexpr);
      const [lo, hi] = listItems(b.rexpr).map(constant);
      if (l && lo && hi) sql = `${l} BETWEEN ${lo} AND ${hi}`;
    } else if (b.kind === 'AEXPR_LIKE' && op === '~~') {
      const l = col(b.lexpr);
      const p = constant(b.rexpr);
      if (l && p) sql = `${l} LIKE ${p}`;
    }
  } else if (k === 'NullTest' && b.nulltesttype === 'IS_NOT_NULL') {
    const l = col(b.arg);
    if (l) sql = `${l} IS NOT NULL`;
  }
  if (!sql || !target) return null;
  return { use: (target as { use: PgTableUse }).use, sql: `(${sql})` };
}

/** a constant as Postgres SQL, or null */
function constant(v: unknown): string | null {
  const [k, b] = node(v);
  if (k === 'A_Const') {
    if (b.isnull) return null;
    if (b.ival !== undefined) return String(((b.ival as Obj).ival as number | undefined) ?? 0);
    if (b.fval !== undefined) return (b.fval as Obj).fval as string;
    if (b.boolval !== undefined) return ((b.boolval as Obj).boolval as boolean | undefined) ? 'true' : 'false';
    if (b.sval !== undefined) return quoteLiteral(((b.sval as Obj).sval as string | undefined) ?? '');
    return null;
  }
  if (k === 'TypeCast') {
    const inner = constant(b.arg);
    const ty = typeSql(b.typeName as Obj);
    if (!inner || !ty) return null;
    return `${inner}::${ty}`;
  }
  return null;
}

function typeSql(tn: Obj): string | null {
  const names = strings(tn.names);
  if (!names.every((n) => /^[a-z_][a-z0-9_]*$/.test(n))) return null;
  const mods = list(tn.typmods).map((m) => {
    const c = (m as Obj).A_Const as Obj | undefined;
    return c?.ival !== undefined ? String(((c.ival as Obj).ival as number | undefined) ?? 0) : null;
  });
  if (mods.some((m) => m === null)) return null;
  const arr = list(tn.arrayBounds).length > 0 ? '[]' : '';
  return names.join('.') + (mods.length ? `(${mods.join(',')})` : '') + arr;
}

export function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

export function quoteLiteral(s: string): string {
  // E'' spelling keeps the value whatever standard_conforming_strings says
  return `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
