// Function calls: aggregates, window functions and the scalar functions whose DuckDB counterpart (or a small
// rewrite of it) returns what Postgres returns. Anything not listed here is refused.
import { coerce, nowSql, textOf, tzFromLocal, tzLocal } from './cast.js';
import { ex, flags, str, type Ex } from './ex.js';
import { notSupported } from './errors.js';
import { asTimestamp, compileExpr, compareForm, numericMod, perValueScale, plain, power, unify, varEx } from './expr.js';
import {
  BOOL,
  DATE,
  FLOAT8,
  INT4,
  INT8,
  INTERVAL,
  isFloat,
  isInt,
  isNumber,
  isString,
  NUMERIC,
  t as mk,
  TEXT,
  TIMESTAMP,
  TIMESTAMPTZ,
  typeName,
  type PgT,
} from './pg-type.js';
import type { Scope } from './scope.js';
import { caseRulesFor, list, node, strings, type ExprCtx, type Obj, type Tr } from './translator.js';
import { checkSortable, sortClause, windowSql } from './window.js';
import { toCharSql } from './to-char.js';
import { parseNumFormat } from './to-char-number.js';
import { dateBin, widthBucket } from './buckets.js';
import { regexpReplaceRe2 } from './regex.js';
import { varSql } from './var-numeric.js';
import { numericTypmod } from '../results/index.js';
import { ERROR_TAG } from '../duck-functions.js';
import { checkedIntAbs } from './int-checked.js';

export const AGGREGATES = new Set([
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or', 'bit_xor', 'string_agg', 'array_agg',
  'variance', 'var_samp', 'var_pop', 'stddev', 'stddev_samp', 'stddev_pop',
  'json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg',
]);

/** the statistical aggregates: [sample (n − 1), square root] */
const VARIANCE: Record<string, [boolean, boolean]> = {
  variance: [true, false],
  var_samp: [true, false],
  var_pop: [false, false],
  stddev: [true, true],
  stddev_samp: [true, true],
  stddev_pop: [false, true],
};
const WINDOW_ONLY = new Set([
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value',
]);

export function callFunction(tr: Tr, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  const names = strings(b.funcname);
  if (names.length > 1 && names[0] !== 'pg_catalog') return notSupported(`the function ${names.join('.')}`);
  const name = names[names.length - 1]!;
  if (b.func_variadic) return notSupported('VARIADIC arguments');
  if (b.agg_within_group) {
    if (name !== 'percentile_cont' && name !== 'percentile_disc' && name !== 'mode') return notSupported(`${name}() WITHIN GROUP`);
    if (b.over) return notSupported(`${name}() as a window function`);
    if (!cx.agg || cx.inAgg) return notSupported(`aggregate functions in ${cx.what}`);
    return name === 'mode' ? mode(tr, b, sc, cx) : percentile(tr, name, b, sc, cx);
  }
  const isAgg = AGGREGATES.has(name);
  const isWin = WINDOW_ONLY.has(name);
  if (b.over) {
    if (!isAgg && !isWin) return notSupported(`${name}() as a window function`);
    if (!cx.win) return notSupported(`window functions in ${cx.what}`);
    return windowCall(tr, name, b, sc, cx);
  }
  if (isWin) return notSupported(`${name}() without OVER`);
  if (isAgg) {
    if (!cx.agg) return notSupported(`aggregate functions in ${cx.what}`);
    if (cx.inAgg) return notSupported('nested aggregate calls');
    return aggregate(tr, name, b, sc, cx, '');
  }
  if (b.agg_star || b.agg_distinct || b.agg_order || b.agg_filter) return notSupported(`${name}() with aggregate options`);
  if (name === 'make_interval') return makeInterval(tr, b, sc, { ...cx, srf: false });
  const args = list(b.args).map((a) => compileExpr(tr, a, sc, { ...cx, srf: false }));
  if (SRF.has(name)) {
    if (!cx.srf) return notSupported(`set-returning function ${name}() in ${cx.what === 'the select list' ? 'an expression' : cx.what}`);
    return setReturning(tr, name, args);
  }
  return scalar(tr, name, args);
}

const MAKE_INTERVAL = ['years', 'months', 'weeks', 'days', 'hours', 'mins', 'secs'];

/** make_interval(years, months, weeks, days, hours, mins, secs), by position or by name, each 0 by default */
function makeInterval(tr: Tr, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  const slots: (Ex | null)[] = MAKE_INTERVAL.map(() => null);
  let pos = 0;
  for (const a of list(b.args)) {
    const [k, nb] = node(a);
    const i = k === 'NamedArgExpr' ? MAKE_INTERVAL.indexOf(nb.name as string) : pos++;
    if (i < 0 || i >= MAKE_INTERVAL.length) return notSupported('these make_interval() arguments');
    slots[i] = compileExpr(tr, k === 'NamedArgExpr' ? nb.arg : a, sc, cx);
  }
  const sql = slots.map((e, i) => {
    if (e === null) return i === 6 ? 'CAST(0 AS DOUBLE)' : 'CAST(0 AS INTEGER)';
    const x = plain(e);
    if (i === 6) {
      if (!(isNumber(x.t) || x.t.n === 'unknown') || x.t.arr) return notSupported(`make_interval() secs of type ${typeName(x.t)}`);
      return coerce(tr.env, x, FLOAT8, false).sql;
    }
    if (!(x.t.n === 'int2' || x.t.n === 'int4' || x.t.n === 'unknown') || x.t.arr) return notSupported(`make_interval() ${MAKE_INTERVAL[i]} of type ${typeName(x.t)}`);
    return coerce(tr.env, x, INT4, false).sql;
  });
  return ex(`lg_make_interval(${sql.join(', ')})`, INTERVAL, flags(...slots.filter((e): e is Ex => e !== null)));
}

// ---- aggregates -------------------------------------------------------------------------------------

