// OVER clauses and ORDER BY lists. Null ordering is always written out (Postgres: NULLS LAST for ASC, NULLS FIRST
// for DESC; DuckDB's default differs), named windows are inlined, frames are emitted from PG's frameOptions bits.
import type { Ex } from './ex.js';
import { notSupported } from './errors.js';
import { compareForm, compileExpr, plain } from './expr.js';
import { coerce, int8Constant, isNullConstant } from './cast.js';
import { INT8, INTERVAL, isFloat, isInt, isNumber, isString, typeName, type PgT } from './pg-type.js';
import { PgError } from '../../route/local.js';
import { ERROR_TAG } from '../duck-functions.js';
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
  const fo = (def.frameOptions as number | undefined) ?? 0;
  const fr = fo & F.NONDEFAULT ? frame(tr, fo, def, sc, wcx) : null;
  if (fr?.key) parts.push(`ORDER BY ${sortItem(tr, fr.key, ((order[0] as Obj).SortBy as Obj))}`);
  else if (order.length) parts.push(sortClause(tr, order, sc, wcx, 'ORDER BY'));
  if (fr) parts.push(fr.sql);
  return `(${parts.join(' ')})`;
}

/** The frame clause, and for RANGE with offsets the ORDER BY key to sort by (see rangeKey). */
function frame(tr: Tr, fo: number, def: Obj, sc: Scope, cx: ExprCtx): { sql: string; key: Ex | null } {
  const mode = fo & F.ROWS ? 'ROWS' : fo & F.GROUPS ? 'GROUPS' : 'RANGE';
  const hasOffset = (fo & (F.START_OFFSET_PRECEDING | F.START_OFFSET_FOLLOWING | F.END_OFFSET_PRECEDING | F.END_OFFSET_FOLLOWING)) !== 0;
  const range = mode === 'RANGE' && hasOffset ? rangeKey(tr, def, sc, cx) : null;
  const bound = (start: boolean): string => {
    const p = start ? 'START_' : 'END_';
    const has = (k: string) => (fo & (F as Record<string, number>)[p + k]!) !== 0;
    if (has('UNBOUNDED_PRECEDING')) return 'UNBOUNDED PRECEDING';
    if (has('UNBOUNDED_FOLLOWING')) return 'UNBOUNDED FOLLOWING';
    if (has('CURRENT_ROW')) return 'CURRENT ROW';
    const n = start ? def.startOffset : def.endOffset;
    const off = range ? range.offset(n, start) : rowsOffset(tr, n, start, sc, cx);
    if (has('OFFSET_PRECEDING')) return `${off} PRECEDING`;
    if (has('OFFSET_FOLLOWING')) return `${off} FOLLOWING`;
    return notSupported('this window frame');
  };
  const between = fo & F.BETWEEN ? `BETWEEN ${bound(true)} AND ${bound(false)}` : bound(true);
  const exclude =
    fo & F.EXCLUDE_CURRENT_ROW ? ' EXCLUDE CURRENT ROW' : fo & F.EXCLUDE_GROUP ? ' EXCLUDE GROUP' : fo & F.EXCLUDE_TIES ? ' EXCLUDE TIES' : '';
  return { sql: `${mode} ${between}${exclude}`, key: range?.key ?? null };
}

// Frame offsets. Postgres checks them once, before the first row (a NULL is 22004, a negative ROWS or GROUPS
// offset 22013, a negative RANGE offset the in_range function's 22013); DuckDB would read NULL as 0 and a
// negative count as an empty frame. A constant (a literal, or a parameter once bound) is checked here; any other
// expression is checked per row in DuckDB, which differs only where there are no rows at all.
const which = (start: boolean) => (start ? 'starting' : 'ending');
const RANGE_SIZE = 'invalid preceding or following size in window function';

function nullOffset(tr: Tr, start: boolean): void {
  if (!tr.env.dry) throw new PgError('22004', `frame ${which(start)} offset must not be null`);
}

function checkedOffset(sql: string, start: boolean, negative: string, extra = ''): string {
  return (
    `(CASE WHEN ${sql} IS NULL THEN error('${ERROR_TAG}22004:frame ${which(start)} offset must not be null') ` +
    `WHEN ${sql} < 0 THEN error('${ERROR_TAG}22013:${negative}') ${extra}ELSE ${sql} END)`
  );
}

