// OVER clauses and ORDER BY lists. Null ordering is always written out (Postgres: NULLS LAST for ASC, NULLS FIRST
// for DESC; DuckDB's default differs), named windows are inlined, frames are emitted from PG's frameOptions bits.
import type { Ex } from './ex.js';
import { notSupported } from './errors.js';
import { compareForm, compileExpr, plain } from './expr.js';
import { coerce } from './cast.js';
import { INT8, isFloat, isString, typeName } from './pg-type.js';
import type { Scope } from './scope.js';
import { list, type ExprCtx, type Obj, type Tr } from './translator.js';

// parsenodes.h FRAMEOPTION_*
const F = {
  NONDEFAULT: 0x1,
  RANGE: 0x2,
  ROWS: 0x4,
  GROUPS: 0x8,
  BETWEEN: 0x10,
  START_UNBOUNDED_PRECEDING: 0x20,
  END_UNBOUNDED_PRECEDING: 0x40,
  START_UNBOUNDED_FOLLOWING: 0x80,
  END_UNBOUNDED_FOLLOWING: 0x100,
  START_CURRENT_ROW: 0x200,
  END_CURRENT_ROW: 0x400,
  START_OFFSET_PRECEDING: 0x800,
  END_OFFSET_PRECEDING: 0x1000,
  START_OFFSET_FOLLOWING: 0x2000,
  END_OFFSET_FOLLOWING: 0x4000,
  EXCLUDE_CURRENT_ROW: 0x8000,
  EXCLUDE_GROUP: 0x10000,
  EXCLUDE_TIES: 0x20000,
};

/** The sort key SQL of one ORDER BY item with Postgres' direction and null placement. */
export function sortItem(tr: Tr, e0: Ex, sb: Obj): string {
  const e = plain(e0, 'in ORDER BY');
  checkSortable(tr, e);
  if (sb.useOp) return notSupported('ORDER BY … USING');
  const desc = sb.sortby_dir === 'SORTBY_DESC';
  const nulls = sb.sortby_nulls === 'SORTBY_NULLS_FIRST' ? 'FIRST' : sb.sortby_nulls === 'SORTBY_NULLS_LAST' ? 'LAST' : desc ? 'FIRST' : 'LAST';
  return `${sortForm(e)} ${desc ? 'DESC' : 'ASC'} NULLS ${nulls}`;
}

/**
 * What to sort by. DuckDB's sort rebuilds an ORDER BY column that is also an output from its sort key, where a
 * float's -0 has become 0: a float sorts by a key of its own (−0 and 0 sort as equal, as in Postgres).
 */
export function sortForm(e: Ex): string {
  if (isFloat(e.t) && !e.t.arr) return `(CASE WHEN ${e.sql} = 0 THEN 0 ELSE ${e.sql} END)`;
  return compareForm(e);
}

export function checkSortable(tr: Tr, e: Ex): void {
  if (e.t.arr) notSupported('ordering by arrays');
  if (e.t.n === 'json' || e.t.n === 'jsonb') notSupported(`ordering by ${typeName(e.t)}`);
  if ((isString(e.t) || e.t.n === 'unknown') && !tr.env.session.codePointCollation && !(e as { collateC?: boolean }).collateC) {
    notSupported('ordering text under a non-C collation');
  }
}

/** `ORDER BY a ASC NULLS LAST, …` for aggregate and window ORDER BY lists (expressions over input columns). */
export function sortClause(tr: Tr, items: Obj[], sc: Scope, cx: ExprCtx, kw: string): string {
  const parts = items.map((it) => {
    const sb = (it as Obj).SortBy as Obj;
    return sortItem(tr, compileExpr(tr, sb.node, sc, cx), sb);
  });
  return `${kw} ${parts.join(', ')}`;
}

/** `(PARTITION BY … ORDER BY … <frame>)` for an OVER clause. */
export function windowSql(tr: Tr, over: Obj, sc: Scope, cx: ExprCtx): string {
  let def = over;
  const named = (name: string) => {
    const w = cx.windows?.get(name);
    if (!w) return notSupported(`window "${name}"`);
    return w;
  };
  if (over.name && !over.partitionClause && !over.orderClause && !over.refname) def = named(over.name as string);
  else if (over.refname) {
    const base = named(over.refname as string);
    def = { ...over, partitionClause: base.partitionClause, orderClause: over.orderClause ?? base.orderClause };
    if (!over.frameOptions || !((over.frameOptions as number) & F.NONDEFAULT)) def.frameOptions = base.frameOptions;
  }
  const wcx: ExprCtx = { ...cx, win: false, var: false, what: 'window definitions' };
  const parts: string[] = [];
  const part = list(def.partitionClause).map((p) => {
    const e = plain(compileExpr(tr, p, sc, wcx), 'in PARTITION BY');
    if (e.t.n === 'json' || e.t.n === 'jsonb') notSupported(`partitioning by ${e.t.n}`);
    return compareForm(e);
  });
  if (part.length) parts.push(`PARTITION BY ${part.join(', ')}`);
  const order = list(def.orderClause);
  if (order.length) parts.push(sortClause(tr, order, sc, wcx, 'ORDER BY'));
  const fo = (def.frameOptions as number | undefined) ?? 0;
  if (fo & F.NONDEFAULT) parts.push(frame(tr, fo, def, sc, wcx));
  return `(${parts.join(' ')})`;
}

function frame(tr: Tr, fo: number, def: Obj, sc: Scope, cx: ExprCtx): string {
  if (fo & (F.EXCLUDE_CURRENT_ROW | F.EXCLUDE_GROUP | F.EXCLUDE_TIES)) return notSupported('window frame EXCLUDE');
  if (fo & F.GROUPS) return notSupported('GROUPS window frames');
  const mode = fo & F.ROWS ? 'ROWS' : 'RANGE';
  const offset = (n: unknown) => {
    const e = plain(compileExpr(tr, n, sc, cx));
    if (mode === 'ROWS') return coerce(tr.env, e, INT8, false).sql;
    // RANGE offsets compare with the ORDER BY column's type
    if (e.t.n === 'unknown') return notSupported('an untyped RANGE offset');
    return e.sql;
  };
  const bound = (start: boolean): string => {
    const p = start ? 'START_' : 'END_';
    const has = (k: string) => (fo & (F as Record<string, number>)[p + k]!) !== 0;
    if (has('UNBOUNDED_PRECEDING')) return 'UNBOUNDED PRECEDING';
    if (has('UNBOUNDED_FOLLOWING')) return 'UNBOUNDED FOLLOWING';
    if (has('CURRENT_ROW')) return 'CURRENT ROW';
    const off = offset(start ? def.startOffset : def.endOffset);
    if (has('OFFSET_PRECEDING')) return `${off} PRECEDING`;
    if (has('OFFSET_FOLLOWING')) return `${off} FOLLOWING`;
    return notSupported('this window frame');
  };
  if (mode === 'RANGE' && fo & (F.START_OFFSET_PRECEDING | F.START_OFFSET_FOLLOWING | F.END_OFFSET_PRECEDING | F.END_OFFSET_FOLLOWING)) {
    return notSupported('RANGE frames with offsets');
  }
  if (fo & F.BETWEEN) return `${mode} BETWEEN ${bound(true)} AND ${bound(false)}`;
  return `${mode} ${bound(true)}`;
}