/** One aggregate call; `over` is the DuckDB window clause (' OVER (…)') or ''. */
function aggregate(tr: Tr, name: string, b: Obj, sc: Scope, cx: ExprCtx, over: string): Ex {
  // a window aggregate's arguments are evaluated per row of its query level, grouped or not: they may hold that
  // level's aggregates (`sum(amount) / sum(sum(amount)) OVER ()`, a share of the total)
  const inner: ExprCtx = over
    ? { ...cx, win: false, var: false, what: 'window function arguments' }
    : { ...cx, inAgg: true, win: false, var: false, what: 'aggregate arguments' };
  const before = { local: sc.localRefs, outer: sc.outerRefs };
  const args = list(b.args).map((a) => plain(compileExpr(tr, a, sc, inner)));
  if (sc.localRefs === before.local && sc.outerRefs > before.outer) {
    return notSupported('aggregates over outer-query columns only');
  }
  const distinct = b.agg_distinct ? 'DISTINCT ' : '';
  let tail = '';
  if (b.agg_order) tail += ' ' + sortClause(tr, list(b.agg_order), sc, inner, 'ORDER BY');
  else if (b.agg_distinct && (name === 'array_agg' || name === 'string_agg') && list(b.args).length > 0) {
    // Postgres removes duplicates by sorting the input, so the result comes out in the argument's order;
    // DuckDB's DISTINCT hashes. The sort is written out (and checked like any ORDER BY: collation, type).
    const by = { SortBy: { node: list(b.args)[0], sortby_dir: 'SORTBY_DEFAULT', sortby_nulls: 'SORTBY_NULLS_DEFAULT' } };
    tail += ' ' + sortClause(tr, [by], sc, inner, 'ORDER BY');
  }
  let filter = '';
  if (b.agg_filter) {
    const fcx: ExprCtx = { ...inner, what: 'FILTER' };
    const fe = plain(compileExpr(tr, b.agg_filter, sc, fcx));
    if (fe.t.n !== 'bool') return notSupported('a non-boolean FILTER');
    filter = ` FILTER (WHERE ${fe.sql})`;
  }
  const call = (fn: string, argSql: string) => `${fn}(${distinct}${argSql}${tail})${filter}${over}`;
  const intervalSum = (x: string) => {
    // field by field, so DISTINCT would compare fields, not intervals
    if (b.agg_distinct) return notSupported(`${name}(DISTINCT interval)`);
    return `lg_iv_make(${call('sum', `lg_iv_m(${x})`)}, ${call('sum', `lg_iv_d(${x})`)}, ${call('sum', `lg_iv_us(${x})`)})`;
  };
  const f = { agg: over === '' || args.some((a) => a.agg), win: over !== '' };
  /**
   * sum()/avg() of floats where Postgres' running sums could overflow (float8pl, and float8_accum's Youngs–Cramer
   * update, raise 'value out of range: overflow' at the row where they do, which depends on the row order) are
   * refused; below the bound no order can overflow: |running sum| ≤ n·max|x|, and for avg the squared term
   * (x·n − Σx)² ≤ (2n·max|x|)² < DBL_MAX. Infinite inputs make Postgres' results infinite or NaN, as DuckDB's.
   */
  const floatGuard = (fn: 'sum' | 'avg', x: string, agg: string) => {
    const bound = fn === 'sum' ? '1.79e308' : '6.7e153';
    const n = call('count', x);
    const max = call('max', `abs(CASE WHEN isfinite(${x}) THEN ${x} END)`);
    const msg = `${fn}() of floating-point values this large (the running sums Postgres keeps could overflow) is not supported on lakegate mirrors`;
    return `(CASE WHEN ${n} * ${max} >= ${bound} THEN error('${ERROR_TAG}0A000:${msg}') ELSE ${agg} END)`;
  };
  const a0 = args[0];
  switch (name) {
    case 'count':
      if (b.agg_star) return ex(`${call('count', '*')}`, INT8, { scale: 0, ...f });
      return ex(call('count', a0!.sql), INT8, { scale: 0, ...f });
    case 'sum': {
      const a = a0!;
      if (a.t.arr) break;
      if (a.t.n === 'int2' || a.t.n === 'int4') return ex(`CAST(${call('sum', a.sql)} AS BIGINT)`, INT8, { scale: 0, ...f });
      if (a.t.n === 'int8') return ex(call('sum', a.sql), NUMERIC, { scale: 0, ...f });
      if (a.t.n === 'numeric') {
        if (a.scale === null) {
          const sum = ex(call('sum', `lg_num(${a.sql})`), NUMERIC, { scale: 18, ...f });
          const scale = ex(call('max', `lg_num_scale(${a.sql})`), INT4, { scale: 0, ...f });
          return varEx({ k: 'sum', sum, scale }, cx, f);
        }
        return ex(call('sum', a.sql), NUMERIC, { scale: a.scale, ...f });
      }
      if (a.t.n === 'float8') return ex(floatGuard('sum', a.sql, call('sum', a.sql)), FLOAT8, f);
      // DuckDB has no sum(INTERVAL): Postgres adds the months, days and microseconds separately
      if (a.t.n === 'interval') return ex(intervalSum(a.sql), a.t, f);
      break;
    }
    case 'avg': {
      const a = a0!;
      if (a.t.arr) break;
      // interval_avg: the exact sum divided by the count as interval_div does (NULL for no rows)
      if (a.t.n === 'interval') {
        const n = call('count', a.sql);
        return ex(`(CASE WHEN ${n} = 0 THEN NULL ELSE lg_iv_div(${intervalSum(a.sql)}, CAST(${n} AS DOUBLE)) END)`, INTERVAL, f);
      }
      if (isFloat(a.t)) {
        const x = `CAST(${a.sql} AS DOUBLE)`;
        return ex(floatGuard('avg', x, call('avg', x)), FLOAT8, f);
      }
      if (isInt(a.t) || a.t.n === 'numeric') {
        const count = ex(call('count', a.sql), INT8, { scale: 0, ...f });
        if (a.t.n === 'numeric' && a.scale === null) {
          const sum = ex(call('sum', `lg_num(${a.sql})`), NUMERIC, { scale: 18, ...f });
          const scale = ex(call('max', `lg_num_scale(${a.sql})`), INT4, { scale: 0, ...f });
          return varEx({ k: 'avg', sum, count, scale }, cx, f);
        }
        const sum = ex(call('sum', a.sql), NUMERIC, { scale: a.t.n === 'numeric' ? a.scale : 0, ...f });
        return varEx({ k: 'avg', sum, count }, cx, f);
      }
      break;
    }
    case 'variance':
    case 'var_samp':
    case 'var_pop':
    case 'stddev':
    case 'stddev_samp':
    case 'stddev_pop': {
      const a = a0!;
      // not floats: float8_accum's running Youngs–Cramer update rounds in a way that depends on the row order
      if (a.t.arr || !(isInt(a.t) || a.t.n === 'numeric')) break;
      // DISTINCT values of x are not the DISTINCT values of x² (−2 and 2)
      if (b.agg_distinct) return notSupported(`${name}(DISTINCT …)`);
      if (a.scale === null) return notSupported(`${name}() over numeric values without a declared scale`);
      const [sample, sqrt] = VARIANCE[name]!;
      const big = (sql: string, t: PgT = INT8) => ex(sql, t, { scale: 0, ...f });
      const n = big(call('count', a.sql));
      const sum = (sql: string) => big(call('sum', sql), NUMERIC);
      const v = (sx: string, sq: { ex: Ex; shift: number }[]) => varEx({ k: 'var', n, sx: sum(sx), sq, scale: a.scale!, sample, sqrt }, cx, f);
      if (a.t.n === 'int2' || a.t.n === 'int4') {
        const x = `CAST(${a.sql} AS BIGINT)`;
        return v(x, [{ ex: sum(`${x} * ${x}`), shift: 0 }]);
      }
      // u = x·10^scale, an integer, split into limbs: the limb products are summed apart so every sum stays
      // exact in HUGEINT. Up to 18 digits u is a BIGINT in two 32-bit halves; beyond, a HUGEINT in three 43-bit
      // limbs (a value whose u does not fit fails the cast instead of losing digits).
      const p = a.t.n === 'int8' ? 18 : numericTypmod(a.t.mod)?.precision ?? 38;
      const u = a.t.n === 'int8' ? a.sql : `CAST(CAST(${a.sql} AS DECIMAL(38, ${a.scale})) * ${10n ** BigInt(a.scale)} AS ${p <= 18 ? 'BIGINT' : 'HUGEINT'})`;
      const h = (x: string) => `CAST(${x} AS HUGEINT)`;
      if (p <= 18) {
        const [hi, lo] = [h(`(${u}) >> 32`), h(`(${u}) & 4294967295`)];
        return v(h(u), [
          { ex: sum(`${hi} * ${hi}`), shift: 64 },
          { ex: sum(`${hi} * ${lo}`), shift: 33 },
          { ex: sum(`${lo} * ${lo}`), shift: 0 },
        ]);
      }
      const mask = 2n ** 43n - 1n;
      const [l2, l1, l0] = [`((${u}) >> 86)`, `(((${u}) >> 43) & ${mask})`, `((${u}) & ${mask})`];
      return v(u, [
        { ex: sum(`${l2} * ${l2}`), shift: 172 },
        { ex: sum(`${l2} * ${l1}`), shift: 130 },
        { ex: sum(`${l2} * ${l0}`), shift: 87 },
        { ex: sum(`${l1} * ${l1}`), shift: 86 },
        { ex: sum(`${l1} * ${l0}`), shift: 44 },
        { ex: sum(`${l0} * ${l0}`), shift: 0 },
      ]);
    }
    case 'min':
    case 'max': {
      const a = a0!;
      if (a.t.arr || a.t.n === 'json' || a.t.n === 'jsonb' || a.t.n === 'bool') break;
      if (a.t.n === 'numeric' && a.scale === null) {
        // the extreme value itself, with its own scale
        return ex(call(name === 'min' ? 'arg_min' : 'arg_max', `${a.sql}, lg_numkey(${a.sql})`), a.t, { scale: null, ...f });
      }
      if (a.t.n === 'interval') {
        // the extreme by Postgres' order of intervals (total span). Among equal spans written differently
        // ('1 mon' and '30 days') Postgres keeps the one it read last, which a parallel scan cannot tell: the
        // extremes by fields both ways must agree
        const fn = name === 'min' ? 'arg_min' : 'arg_max';
        const by = (sign: string) => `${a.sql}, {'k': lg_iv_key(${a.sql}), 'm': ${sign}lg_iv_m(${a.sql}), 'd': ${sign}lg_iv_d(${a.sql})}`;
        const one = call(fn, by(''));
        const other = call(fn, by('-'));
        const msg = `${name}() over intervals of equal span written with different fields is not supported on lakegate mirrors`;
        return ex(
          `(CASE WHEN lg_iv_m(${one}) <> lg_iv_m(${other}) OR lg_iv_d(${one}) <> lg_iv_d(${other}) THEN error('${ERROR_TAG}0A000:${msg}')::INTERVAL ELSE ${one} END)`,
          a.t,
          { scale: a.scale, ...f },
        );
      }
      if (isString(a.t) && !tr.env.session.codePointCollation) return notSupported(`${name}() over text under a non-C collation`);
      if (a.t.n === 'bpchar') {
        // char(n) compares without its trailing blanks; the values keep theirs
        if (a.t.mod < 0) return notSupported(`${name}() over char without a length`);
        return ex(call(name === 'min' ? 'arg_min' : 'arg_max', `${a.sql}, rtrim(${a.sql})`), a.t, { scale: a.scale, ...f });
      }
      // min/max(varchar|name) resolve to the text aggregates
      const rt = a.t.n === 'varchar' || a.t.n === 'name' ? TEXT : a.t;
      return ex(call(name, a.sql), rt, { scale: a.scale, ...f });
    }
    case 'bit_and':
    case 'bit_or':
    case 'bit_xor': {
      // per integer type, as Postgres has them (no overflow: bits only)
      const a = a0!.t.n === 'unknown' ? coerce(tr.env, a0!, INT4, false) : a0!;
      if (!isInt(a.t) || a.t.arr) break;
      return ex(call(name, a.sql), a.t, { scale: 0, ...f });
    }
    case 'bool_and':
    case 'bool_or':
    case 'every':
      if (a0!.t.n !== 'bool' && a0!.t.n !== 'unknown') break;
      return ex(call(name === 'every' ? 'bool_and' : name, coerce(tr.env, a0!, BOOL, false).sql), BOOL, f);
    case 'string_agg': {
      const [v, d] = args;
      if (!v || !d) break;
      if (!(isString(v.t) || v.t.n === 'unknown') || !(isString(d.t) || d.t.n === 'unknown')) break;
      const vs = v.t.n === 'unknown' ? v.sql : textOf(tr.env, v);
      const ds = d.t.n === 'unknown' ? d.sql : textOf(tr.env, d);
      // DuckDB takes a constant delimiter only (Postgres inserts each row's own)
      if (!d.lit) return notSupported('string_agg() with a delimiter that is not a constant');
      // a NULL delimiter adds nothing (DuckDB's would make the result NULL)
      return ex(call('string_agg', `${vs}, coalesce(${ds}, '')`), TEXT, f);
    }
    case 'json_agg':
    case 'jsonb_agg':
    case 'json_object_agg':
    case 'jsonb_object_agg': {
      // json_agg_transfn's text: '[' elements ', ' ']' ('{ ' key ' : ' value ', ' ' }' for the object form), a
      // NULL element as null, no rows as NULL; jsonb's key order and duplicate rule come from its output form.
      // DISTINCT would compare the JSON text, not the values (1.0 and 1.00 are one numeric)
      if (b.agg_distinct) return notSupported(`${name}(DISTINCT …)`);
      const object = name.endsWith('object_agg');
      if (args.length !== (object ? 2 : 1)) break;
      const elem = object ? `${jsonKey(tr, a0!, name, name === 'jsonb_object_agg' ? NULL_FIELD : NULL_KEY)} || ' : ' || ${jsonValue(tr, args[1]!, name)}` : jsonValue(tr, a0!, name);
      const [open, close] = object ? ["'{ '", "' }'"] : ["'['", "']'"];
      return ex(`(${open} || ${call('string_agg', `${elem}, ', '`)} || ${close})`, mk(name.startsWith('jsonb') ? 'jsonb' : 'json', -1), f);
    }
    case 'array_agg': {
      const a = a0!;
      if (a.t.arr || a.t.n === 'unknown') break;
      if (a.t.n === 'numeric' && a.scale === null) return notSupported('array_agg() over numeric values without a declared scale');
      return ex(call('array_agg', a.sql), mk(a.t.n, a.t.mod, true), { scale: a.scale, ...f });
    }
  }
  return notSupported(`${name}(${args.map((a) => typeName(a.t)).join(', ')})`);
}

/**
 * percentile_disc: DuckDB's quantile_disc picks the same row (the first whose position reaches the fraction).
 * percentile_cont: Postgres interpolates lo + (hi - lo) * (r - floor(r)) at r = f * (n - 1) in float8; DuckDB's
 * quantile_cont rounds differently, so the same arithmetic runs over the sorted values (lg_pcont).
 */