/** A ROWS or GROUPS offset: a bigint count of rows or peer groups. */
function rowsOffset(tr: Tr, n: unknown, start: boolean, sc: Scope, cx: ExprCtx): string {
  const e = coerce(tr.env, plain(compileExpr(tr, n, sc, cx)), INT8, false);
  const negative = `frame ${which(start)} offset must not be negative`;
  const v = int8Constant(e);
  if (v === undefined) return checkedOffset(e.sql, start, negative);
  if (v === null) nullOffset(tr, start);
  else if (v < 0n) throw new PgError('22013', negative);
  return e.sql;
}

const INTERVAL_LITERAL = /^\(to_months\(CAST\((-?\d+) AS INTEGER\)\) \+ to_days\(CAST\((-?\d+) AS INTEGER\)\) \+ to_microseconds\(CAST\((-?\d+) AS BIGINT\)\)\)$/;
const DAY_US = 86_400_000_000n;

/**
 * RANGE with offsets: the single ORDER BY key in the form DuckDB adds the offset to, with Postgres' in_range
 * arithmetic — integers without overflow (HUGEINT), float4 in double precision as Postgres does, a date as the
 * timestamp Postgres turns it into. Offsets over timestamptz may not hold days or months: Postgres steps those on
 * the session zone's calendar. An infinite float offset is refused (Postgres has rules of its own for inf - inf).
 */
function rangeKey(tr: Tr, def: Obj, sc: Scope, cx: ExprCtx): { key: Ex; offset(n: unknown, start: boolean): string } {
  const order = list(def.orderClause);
  if (order.length !== 1) throw new PgError('42P20', 'RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column');
  const k = plain(compileExpr(tr, ((order[0] as Obj).SortBy as Obj).node, sc, cx));
  const typed = (n: unknown, to: PgT): Ex => {
    const e = plain(compileExpr(tr, n, sc, cx));
    return coerce(tr.env, e, e.t.n === 'unknown' ? to : e.t, false);
  };
  if (isInt(k.t) || isFloat(k.t) || (k.t.n === 'numeric' && !k.t.arr && k.scale !== null)) {
    const kind = isInt(k.t) ? 'HUGEINT' : isFloat(k.t) ? 'DOUBLE' : null;
    return {
      key: kind ? { ...k, sql: `CAST(${k.sql} AS ${kind})` } : k,
      offset(n, start) {
        const e = typed(n, isInt(k.t) ? INT8 : k.t);
        if (!isInt(e.t) && !(isFloat(k.t) && isNumber(e.t)) && !(e.t.n === 'numeric' && !e.t.arr && e.scale !== null)) {
          return notSupported(`RANGE offsets of type ${typeName(e.t)} over ${typeName(k.t)}`);
        }
        if (isNullConstant(e)) {
          nullOffset(tr, start);
          return e.sql;
        }
        const sql = kind ? `CAST(${e.sql} AS ${kind})` : e.sql;
        if (kind !== 'DOUBLE') return checkedOffset(sql, start, RANGE_SIZE);
        return checkedOffset(
          sql,
          start,
          RANGE_SIZE,
          `WHEN isnan(${sql}) THEN error('${ERROR_TAG}22013:${RANGE_SIZE}') WHEN isinf(${sql}) THEN error('${ERROR_TAG}0A000:an infinite RANGE offset is not supported on lakegate mirrors') `,
        );
      },
    };
  }
  if (k.t.arr || !(k.t.n === 'date' || k.t.n === 'timestamp' || k.t.n === 'timestamptz')) return notSupported(`RANGE offsets over ${typeName(k.t)}`);
  return {
    key: k.t.n === 'date' ? { ...k, sql: `lg_date_ts(${k.sql})` } : k,
    offset(n, start) {
      const e = typed(n, INTERVAL);
      if (e.t.n !== 'interval' || e.t.arr) return notSupported(`RANGE offsets of type ${typeName(e.t)} over ${typeName(k.t)}`);
      if (isNullConstant(e)) {
        nullOffset(tr, start);
        return e.sql;
      }
      const m = INTERVAL_LITERAL.exec(e.sql);
      if (!m) return notSupported('a RANGE offset over dates or timestamps that is not a constant');
      const [months, days, us] = [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)];
      // Postgres' sign of an interval: its span with a month as 30 days
      if (months * 30n * DAY_US + days * DAY_US + us < 0n) throw new PgError('22013', RANGE_SIZE);
      if (k.t.n === 'timestamptz' && (months !== 0n || days !== 0n)) {
        return notSupported('RANGE offsets of days or months over timestamp with time zone');
      }
      return e.sql;
    },
  };
}