function percentile(tr: Tr, name: string, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  const inner: ExprCtx = { ...cx, inAgg: true, win: false, var: false, what: 'aggregate arguments' };
  const args = list(b.args).map((a) => plain(compileExpr(tr, a, sc, inner)));
  const order = list(b.agg_order);
  if (args.length !== 1 || order.length !== 1) return notSupported(`this ${name}() form`);
  const a0 = args[0]!;
  const m = /^CAST\('(-?[\d.eE+-]+)' AS (?:DOUBLE|FLOAT|DECIMAL\(\d+,\d+\))\)$/.exec(a0.sql);
  const text = a0.lit?.kind === 'number' || a0.lit?.kind === 'string' ? a0.lit.text : m?.[1];
  if (text === undefined) return notSupported(`${name}() with a non-constant fraction`);
  const f = Number(text);
  if (!(f >= 0 && f <= 1)) return notSupported(`${name}() with a fraction outside [0, 1]`);
  const sb = (order[0] as Obj).SortBy as Obj;
  if (sb.sortby_dir === 'SORTBY_DESC' || sb.sortby_nulls !== 'SORTBY_NULLS_DEFAULT' && sb.sortby_nulls !== undefined) {
    return notSupported(`${name}() WITHIN GROUP with DESC or NULLS`);
  }
  const x = plain(compileExpr(tr, sb.node, sc, inner));
  let filter = `${x.sql} IS NOT NULL`;
  if (b.agg_filter) filter += ` AND ${plain(compileExpr(tr, b.agg_filter, sc, { ...inner, what: 'FILTER' })).sql}`;
  const fl = { agg: true, win: false };
  if (name === 'percentile_disc') {
    checkSortable(tr, x);
    if (x.t.n === 'numeric' && x.scale === null) return notSupported('percentile_disc() over numeric values without a declared scale');
    return ex(`quantile_disc(${compareForm(x) === x.sql ? x.sql : notSupported(`percentile_disc() over ${typeName(x.t)}`)}, ${f}) FILTER (WHERE ${filter})`, x.t, { scale: x.scale, ...fl });
  }
  if (!(isNumber(x.t) || x.t.n === 'unknown')) return notSupported(`percentile_cont() over ${typeName(x.t)}`);
  const v = coerce(tr.env, x.t.n === 'numeric' && x.scale === null ? ex(`lg_num(${x.sql})`, NUMERIC, { scale: 18 }) : x, FLOAT8, false);
  return ex(`lg_pcont(list_sort(list(${v.sql}) FILTER (WHERE ${filter})), CAST(${f} AS DOUBLE))`, FLOAT8, fl);
}

/**
 * mode() WITHIN GROUP (ORDER BY x): the most frequent non-NULL value; among equally frequent ones Postgres keeps
 * the first in the sort order (mode_final replaces its pick only on a strictly longer run). DuckDB counts the
 * values (histogram) and the pick is the least {−count, value} (DESC: the greatest {count, value}), so equal
 * values must compare and sort as in Postgres: floats (±0 are one value but print apart), char(n), uuid and text
 * under non-C collations are refused.
 */
function mode(tr: Tr, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  // DuckDB cannot bind the lambda below in HAVING
  if (cx.what === 'HAVING') return notSupported('mode() in HAVING');
  const inner: ExprCtx = { ...cx, inAgg: true, win: false, var: false, what: 'aggregate arguments' };
  const order = list(b.agg_order);
  if (list(b.args).length !== 0 || order.length !== 1) return notSupported('this mode() form');
  const sb = (order[0] as Obj).SortBy as Obj;
  const x = plain(compileExpr(tr, sb.node, sc, inner));
  checkSortable(tr, x);
  if (x.t.arr || isFloat(x.t) || x.t.n === 'bpchar' || x.t.n === 'interval' || x.t.n === 'json' || x.t.n === 'jsonb' || x.t.n === 'unknown' || x.t.n === 'uuid') {
    return notSupported(`mode() over ${typeName(x.t)}`);
  }
  if (x.t.n === 'numeric' && x.scale === null) return notSupported('mode() over numeric values without a declared scale');
  const filter = b.agg_filter ? ` FILTER (WHERE ${plain(compileExpr(tr, b.agg_filter, sc, { ...inner, what: 'FILTER' })).sql})` : '';
  const desc = sb.sortby_dir === 'SORTBY_DESC';
  const entries = `map_entries(histogram(${x.sql})${filter})`;
  const pick = desc
    ? `list_max(list_transform(${entries}, lg_e -> {'c': CAST(lg_e.value AS BIGINT), 'k': lg_e.key})).k`
    : `list_min(list_transform(${entries}, lg_e -> {'c': -CAST(lg_e.value AS BIGINT), 'k': lg_e.key})).k`;
  return ex(`(${pick})`, x.t, { scale: x.scale, agg: true, win: false });
}

function windowCall(tr: Tr, name: string, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  const over = ' OVER ' + windowSql(tr, b.over as Obj, sc, cx);
  if (AGGREGATES.has(name)) {
    if (b.agg_order) return notSupported('ORDER BY inside a window aggregate');
    const e = aggregate(tr, name, b, sc, cx, over);
    return { ...e, win: true };
  }
  if (b.agg_star || b.agg_distinct || b.agg_filter) return notSupported(`${name}() with aggregate options`);
  const inner: ExprCtx = { ...cx, win: false, var: false, what: 'window function arguments' };
  const args = list(b.args).map((a) => plain(compileExpr(tr, a, sc, inner)));
  const f = { agg: args.some((a) => a.agg), win: true };
  switch (name) {
    case 'row_number':
    case 'rank':
    case 'dense_rank':
      return ex(`${name}()${over}`, INT8, { scale: 0, ...f });
    case 'percent_rank':
    case 'cume_dist':
      return ex(`${name}()${over}`, FLOAT8, f);
    case 'ntile': {
      const n = coerce(tr.env, args[0]!, INT4, false);
      return ex(`CAST(ntile(${n.sql})${over} AS INTEGER)`, INT4, { scale: 0, ...f });
    }
    case 'lag':
    case 'lead': {
      const v = args[0]!;
      if (v.t.n === 'unknown') return notSupported(`${name}() of an untyped literal`);
      const parts = [v.sql];
      if (args[1]) parts.push(coerce(tr.env, args[1], INT4, false).sql);
      let scale = v.scale;
      if (args[2]) {
        // the default takes the value's type (anycompatible), keeping its own numeric scale
        const u = unify(tr, [v, args[2]], name);
        const [vv, d] = perValueScale(u) as [Ex, Ex];
        parts[0] = vv.sql;
        if (!args[1]) parts.push('1');
        parts.push(d.sql);
        scale = u.scale;
        return ex(`${name}(${parts.join(', ')})${over}`, u.t, { scale, ...f });
      }
      return ex(`${name}(${parts.join(', ')})${over}`, v.t, { scale, ...f });
    }
    case 'first_value':
    case 'last_value': {
      const v = args[0]!;
      return ex(`${name}(${v.sql})${over}`, v.t, { scale: v.scale, ...f });
    }
    case 'nth_value': {
      const v = args[0]!;
      const n = coerce(tr.env, args[1]!, INT4, false);
      return ex(`nth_value(${v.sql}, ${n.sql})${over}`, v.t, { scale: v.scale, ...f });
    }
  }
  return notSupported(`${name}() as a window function`);
}

// ---- set-returning functions in the select list (expanded like Postgres: several run in lockstep) -------

const SRF = new Set(['unnest', 'generate_series', 'jsonb_array_elements', 'jsonb_array_elements_text', 'json_array_elements', 'json_array_elements_text', 'jsonb_object_keys', 'json_object_keys']);

const UTC_ZONES = new Set(['utc', 'etc/utc', 'uct', 'etc/uct', 'gmt', 'etc/gmt', 'gmt0', 'etc/gmt0', 'gmt+0', 'etc/gmt+0', 'gmt-0', 'etc/gmt-0', 'greenwich', 'etc/greenwich', 'universal', 'etc/universal', 'zulu', 'etc/zulu']);

/**
 * generate_series over timestamps with an interval step: DuckDB's generate_series adds the step cumulatively, as
 * Postgres does. timestamp bounds give timestamps (calendar arithmetic without zones); a date or timestamptz bound
 * makes it the timestamptz series, whose months and days Postgres adds on the session zone's calendar: DuckDB's
 * calendar is UTC, so in another session zone a step with months or days is refused (per value).
 * Null when the arguments are not such a series.
 */
export function timeSeries(tr: Tr, args: Ex[]): { call: string; t: PgT } | null {
  if (args.length !== 3 || args.some((x) => x.t.arr)) return null;
  const [a, b, step] = args as [Ex, Ex, Ex];
  const kinds = [a.t.n, b.t.n];
  if (!kinds.every((k) => k === 'timestamp' || k === 'timestamptz' || k === 'date' || k === 'unknown')) return null;
  if (step.t.n !== 'interval' && step.t.n !== 'unknown') return null;
  if (kinds.every((k) => k === 'unknown')) return null;
  const iv = coerce(tr.env, step, INTERVAL, false).sql;
  // Postgres' resolution: the variant with more exact argument matches, else timestamptz (the preferred type)
  const nTs = kinds.filter((k) => k === 'timestamp').length;
  const nTz = kinds.filter((k) => k === 'timestamptz').length;
  if (nTz >= nTs) {
    const zone = tr.env.session.timeZone;
    const utc = zone !== null && zone !== undefined && UTC_ZONES.has(zone.toLowerCase());
    const st = utc ? iv : `lg_iv_time_only(${iv})`;
    const lo = coerce(tr.env, a, TIMESTAMPTZ, false).sql;
    const hi = coerce(tr.env, b, TIMESTAMPTZ, false).sql;
    return { call: `generate_series(${lo}, ${hi}, lg_series_interval(${st}))`, t: TIMESTAMPTZ };
  }
  const lo = coerce(tr.env, a, TIMESTAMP, false).sql;
  const hi = coerce(tr.env, b, TIMESTAMP, false).sql;
  return { call: `generate_series(${lo}, ${hi}, lg_series_interval(${iv}))`, t: TIMESTAMP };
}

function setReturning(tr: Tr, name: string, args0: Ex[]): Ex {
  const args = args0.map((a) => plain(a));
  const f = { ...flags(...args), srf: true };
  const a = args[0];
  if (name === 'unnest' && args.length === 1 && a!.t.arr) {
    if (a!.t.n === 'numeric' && a!.scale === null) return notSupported('unnest of numeric arrays without a declared scale');
    return { ...ex(`unnest(${a!.sql})`, mk(a!.t.n, a!.t.mod), { scale: a!.scale }), ...f };
  }
  if (name === 'generate_series' && (args.length === 2 || args.length === 3) && args.every((x) => isInt(x.t) || x.t.n === 'unknown') && args.some((x) => isInt(x.t))) {
    const t = args.some((x) => x.t.n === 'int8') ? INT8 : INT4;
    const ty = t.n === 'int8' ? 'BIGINT' : 'INTEGER';
    const v = args.map((x) => `CAST(${coerce(tr.env, x, t, false).sql} AS BIGINT)`);
    return { ...ex(`CAST(unnest(generate_series(${v[0]}, ${v[1]}, lg_series_step(${v[2] ?? 'CAST(1 AS BIGINT)'}))) AS ${ty})`, t, { scale: 0 }), ...f };
  }
  const series = name === 'generate_series' ? timeSeries(tr, args) : null;
  if (series) return { ...ex(`unnest(${series.call})`, series.t), ...f };
  if (a && args.length === 1 && (a.t.n === 'json' || a.t.n === 'jsonb')) {
    const jsonb = a.t.n === 'jsonb';
    if (name.endsWith('_object_keys')) return { ...ex(`unnest(lg_json_keys(${a.sql}, ${jsonb}))`, TEXT), ...f };
    const asText = name.endsWith('_text');
    return { ...ex(`unnest(lg_json_elements(${a.sql}, ${asText}, ${jsonb}))`, asText ? TEXT : a.t), ...f };
  }
  return notSupported(`${name}(${args.map((x) => typeName(x.t)).join(', ')})`);
}

// ---- scalar functions ------------------------------------------------------------------------------

function constInt(e: Ex | undefined, what: string): number {
  if (!e || !e.lit || e.lit.kind !== 'number' || !/^-?\d+$/.test(e.lit.text)) return notSupported(`a non-constant ${what}`);
  return Number(e.lit.text);
}

function constText(e: Ex | undefined, what: string): string {
  if (!e || !e.lit || e.lit.kind !== 'string') return notSupported(`a non-constant ${what}`);
  return e.lit.text;
}

/** starts_with(text, text) and text ^@ text */
export function startsWith(tr: Tr, a: Ex, b: Ex): Ex {
  return ex(`starts_with(${textArg(tr, a)}, ${textArg(tr, b)})`, BOOL, flags(a, b));
}

function textArg(tr: Tr, e: Ex): string {
  if (e.t.n === 'unknown') return e.sql;
  if (!isString(e.t)) return notSupported(`${typeName(e.t)} where text is expected`);
  return textOf(tr.env, e);
}

/**
 * floor()/ceil() of a numeric division or avg() result: Postgres rounds the quotient at select_div_scale digits
 * first (numeric_div), then takes the floor. Exact in JS for any operands (lg_numfloor). For `x / n` with n an
 * integer constant and x of fixed scale s (Grafana's `floor(extract(epoch FROM t) / 60)`) DuckDB computes it
 * exactly where the rounding provably cannot reach the next integer: the quotient's distance to an integer is a
 * multiple of 1/D (D = |n|·10^s), and the rounding step is 10^-rscale with rscale ≥ 16 − 4·(weight(x) − weight(n))
 * (base-10000 weights), so below |x| < 10000^(W+1) with W the largest weight where 2·10^rscale > D, the floor of
 * the exact quotient is the answer; from there on the row goes to JS.
 */
function floorOfVar(e: Ex, floor: boolean): Ex {
  const v = e.v!;
  const f = { agg: e.agg, win: e.win };
  const viaJs = `CAST(lg_numfloor(${varSql(v)}, ${floor}) AS DECIMAL(38,0))`;
  const b = v.k === 'div' && v.b.k === 'leaf' ? v.b.ex : null;
  const a = v.k === 'div' && v.a.k === 'leaf' ? v.a.ex : null;
  const n = b?.lit?.kind === 'number' && /^\d+$/.test(b.lit.text) ? BigInt(b.lit.text) : null;
  if (!a || !n || n === 0n || a.scale === null || !(isInt(a.t) || a.t.n === 'numeric')) return ex(viaJs, NUMERIC, { scale: 0, ...f });
  const d = Number(n) * 10 ** a.scale;
  const w2 = Math.floor((n.toString().length - 1) / 4);
  const wMax = Math.ceil(w2 + (16 - Math.log10(d / 2)) / 4) - 1;
  const limit = `CAST('1e${4 * (wMax + 1)}' AS DOUBLE)`;
  const r = `(${a.sql} % ${n})`;
  // a − r is a multiple of n: its truncated quotient is exact; the remainder's sign moves it to the floor/ceil
  const q = `(CAST(${a.sql} - ${r} AS HUGEINT) // ${n})`;
  const fast = floor ? `${q} - (CASE WHEN ${r} < 0 THEN 1 ELSE 0 END)` : `${q} + (CASE WHEN ${r} > 0 THEN 1 ELSE 0 END)`;
  return ex(`(CASE WHEN abs(CAST(${a.sql} AS DOUBLE)) < ${limit} THEN CAST(${fast} AS DECIMAL(38,0)) ELSE ${viaJs} END)`, NUMERIC, { scale: 0, ...f });
}

function intArg(tr: Tr, e: Ex): string {
  return coerce(tr.env, e.t.n === 'unknown' ? e : e, INT4, false).sql;
}

function scalar(tr: Tr, name: string, args0: Ex[]): Ex {
  // avg()/division results may only pass through round/trunc here
  if ((name === 'round' || name === 'trunc') && args0[0]?.v) {
    const n = args0[1] ? constInt(args0[1], `${name}() scale`) : 0;
    return { ...args0[0], v: { k: name, a: args0[0].v, n } };
  }
  // …and floor/ceil, whose result has scale 0 again: a plain DECIMAL(38,0) from there on
  if ((name === 'floor' || name === 'ceil' || name === 'ceiling') && args0.length === 1 && args0[0]!.v) {
    return floorOfVar(args0[0]!, name === 'floor');
  }
  const args = args0.map((a) => plain(a));
  const f = flags(...args);
  const a = args[0];
  const n = args.length;
  switch (name) {
    case 'abs':
      if (n === 1 && isNumber(a!.t)) {
        if (a!.t.n === 'numeric' && a!.scale === null) break;
        if (isInt(a!.t)) return ex(checkedIntAbs(a!.t.n as 'int2' | 'int4' | 'int8', a!.sql), a!.t, { scale: 0, ...f });
        return ex(`abs(${a!.sql})`, a!.t, { scale: a!.scale, ...f });
      }
      break;
    case 'round':
    case 'trunc': {
      const x = a!.t.n === 'unknown' ? coerce(tr.env, a!, NUMERIC, false) : a!;
      if (n === 1 && isFloat(x.t)) {
        // round(float8) is rint(): half to even
        return ex(name === 'round' ? `lg_rint(CAST(${x.sql} AS DOUBLE))` : `trunc(CAST(${x.sql} AS DOUBLE))`, FLOAT8, f);
      }
      if (isInt(x.t) && n === 1) {
        // round(int) resolves to round(double precision)
        return ex(name === 'round' ? `lg_rint(CAST(${x.sql} AS DOUBLE))` : `trunc(CAST(${x.sql} AS DOUBLE))`, FLOAT8, f);
      }
      const num = isInt(x.t) ? coerce(tr.env, x, NUMERIC, false) : x;
      if (num.t.n !== 'numeric') break;
      const s = n === 2 ? constInt(args[1], `${name}() scale`) : 0;
      // a negative s rounds to a multiple of 10^-s, shown without fraction digits
      const rs = Math.max(s, 0);
      if (num.scale === null) {
        // exact over the numeric text; the result has exactly s fraction digits
        // NaN, ±Infinity and values past 38 digits have no DECIMAL: refused
        const r = `lg_num${name}(${num.sql}, ${s})`;
        const msg = `${name}() of NaN, Infinity or numerics of more than 38 digits is not supported on lakegate mirrors`;
        return ex(`coalesce(TRY_CAST(${r} AS DECIMAL(38,${rs})), CASE WHEN ${r} IS NULL THEN NULL ELSE error('${ERROR_TAG}0A000:${msg}') END)`, NUMERIC, { scale: rs, ...f });
      }
      // (DuckDB's round to a negative scale of a narrow DECIMAL loses the carry: round(99999.9::DECIMAL(6,1), -5) is 0)
      if (s < 0) return ex(`CAST(${name}(CAST(${num.sql} AS DECIMAL(38,${num.scale})), ${s}) AS DECIMAL(38,0))`, NUMERIC, { scale: 0, ...f });
      if (s >= num.scale) return ex(`CAST(${num.sql} AS DECIMAL(38,${s}))`, NUMERIC, { scale: s, ...f });
      return ex(`CAST(${name}(${num.sql}, ${s}) AS DECIMAL(38,${s}))`, NUMERIC, { scale: s, ...f });
    }
    case 'ceil':
    case 'ceiling':
    case 'floor': {
      if (n !== 1) break;
      const fn = name === 'floor' ? 'floor' : 'ceil';
      if (isFloat(a!.t) || isInt(a!.t)) return ex(`${fn}(CAST(${a!.sql} AS DOUBLE))`, FLOAT8, f);
      if (a!.t.n === 'numeric' && a!.scale !== null) return ex(`CAST(${fn}(${a!.sql}) AS DECIMAL(38,0))`, NUMERIC, { scale: 0, ...f });
      break;
    }
    case 'sign':
      // sign(integer) is the float8 form (float8 is the preferred type); NaN gives 0, as dsign does
      if (n === 1 && (isFloat(a!.t) || isInt(a!.t)) && !a!.t.arr) return ex(`CAST(sign(CAST(${a!.sql} AS DOUBLE)) AS DOUBLE)`, FLOAT8, f);
      if (n === 1 && a!.t.n === 'numeric' && a!.scale !== null) return ex(`CAST(sign(${a!.sql}) AS DECIMAL(38,0))`, NUMERIC, { scale: 0, ...f });
      break;
    case 'power':
    case 'pow':
      if (n === 2) return power(tr, a!, args[1]!);
      break;
    case 'sqrt':
      if (n === 1 && (isFloat(a!.t) || isInt(a!.t))) return ex(`lg_sqrt(CAST(${a!.sql} AS DOUBLE))`, FLOAT8, f);
      break;
    case 'cbrt':
      // float8 only (a numeric argument is cast, as in Postgres); both call the C library's cbrt()
      if (n === 1 && !a!.t.arr && (isNumber(a!.t) || a!.t.n === 'unknown')) return ex(`cbrt(${coerce(tr.env, a!, FLOAT8, false).sql})`, FLOAT8, f);
      break;
    // float8 functions with Postgres' checks (dsin, dlog1, dexp…); ln/log/exp of numeric have numeric variants
    case 'ln':
    case 'exp':
    case 'log':
    case 'log10':
      if (n === 1 && !a!.t.arr && (isFloat(a!.t) || isInt(a!.t))) {
        const fn = name === 'log' ? 'log10' : name;
        return ex(`lg_${fn}(CAST(${a!.sql} AS DOUBLE))`, FLOAT8, f);
      }
      break;
    case 'sin':
    case 'cos':
    case 'tan':
    case 'cot':
    case 'asin':
    case 'acos':
    case 'atan':
    case 'radians':
    case 'degrees':
      if (n === 1 && !a!.t.arr && (isNumber(a!.t) || a!.t.n === 'unknown')) return ex(`lg_${name}(${coerce(tr.env, a!, FLOAT8, false).sql})`, FLOAT8, f);
      break;
    case 'atan2':
      if (n === 2 && args.every((x) => !x.t.arr && (isNumber(x.t) || x.t.n === 'unknown'))) {
        return ex(`atan2(${coerce(tr.env, a!, FLOAT8, false).sql}, ${coerce(tr.env, args[1]!, FLOAT8, false).sql})`, FLOAT8, f);
      }
      break;
    case 'pi':
      if (n === 0) return ex('pi()', FLOAT8, f);
      break;
    case 'mod': {
      if (n !== 2) break;
      if (isInt(a!.t) && isInt(args[1]!.t)) {
        const wide = a!.t.n === 'int8' || args[1]!.t.n === 'int8' ? 'int8' : a!.t.n === 'int4' || args[1]!.t.n === 'int4' ? 'int4' : 'int2';
        const ty = wide === 'int8' ? 'BIGINT' : wide === 'int4' ? 'INTEGER' : 'SMALLINT';
        return ex(`lg_imod(CAST(${a!.sql} AS ${ty}), CAST(${args[1]!.sql} AS ${ty}))`, mk(wide), { scale: 0, ...f });
      }
      // mod(numeric, numeric): integers and numerics with a declared scale, as the % operator
      const [x, y] = args.map((e) => (e.t.n === 'unknown' ? coerce(tr.env, e, NUMERIC, false) : e)) as [Ex, Ex];
      const fixed = (e: Ex) => !e.t.arr && (isInt(e.t) || (e.t.n === 'numeric' && e.scale !== null));
      if ((x.t.n === 'numeric' || y.t.n === 'numeric') && fixed(x) && fixed(y)) return numericMod(x, y);
      break;
    }
    case 'div': {
      // div(numeric, numeric): the quotient truncated toward zero; integers (which convert to numeric) only
      if (n !== 2) break;
      const [x, y] = args.map((e) => (e.t.n === 'unknown' && e.lit?.kind === 'number' ? coerce(tr.env, e, INT8, false) : e)) as [Ex, Ex];
      if (!isInt(x.t) || !isInt(y.t) || x.t.arr || y.t.arr) break;
      return ex(`CAST(lg_idiv(CAST(${x.sql} AS HUGEINT), CAST(${y.sql} AS HUGEINT)) AS DECIMAL(38,0))`, NUMERIC, { scale: 0, ...f });
    }
    case 'gcd':
    case 'lcm': {
      // the int4 and int8 forms (int2 arguments take int4's); numeric's is refused
      if (n !== 2) break;
      const xs = args.map((e) => (e.t.n === 'unknown' && e.lit?.kind === 'number' ? coerce(tr.env, e, INT4, false) : e));
      if (!xs.every((e) => isInt(e.t) && !e.t.arr)) break;
      const big = xs.some((e) => e.t.n === 'int8');
      const [lim, msg, ty] = big ? ['9223372036854775807', 'bigint out of range', 'BIGINT'] : ['2147483647', 'integer out of range', 'INTEGER'];
      return ex(`CAST(lg_${name}(${xs[0]!.sql}, ${xs[1]!.sql}, ${lim}, '${msg}') AS ${ty})`, big ? INT8 : INT4, { scale: 0, ...f });
    }
    case 'scale': {
      // the display scale; NULL for NaN and the infinities
      if (n !== 1 || a!.t.n !== 'numeric' || a!.t.arr) break;
      if (a!.scale !== null) return ex(`(CASE WHEN ${a!.sql} IS NULL THEN NULL ELSE ${a!.scale} END)`, INT4, { scale: 0, ...f });
      return ex(`(CASE WHEN ${a!.sql} IS NULL OR ${a!.sql} IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE CAST(lg_num_scale(${a!.sql}) AS INTEGER) END)`, INT4, { scale: 0, ...f });
    }
    case 'to_hex': {
      // to_hex(int4) prints the 32-bit two's complement, to_hex(int8) the 64-bit one (int2 is ambiguous in Postgres)
      if (n !== 1) break;
      const x = a!.t.n === 'unknown' ? coerce(tr.env, a!, INT4, false) : a!;
      if (x.t.n === 'int4' && !x.t.arr) return ex(`lower(to_hex(CAST(${x.sql} AS BIGINT) & 4294967295))`, TEXT, f);
      if (x.t.n === 'int8' && !x.t.arr) return ex(`lower(to_hex(${x.sql}))`, TEXT, f);
      break;
    }
    case 'chr': {
      if (n !== 1) break;
      const x = a!.t.n === 'unknown' ? coerce(tr.env, a!, INT4, false) : a!;
      if (!isInt(x.t) || x.t.arr || x.t.n === 'int8') break;
      const c = x.sql;
      return ex(
        `(CASE WHEN ${c} < 0 THEN error('${ERROR_TAG}22023:character number must be positive') ` +
          `WHEN ${c} = 0 THEN error('${ERROR_TAG}54000:null character not permitted') ` +
          `WHEN ${c} > 1114111 THEN error('${ERROR_TAG}54000:requested character too large for encoding: ' || ${c}) ` +
          `WHEN ${c} BETWEEN 55296 AND 57343 THEN error('${ERROR_TAG}54000:requested character not valid for encoding: ' || ${c}) ` +
          `ELSE chr(CAST(${c} AS INTEGER)) END)`,
        TEXT,
        f,
      );
    }
    case 'length':
    case 'char_length':
    case 'character_length':
      if (n === 1 && (isString(a!.t) || a!.t.n === 'unknown')) return ex(`CAST(length(${textArg(tr, a!)}) AS INTEGER)`, INT4, { scale: 0, ...f });
      break;
    case 'octet_length':
      if (n === 1 && (isString(a!.t) || a!.t.n === 'unknown')) {
        // char(n) keeps its padding here
        const s = a!.t.n === 'bpchar' ? a!.sql : textArg(tr, a!);
        return ex(`CAST(strlen(${s}) AS INTEGER)`, INT4, { scale: 0, ...f });
      }
      break;
    case 'lower':
    case 'upper':
      if (n === 1 && (isString(a!.t) || a!.t.n === 'unknown')) return ex(caseMap(tr, name, a!), TEXT, f);
      break;
    case 'initcap': {
      if (n !== 1 || !(isString(a!.t) || a!.t.n === 'unknown')) break;
      const rules = caseRulesFor(tr, a!);
      if (tr.env.session.turkicCase && rules !== 'ascii') return notSupported('initcap() under a Turkish or Azeri ctype or collation');
      // ICU finds words its own way (`a_b` is one word there), so even ASCII text may differ
      if (rules === 'unicode' || rules === 'mixed') return notSupported(`initcap() under ${caseRulesText(rules)}`);
      return ex(`lg_initcap(${textArg(tr, a!)}, ${rules === 'ascii'})`, TEXT, f);
    }
    case 'substr':
    case 'substring': {
      if (n < 2 || n > 3 || !(isString(a!.t) || a!.t.n === 'unknown')) break;
      if (!isInt(args[1]!.t) && !(args[1]!.lit?.kind === 'string')) break;
      const s = textArg(tr, a!);
      const from = intArg(tr, args[1]!);
      if (n === 2) return ex(`lg_substr2(${s}, ${from})`, TEXT, f);
      if (!isInt(args[2]!.t) && !(args[2]!.lit?.kind === 'string')) break;
      return ex(`lg_substr3(${s}, ${from}, ${intArg(tr, args[2]!)})`, TEXT, f);
    }
    case 'position':
    case 'strpos': {
      if (n !== 2) break;
      // position(a IN b) arrives as position(b, a)
      const [hay, needle] = args as [Ex, Ex];
      return ex(`CAST(strpos(${textArg(tr, hay)}, ${textArg(tr, needle)}) AS INTEGER)`, INT4, { scale: 0, ...f });
    }
    case 'replace':
      if (n === 3) return ex(`replace(${args.map((x) => textArg(tr, x)).join(', ')})`, TEXT, f);
      break;
    case 'btrim':
    case 'ltrim':
    case 'rtrim': {
      const fn = name === 'btrim' ? 'trim' : name;
      if (n === 1) return ex(`${fn}(${textArg(tr, a!)})`, TEXT, f);
      if (n === 2) return ex(`${fn}(${textArg(tr, a!)}, ${textArg(tr, args[1]!)})`, TEXT, f);
      break;
    }
    case 'left':
    case 'right':
      if (n === 2) return ex(`${name}(${textArg(tr, a!)}, ${intArg(tr, args[1]!)})`, TEXT, f);
      break;
    case 'lpad':
    case 'rpad':
      if (n === 2 || n === 3) {
        const fill = n === 3 ? textArg(tr, args[2]!) : "' '";
        return ex(`lg_${name}(${textArg(tr, a!)}, ${intArg(tr, args[1]!)}, ${fill})`, TEXT, f);
      }
      break;
    case 'repeat':
      if (n === 2) return ex(`repeat(${textArg(tr, a!)}, greatest(${intArg(tr, args[1]!)}, 0))`, TEXT, f);
      break;
    case 'split_part':
      if (n === 3) return ex(`lg_split_part(${textArg(tr, a!)}, ${textArg(tr, args[1]!)}, ${intArg(tr, args[2]!)})`, TEXT, f);
      break;
    case 'regexp_replace': {
      if (n !== 3 || !(isString(a!.t) || a!.t.n === 'unknown')) break;
      const re = regexpReplaceRe2(constText(args[1], 'regexp_replace() pattern'), constText(args[2], 'regexp_replace() replacement'));
      return ex(`regexp_replace(${textArg(tr, a!)}, ${str(re.pattern)}, ${str(re.replacement)})`, TEXT, f);
    }
    case 'starts_with':
      if (n === 2) return startsWith(tr, a!, args[1]!);
      break;
    case 'num_nulls':
    case 'num_nonnulls': {
      // "any" arguments: each counts by IS NULL alone (an array or row holding NULLs is not null)
      if (n === 0) break;
      const [yes, no] = name === 'num_nulls' ? [1, 0] : [0, 1];
      return ex(`CAST(${args.map((x) => `(CASE WHEN ${x.sql} IS NULL THEN ${yes} ELSE ${no} END)`).join(' + ')} AS INTEGER)`, INT4, { scale: 0, ...f });
    }
    case 'md5':
      if (n === 1 && (isString(a!.t) || a!.t.n === 'unknown')) return ex(`md5(${textArg(tr, a!)})`, TEXT, f);
      break;
    case 'ascii':
      // the first character's code point (UTF-8 databases), 0 for ''
      if (n === 1 && (isString(a!.t) || a!.t.n === 'unknown')) return ex(`CAST(ascii(${textArg(tr, a!)}) AS INTEGER)`, INT4, { scale: 0, ...f });
      break;
    case 'translate':
      if (n === 3 && args.every((x) => isString(x.t) || x.t.n === 'unknown')) {
        return ex(`translate(${textArg(tr, a!)}, ${textArg(tr, args[1]!)}, ${textArg(tr, args[2]!)})`, TEXT, f);
      }
      break;
    case 'reverse':
      // by code point, as text_reverse() does (DuckDB's reverse() keeps grapheme clusters together)
      if (n === 1 && (isString(a!.t) || a!.t.n === 'unknown')) return ex(`array_to_string(list_reverse(string_split(${textArg(tr, a!)}, '')), '')`, TEXT, f);
      break;
    case 'width_bucket':
      return widthBucket(tr, args, f);
    case 'date_bin':
      return dateBin(tr, args, f);
    case 'concat': {
      const parts = args.map((x) => (x.t.n === 'unknown' ? (x.lit?.kind === 'null' ? 'NULL' : x.sql) : textOf(tr.env, x, 'output')));
      // concat() skips NULLs and returns '' for all-NULL input, as DuckDB's
      return ex(`concat(${parts.length ? parts.join(', ') : "''"})`, TEXT, f);
    }
    case 'json_build_object':
    case 'jsonb_build_object':
      return ex(buildObject(tr, name, args), name === 'json_build_object' ? mk('json', -1) : mk('jsonb', -1), f);
    case 'json_build_array':
    case 'jsonb_build_array': {
      const items = args.map((x) => jsonValue(tr, x, name));
      return ex(items.length ? `('[' || ${items.join(` || ', ' || `)} || ']')` : `'[]'`, name === 'json_build_array' ? mk('json', -1) : mk('jsonb', -1), f);
    }
    case 'format': {
      if (n < 1) break;
      return ex(formatSql(tr, constText(a, 'format string'), args.slice(1)), TEXT, f);
    }
    case 'concat_ws': {
      if (n < 1) break;
      const sep = textArg(tr, a!);
      const parts = args.slice(1).map((x) => (x.t.n === 'unknown' ? (x.lit?.kind === 'null' ? 'NULL' : x.sql) : textOf(tr.env, x, 'output')));
      return ex(`concat_ws(${[sep, ...parts].join(', ')})`, TEXT, f);
    }
    case 'now':
    case 'transaction_timestamp':
      if (n === 0) return ex(nowSql(tr.env), TIMESTAMPTZ, f);
      break;
    case 'date_trunc':
      return dateTrunc(tr, args, f);
    case 'date_part':
      return datePart(tr, args, f, false);
    case 'extract':
      return datePart(tr, args, f, true);
    case 'to_char': {
      if (n !== 2) break;
      let x = a!;
      if (x.t.n === 'unknown') x = coerce(tr.env, x, TIMESTAMPTZ, false);
      if (!x.t.arr && (isInt(x.t) || x.t.n === 'numeric')) {
        const fmt = constText(args[1], 'to_char() format');
        const spec = parseNumFormat(fmt);
        if (typeof spec === 'string') return notSupported(spec);
        // the value's output text (numeric_out, int8out): NaN and the infinities are refused per value
        const text = isInt(x.t) ? `CAST(${x.sql} AS VARCHAR)` : textOf(tr.env, x, 'output');
        return ex(`(CASE WHEN ${x.sql} IS NULL THEN NULL ELSE lg_to_char_num(${text}, ${str(fmt)}) END)`, TEXT, f);
      }
      if (x.t.arr || (x.t.n !== 'date' && x.t.n !== 'timestamp' && x.t.n !== 'timestamptz')) return notSupported(`to_char(${typeName(x.t)}, …)`);
      const fmt = constText(args[1], 'to_char() format');
      // fields of the local time in the session zone (date resolves to the timestamptz variant: local midnight)
      const local = x.t.n === 'timestamptz' ? tzLocal(tr.env, x.sql) : asTimestamp(x);
      return ex(`(CASE WHEN ${x.sql} IS NULL THEN NULL ELSE ${toCharSql(local, fmt)} END)`, TEXT, f);
    }
    case 'timezone': {
      // x AT TIME ZONE 'zone': only named zones both Postgres and DuckDB's ICU know (not abbreviations or offsets)
      if (n !== 2) break;
      const zone = namedZone(tr, args[0], 'AT TIME ZONE');
      let x = args[1]!;
      if (x.t.n === 'unknown') x = coerce(tr.env, x, TIMESTAMPTZ, false);
      if (x.t.n === 'timestamptz') return ex(`lg_timezone(${str(zone)}, ${x.sql})`, TIMESTAMP, f);
      if (x.t.n === 'timestamp') return ex(`lg_timezone(${str(zone)}, ${x.sql})`, TIMESTAMPTZ, f);
      if (x.t.n === 'date') return ex(`lg_timezone(${str(zone)}, ${coerce(tr.env, x, TIMESTAMPTZ, false).sql})`, TIMESTAMP, f);
      break;
    }
    case 'date':
      if (n === 1 && (a!.t.n === 'timestamp' || a!.t.n === 'timestamptz' || a!.t.n === 'date')) return coerce(tr.env, a!, DATE, true);
      break;
    case 'to_timestamp':
      // the one-argument form (Unix epoch seconds); to_timestamp(text, format) is refused below
      if (n === 1 && (isNumber(a!.t) || a!.t.n === 'unknown') && !a!.t.arr) {
        if (a!.t.n === 'numeric' && a!.scale === null) return notSupported('to_timestamp() of numeric values without a declared scale');
        return ex(`lg_to_timestamp(${coerce(tr.env, a!, FLOAT8, false).sql})`, TIMESTAMPTZ, f);
      }
      break;
    case 'age': {
      if (n !== 1 && n !== 2) break;
      if (args.some((x) => x.t.arr || !['timestamp', 'timestamptz', 'date', 'unknown'].includes(x.t.n))) break;
      // Postgres picks age(timestamptz…) when a timestamptz is given, or only dates; then fields are local to
      // the session zone. One argument: age from today's midnight.
      const kinds = args.map((x) => x.t.n);
      const tz = kinds.includes('timestamptz') || !kinds.includes('timestamp');
      const local = (x: Ex) => (tz ? tzLocal(tr.env, coerce(tr.env, x, TIMESTAMPTZ, false).sql) : coerce(tr.env, x, TIMESTAMP, false).sql);
      const from = n === 1 ? `CAST(CAST(${tzLocal(tr.env, nowSql(tr.env))} AS DATE) AS TIMESTAMP)` : local(a!);
      const to = local(args[n - 1]!);
      return ex(
        `(CASE WHEN ${from} IS NULL OR ${to} IS NULL THEN NULL WHEN isfinite(${from}) AND isfinite(${to}) THEN lg_age(epoch_us(${from}), epoch_us(${to})) ` +
          `ELSE lg_infinite_iv(${from}, ${to}) END)`,
        INTERVAL,
        f,
      );
    }
    case 'justify_hours':
    case 'justify_days':
    case 'justify_interval':
      if (n === 1 && a!.t.n === 'interval' && !a!.t.arr) return ex(`lg_${name}(${a!.sql})`, INTERVAL, f);
      break;
    case 'make_date':
      if (n === 3) return ex(`lg_make_date(${args.map((x) => intArg(tr, x)).join(', ')})`, DATE, f);
      break;
    case 'array_length':
      if (n === 2 && a!.t.arr && constInt(args[1], 'array dimension') === 1) {
        return ex(`(CASE WHEN len(${a!.sql}) = 0 THEN NULL ELSE CAST(len(${a!.sql}) AS INTEGER) END)`, INT4, { scale: 0, ...f });
      }
      break;
    case 'cardinality':
      if (n === 1 && a!.t.arr) return ex(`CAST(len(${a!.sql}) AS INTEGER)`, INT4, { scale: 0, ...f });
      break;
    case 'array_to_string': {
      // elements whose text Postgres writes as DuckDB does; NULL elements are skipped, or written as the third
      // argument
      if ((n !== 2 && n !== 3) || !a!.t.arr || !(['text', 'varchar', 'name', 'int2', 'int4', 'int8'].includes(a!.t.n))) break;
      if (!args.slice(1).every((x) => isString(x.t) || x.t.n === 'unknown')) break;
      // a NULL null-string leaves the NULL elements NULL, and array_to_string skips them, as Postgres does
      const list = n === 3 ? `list_transform(${a!.sql}, lg_x -> coalesce(CAST(lg_x AS VARCHAR), ${textArg(tr, args[2]!)}))` : a!.sql;
      const delim = textArg(tr, args[1]!);
      // DuckDB joins without a delimiter when it is NULL; Postgres answers NULL
      return ex(`(CASE WHEN ${delim} IS NULL THEN NULL ELSE array_to_string(${list}, ${delim}) END)`, TEXT, f);
    }
    case 'jsonb_typeof':
    case 'json_typeof':
      if (n === 1 && (a!.t.n === 'jsonb' || a!.t.n === 'json')) return ex(`lg_json_typeof(${a!.sql})`, TEXT, f);
      break;
    case 'jsonb_array_length':
    case 'json_array_length':
      if (n === 1 && (a!.t.n === 'jsonb' || a!.t.n === 'json')) return ex(`lg_json_array_length(${a!.sql}, ${a!.t.n === 'jsonb'})`, INT4, { scale: 0, ...f });
      break;
    case 'jsonb_extract_path_text':
    case 'json_extract_path_text':
    case 'jsonb_extract_path':
    case 'json_extract_path': {
      if (n < 2 || (a!.t.n !== 'jsonb' && a!.t.n !== 'json')) break;
      const path = `[${args.slice(1).map((x) => textArg(tr, x)).join(', ')}]`;
      const asText = name.endsWith('_text');
      return ex(`lg_json_path(${a!.sql}, ${path}, ${asText}, ${a!.t.n === 'jsonb'})`, asText ? TEXT : a!.t, f);
    }
  }
  return notSupported(`${name}(${args.map((x) => typeName(x.t)).join(', ')})`);
}

/** the errors (SQLSTATE:message) for a NULL object key: json.c's, and jsonb_object_agg's (jsonb.c) */
const NULL_KEY = '22004:null value not allowed for object key';
const NULL_FIELD = '22023:field name must not be null';

/**
 * json_build_object / jsonb_build_object as json_build_object_worker writes them: keys as JSON strings of their
 * text (NULL is an error), values as datum_to_json renders them. jsonb's order and duplicate rule (last wins)
 * come from the jsonb output, which normalises the text. Keys and values of other types (floats, dates and
 * times, arrays, json keys) are refused.
 */
function buildObject(tr: Tr, name: string, args: Ex[]): string {
  if (args.length % 2 !== 0) return notSupported(`${name}() with an odd number of arguments`);
  const members: string[] = [];
  for (let i = 0; i < args.length; i += 2) {
    // jsonb_build_object names the argument (jsonb.c), json_build_object does not (json.c)
    const nullKey = name === 'jsonb_build_object' ? `22023:argument ${i + 1}: key must not be null` : NULL_KEY;
    members.push(`${jsonKey(tr, args[i]!, name, nullKey)} || ' : ' || ${jsonValue(tr, args[i + 1]!, name)}`);
  }
  return members.length ? `('{' || ${members.join(` || ', ' || `)} || '}')` : `'{}'`;
}

/** an object key as datum_to_json writes it (key_scalar: always a JSON string); NULL raises `nullKey` (SQLSTATE:message) */
function jsonKey(tr: Tr, k: Ex, fn: string, nullKey: string): string {
  if (k.lit?.kind === 'null') return notSupported(`${fn}() with a NULL key`);
  const key = k.t.n === 'bool' && !k.t.arr
    ? `(CASE WHEN ${k.sql} THEN '"true"' ELSE '"false"' END)`
    : isInt(k.t) || k.t.n === 'numeric' || isString(k.t) || k.t.n === 'unknown' || k.t.n === 'uuid'
      ? `lg_json_quote(${jsonScalarText(tr, k, fn)})`
      : notSupported(`${fn}() with a key of type ${typeName(k.t)}`);
  return `(CASE WHEN ${k.sql} IS NULL THEN error('${ERROR_TAG}${nullKey.replace(/'/g, "''")}') ELSE ${key} END)`;
}

function jsonScalarText(tr: Tr, e: Ex, fn: string): string {
  if (e.t.arr) return notSupported(`${fn}() of ${typeName(e.t)}`);
  return e.t.n === 'unknown' ? e.sql : textOf(tr.env, e, 'output');
}

/** datum_to_json for the types whose JSON form is their output text, quoted or not; NULL is null */
function jsonValue(tr: Tr, e: Ex, fn: string): string {
  if (e.lit?.kind === 'null') return `'null'`;
  if (e.t.arr) return notSupported(`${fn}() of ${typeName(e.t)}`);
  const n = e.t.n;
  let v: string;
  if (n === 'bool') v = `(CASE WHEN ${e.sql} IS NULL THEN NULL WHEN ${e.sql} THEN 'true' ELSE 'false' END)`;
  else if (isInt(e.t)) v = `CAST(${e.sql} AS VARCHAR)`;
  else if (n === 'numeric') {
    // NaN and the infinities are not JSON numbers: quoted
    const t = textOf(tr.env, e, 'output');
    v = `(CASE WHEN ${t} IN ('NaN', 'Infinity', '-Infinity') THEN '"' || ${t} || '"' ELSE ${t} END)`;
  } else if (n === 'json' || n === 'jsonb') v = e.sql;
  else if (isString(e.t) || n === 'unknown' || n === 'uuid') v = `lg_json_quote(${jsonScalarText(tr, e, fn)})`;
  else return notSupported(`${fn}() of ${typeName(e.t)}`);
  return `coalesce(${v}, 'null')`;
}

/**
 * format() with a constant format string, compiled to a concatenation as text_format() reads it: %s (the value's
 * output text, '' for NULL), %L (quote_literal, NULL unquoted), %%, argument positions (n$: later plain specifiers
 * continue after it) and a constant width (right-aligned, or left with -). %I (quote_ident needs Postgres'
 * keyword list), widths taken from arguments, and formats Postgres rejects at run time are refused.
 */
function formatSql(tr: Tr, fmt: string, args: Ex[]): string {
  const parts: string[] = [];
  const lit = (x: string) => `'${x.replace(/'/g, "''")}'`;
  let next = 0;
  let text = '';
  const re = /%(?:(%)|(?:([1-9]\d*)\$)?(-)?(\d*)([sIL]))/y;
  for (let i = 0; i < fmt.length; ) {
    if (fmt[i] !== '%') {
      text += fmt[i++];
      continue;
    }
    re.lastIndex = i;
    const m = re.exec(fmt);
    if (!m) return notSupported('this format() specifier');
    i = re.lastIndex;
    if (m[1]) {
      text += '%';
      continue;
    }
    if (m[5] === 'I') return notSupported('format() with %I');
    const at = m[2] ? Number(m[2]) - 1 : next;
    next = at + 1;
    const arg = args[at];
    if (!arg) return notSupported('format() with fewer arguments than the format string uses');
    const v = arg.lit?.kind === 'null' ? 'NULL' : arg.t.n === 'unknown' ? arg.sql : textOf(tr.env, arg, 'output');
    let piece = m[5] === 's'
      ? `coalesce(${v}, '')`
      : `(CASE WHEN ${v} IS NULL THEN 'NULL' WHEN contains(${v}, '\\') THEN 'E''' || replace(replace(${v}, '\\', '\\\\'), '''', '''''') || '''' ` +
        `ELSE '''' || replace(${v}, '''', '''''') || '''' END)`;
    const width = m[4] ? Number(m[4]) : 0;
    if (width > 0) {
      // padded to `width` characters, never cut
      const pad = `repeat(' ', ${width} - length(${piece}))`;
      piece = `(CASE WHEN length(${piece}) >= ${width} THEN ${piece} ELSE ${m[3] ? `${piece} || ${pad}` : `${pad} || ${piece}`} END)`;
    }
    if (text) parts.push(lit(text));
    text = '';
    parts.push(piece);
  }
  if (text || parts.length === 0) parts.push(lit(text));
  return `(${parts.join(' || ')})`;
}

function caseMap(tr: Tr, name: 'lower' | 'upper', a: Ex): string {
  const s = textArg(tr, a);
  const rules = caseRulesFor(tr, a);
  if (rules === 'ascii') return asciiCase(name, s);
  // tr_TR/az_AZ: i and I change to and from dotted/dotless letters outside ASCII
  if (tr.env.session.turkicCase) return notSupported(`${name}() under a Turkish or Azeri ctype or collation`);
  if (rules === 'mixed') return notSupported(`${name}() under ${caseRulesText(rules)}`);
  if (rules === 'unicode') return asciiCase(name, `lg_ascii_case(${s})`);
  // libc and DuckDB agree on ASCII; other letters (ß, ǅ, final sigma …) follow different tables
  return `lg_${name}(${s})`;
}

/** lower()/upper() of ASCII letters only (LC_CTYPE C; text checked to be ASCII) */
export function asciiCase(name: 'lower' | 'upper', s: string): string {
  const up = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const low = up.toLowerCase();
  return name === 'lower' ? `translate(${s}, '${up}', '${low}')` : `translate(${s}, '${low}', '${up}')`;
}

export function caseRulesText(rules: 'unicode' | 'mixed'): string {
  return rules === 'unicode' ? 'an ICU or builtin Unicode collation' : 'a collation other than the database default';
}

const TRUNC_UNITS = new Set(['microseconds', 'milliseconds', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year']);

function unitOf(e: Ex | undefined): string {
  const u = constText(e, 'date/time field').toLowerCase();
  const alias: Record<string, string> = {
    microsecond: 'microseconds', us: 'microseconds', usec: 'microseconds', usecs: 'microseconds', useconds: 'microseconds',
    millisecond: 'milliseconds', ms: 'milliseconds', msec: 'milliseconds', msecs: 'milliseconds', mseconds: 'milliseconds',
    seconds: 'second', sec: 'second', secs: 'second', s: 'second',
    minutes: 'minute', min: 'minute', mins: 'minute', m: 'minute',
    hours: 'hour', hr: 'hour', hrs: 'hour', h: 'hour',
    days: 'day', d: 'day', weeks: 'week', w: 'week', months: 'month', mon: 'month', mons: 'month',
    quarters: 'quarter', qtr: 'quarter', years: 'year', y: 'year', yr: 'year', yrs: 'year',
  };
  return alias[u] ?? u;
}

/** date_trunc units below a day: timestamptz_trunc keeps the value's UTC offset instead of looking it up again */
const SUBDAY_UNITS = new Set(['microseconds', 'milliseconds', 'second', 'minute', 'hour']);

function dateTrunc(tr: Tr, args: Ex[], f: { agg: boolean; win: boolean }): Ex {
  if (args.length === 3) return dateTruncInZone(tr, args, f);
  if (args.length !== 2) return notSupported('this date_trunc() form');
  const unit = unitOf(args[0]);
  if (!TRUNC_UNITS.has(unit)) return notSupported(`date_trunc('${unit}', …)`);
  let x = args[1]!;
  if (x.t.n === 'unknown') x = coerce(tr.env, x, TIMESTAMPTZ, false);
  const u = str(unit);
  switch (x.t.n) {
    case 'timestamp':
      return ex(`date_trunc(${u}, ${x.sql})`, TIMESTAMP, f);
    case 'timestamptz':
      return ex(truncLocal(unit, x.sql, (v) => tzLocal(tr.env, v), (v) => tzFromLocal(tr.env, v)), TIMESTAMPTZ, f);
    case 'date':
      // date resolves to the timestamptz variant: local midnight of the session zone
      return ex(tzFromLocal(tr.env, `date_trunc(${u}, lg_date_ts(${x.sql}))`), TIMESTAMPTZ, f);
  }
  return notSupported(`date_trunc() of ${typeName(x.t)}`);
}

/**
 * A timestamptz truncated on a zone's local calendar (`toLocal`/`fromLocal` convert) and read back in it.
 * Below a day the value keeps its UTC offset, as timestamptz_trunc does: in a fall-back's repeated hour,
 * reading the truncated local time back would pick the other instant.
 */
function truncLocal(unit: string, sql: string, toLocal: (v: string) => string, fromLocal: (v: string) => string): string {
  const u = str(unit);
  if (SUBDAY_UNITS.has(unit)) return `(${sql} - (${toLocal(sql)} - date_trunc(${u}, ${toLocal(sql)})))`;
  return fromLocal(`date_trunc(${u}, ${toLocal(sql)})`);
}

/** the zone a constant names, when both Postgres and DuckDB's ICU know it by that name (no abbreviations or offsets) */
function namedZone(tr: Tr, arg: Ex | undefined, what: string): string {
  const z = constText(arg, 'time zone');
  const zone = tr.env.zones?.get(z.toLowerCase());
  if (!zone || !(zone.includes('/') || /^(UTC|GMT|Etc\/.*)$/i.test(zone))) return notSupported(`${what} '${z}'`);
  return zone;
}

/** date_trunc(unit, timestamptz, zone), as timestamptz_trunc_zone() does */
function dateTruncInZone(tr: Tr, args: Ex[], f: { agg: boolean; win: boolean }): Ex {
  const unit = unitOf(args[0]);
  if (!TRUNC_UNITS.has(unit)) return notSupported(`date_trunc('${unit}', …)`);
  const zone = str(namedZone(tr, args[2], 'date_trunc() in time zone'));
  let x = args[1]!;
  if (x.t.n === 'unknown' || x.t.n === 'date' || x.t.n === 'timestamp') x = coerce(tr.env, x, TIMESTAMPTZ, false);
  if (x.t.n !== 'timestamptz' || x.t.arr) return notSupported(`date_trunc() of ${typeName(x.t)} in a time zone`);
  const inZone = (v: string) => `lg_timezone(${zone}, ${v})`;
  return ex(truncLocal(unit, x.sql, inZone, inZone), TIMESTAMPTZ, f);
}

/** extract() (numeric, exact) and date_part() (float8). */
function datePart(tr: Tr, args: Ex[], f: { agg: boolean; win: boolean }, numericResult: boolean): Ex {
  if (args.length !== 2) return notSupported('this date_part() form');
  const unit = unitOf(args[0]);
  let x = args[1]!;
  if (x.t.n === 'unknown') x = coerce(tr.env, x, TIMESTAMPTZ, false);
  const kind = x.t.n;
  if (kind === 'interval' && !x.t.arr) return intervalPart(unit, x.sql, numericResult, f);
  if (kind === 'time' && !x.t.arr) return timePart(unit, x.sql, numericResult, f);
  if (kind !== 'date' && kind !== 'timestamp' && kind !== 'timestamptz') return notSupported(`extract() from ${typeName(x.t)}`);
  if (kind === 'date' && ['hour', 'minute', 'second', 'milliseconds', 'microseconds'].includes(unit)) {
    return notSupported(`extract(${unit} from date)`);
  }
  // fields other than epoch read the local calendar of the session zone
  // a date: date_part(text, date) is a SQL function over date::timestamp (22008 past that range); extract() reads
  // the date itself, which DuckDB can only do through a timestamp (refused past its range)
  const dateTs = `${numericResult ? 'lg_date_ts_x' : 'lg_date_ts'}(${x.sql})`;
  const local = kind === 'timestamptz' ? tzLocal(tr.env, x.sql) : kind === 'date' ? dateTs : x.sql;
  let sql: string;
  let scale = 0;
  switch (unit) {
    case 'year':
    case 'isoyear':
      // DuckDB counts years astronomically (1 BC is year 0); Postgres' year before 1 AD is -1
      sql = `lg_bc_year(${unit}(${local}))`;
      break;
    case 'month':
    case 'day':
    case 'hour':
    case 'minute':
    case 'quarter':
      sql = `${unit}(${local})`;
      break;
    case 'dow':
      sql = `dayofweek(${local})`;
      break;
    case 'isodow':
      sql = `isodow(${local})`;
      break;
    case 'doy':
      sql = `dayofyear(${local})`;
      break;
    case 'week':
      sql = `week(${local})`;
      break;
    case 'microseconds':
      sql = `datepart('microseconds', ${local})`;
      break;
    case 'milliseconds':
      sql = decimalShift(`datepart('microseconds', ${local})`, 3, 18);
      scale = 3;
      break;
    case 'second':
      sql = decimalShift(`datepart('microseconds', ${local})`, 6, 18);
      scale = 6;
      break;
    case 'epoch':
      if (kind === 'date') {
        sql = `(epoch_us(${dateTs}) // 1000000)`;
      } else {
        // epoch of a timestamptz is absolute; of a timestamp, its fields read as UTC
        sql = decimalShift(`epoch_us(${x.sql})`, 6, 38);
        scale = 6;
      }
      break;
    default:
      return notSupported(`extract(${unit} …)`);
  }
  // ±infinity: the fields that grow with time (year, isoyear, epoch) are ±Infinity, the others NULL
  // (NonFiniteTimestampTzPart); a numeric Infinity has no DECIMAL form, so extract() refuses that row
  const monotonic = unit === 'year' || unit === 'isoyear' || unit === 'epoch';
  const finite = (body: string, infinite: string) => `(CASE WHEN ${x.sql} IS NULL OR isfinite(${x.sql}) THEN ${body} ELSE ${infinite} END)`;
  if (numericResult) {
    const refuse = `error('${ERROR_TAG}0A000:extract(${unit}) of an infinite date or timestamp is not supported on lakegate mirrors')`;
    return ex(finite(sql, monotonic ? `CAST(${refuse} AS DECIMAL(38,${scale}))` : 'NULL'), NUMERIC, { scale, ...f });
  }
  const epochType = kind === 'date' ? 'DATE' : kind === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
  const infinity = monotonic
    ? `(CASE WHEN ${x.sql} > CAST('1970-01-01 00:00:00${kind === 'timestamptz' ? '+00' : ''}' AS ${epochType}) THEN CAST('inf' AS DOUBLE) ELSE CAST('-inf' AS DOUBLE) END)`
    : 'NULL';
  // date_part() of seconds and milliseconds is float8 arithmetic in Postgres, rounded twice
  const float = secondsFloat(unit, `datepart('microseconds', ${local})`);
  if (float) return ex(finite(float, infinity), FLOAT8, f);
  // epoch: the microseconds as float8 (rounded beyond 2^53 µs, ±285 years from 1970), divided once
  if (unit === 'epoch' && kind !== 'date') return ex(finite(`(CAST(epoch_us(${x.sql}) AS DOUBLE) / CAST(1000000 AS DOUBLE))`, infinity), FLOAT8, f);
  // the other fields (and a date's epoch) are whole numbers: float8 of the same value
  return ex(finite(`CAST(CAST(${sql} AS VARCHAR) AS DOUBLE)`, infinity), FLOAT8, f);
}

/** the integer `v` divided by 10^digits, exactly, as DECIMAL(width, digits) (microseconds → seconds: 6) */
function decimalShift(v: string, digits: number, width: number): string {
  return `CAST(CAST(${v} AS DECIMAL(${width},0)) * CAST('0.${'0'.repeat(digits - 1)}1' AS DECIMAL(${digits + 1},${digits})) AS DECIMAL(${width},${digits}))`;
}

/**
 * date_part('second' | 'milliseconds', …) from the microseconds within the minute, in the float8 steps of
 * timestamp_part_common / time_part_common: tm_sec + fsec / 1000000.0 and tm_sec * 1000.0 + fsec / 1000.0. The
 * second rounding makes ~1.6 % of values differ in the last digit from the decimal value read as float8
 * (1.003691 s gives 1.0036909999999999). Null for other units.
 */
function secondsFloat(unit: string, usecInMinute: string): string | null {
  const sec = `CAST(${usecInMinute} // 1000000 AS DOUBLE)`;
  const fsec = `CAST(${usecInMinute} % 1000000 AS DOUBLE)`;
  if (unit === 'second') return `(${sec} + ${fsec} / CAST(1000000 AS DOUBLE))`;
  if (unit === 'milliseconds') return `(${sec} * CAST(1000 AS DOUBLE) + ${fsec} / CAST(1000 AS DOUBLE))`;
  return null;
}

/**
 * extract(field FROM time) / date_part(field, time) as time_part_common() computes them: hour, minute, second,
 * milliseconds, microseconds and epoch (seconds since midnight); Postgres rejects the other fields for time.
 */
function timePart(unit: string, t: string, numericResult: boolean, f: { agg: boolean; win: boolean }): Ex {
  const usec = `CAST(datepart('microseconds', ${t}) AS BIGINT)`;
  const scaled = (v: string, digits: number, width: number) => ex(decimalShift(v, digits, width), NUMERIC, { scale: digits, ...f });
  const whole = (v: string) => (numericResult ? ex(`CAST(${v} AS DECIMAL(18,0))`, NUMERIC, { scale: 0, ...f }) : ex(`CAST(${v} AS DOUBLE)`, FLOAT8, f));
  switch (unit) {
    case 'hour':
    case 'minute':
      return whole(`${unit}(${t})`);
    case 'microseconds':
      return whole(usec);
    case 'second':
      return numericResult ? scaled(usec, 6, 18) : ex(secondsFloat(unit, usec)!, FLOAT8, f);
    case 'milliseconds':
      return numericResult ? scaled(usec, 3, 18) : ex(secondsFloat(unit, usec)!, FLOAT8, f);
    case 'epoch': {
      const micros = `((CAST(hour(${t}) AS BIGINT) * 60 + minute(${t})) * 60000000 + ${usec})`;
      // float8: one division, time / 1000000.0
      return numericResult ? scaled(micros, 6, 18) : ex(`(CAST(${micros} AS DOUBLE) / CAST(1000000 AS DOUBLE))`, FLOAT8, f);
    }
    default:
      return notSupported(`extract(${unit} from time)`);
  }
}

/**
 * extract(field FROM interval) / date_part(field, interval) as interval_part_common() computes them: fields
 * of the interval's months, days and microseconds, truncated toward zero (DuckDB's datepart on an interval
 * splits it the same way); epoch counts a year as 365.25 days and a month as 30, exactly in numeric, in the
 * same steps as Postgres' float8 sum in date_part.
 */
function intervalPart(unit: string, iv: string, numericResult: boolean, f: { agg: boolean; win: boolean }): Ex {
  const part = (u: string) => `CAST(datepart('${u}', ${iv}) AS BIGINT)`;
  const dbl = (v: string) => `CAST(${v} AS DOUBLE)`;
  // seconds and microseconds within the minute, as microseconds
  const usec = part('microseconds');
  const scaled = (digits: number) => ex(decimalShift(usec, digits, 18), NUMERIC, { scale: digits, ...f });
  const whole = (v: string) => (numericResult ? ex(`CAST(${v} AS DECIMAL(18,0))`, NUMERIC, { scale: 0, ...f }) : ex(dbl(v), FLOAT8, f));
  const truncDiv = (v: string, by: number) => `CAST(trunc(${dbl(v)} / ${dbl(String(by))}) AS BIGINT)`;
  switch (unit) {
    case 'epoch': {
      const micros = `lg_iv_us(${iv})`;
      if (numericResult) {
        const secs = `(1461 * ${part('year')} + 120 * ${part('month')} + 4 * ${part('day')}) * 21600`;
        return ex(decimalShift(`CAST(${secs} AS HUGEINT) * 1000000 + ${micros}`, 6, 38), NUMERIC, { scale: 6, ...f });
      }
      return ex(
        `(((${dbl(micros)} / ${dbl('1000000')} + ${dbl('31557600')} * ${dbl(part('year'))}) + ${dbl('2592000')} * ${dbl(part('month'))}) + ${dbl('86400')} * ${dbl(part('day'))})`,
        FLOAT8,
        f,
      );
    }
    case 'second':
      if (numericResult) return scaled(6);
      return ex(`(${dbl(truncDiv(usec, 1000000))} + ${dbl(`${usec} % 1000000`)} / ${dbl('1000000')})`, FLOAT8, f);
    case 'milliseconds':
      if (numericResult) return scaled(3);
      return ex(`(${dbl(truncDiv(usec, 1000000))} * ${dbl('1000')} + ${dbl(`${usec} % 1000000`)} / ${dbl('1000')})`, FLOAT8, f);
    case 'microseconds':
      return whole(usec);
    case 'minute':
    case 'hour':
    case 'day':
    case 'month':
    case 'year':
      return whole(part(unit));
    case 'decade':
      return whole(truncDiv(part('year'), 10));
    case 'century':
      return whole(truncDiv(part('year'), 100));
    case 'millennium':
      return whole(truncDiv(part('year'), 1000));
    default:
      return notSupported(`extract(${unit} from interval)`);
  }
}

