// Expressions: each supported Postgres node (as libpg_query parses it) becomes DuckDB SQL with the Postgres type
// of its value. Operators are resolved the way Postgres resolves them for the types we model (numeric widening,
// unknown literals taking the other side's type, date/time mixes), so the DuckDB operation is the one Postgres
// would run.
import { coerce, nowSql, nullOf, textOf, tzLocal } from './cast.js';
import { ex, flags, str, type Ex } from './ex.js';
import { notSupported } from './errors.js';
import { asciiCase, callFunction, caseRulesText, startsWith } from './funcs.js';
import { constEx } from './literal.js';
import {
  BOOL,
  category,
  FLOAT8,
  INT4,
  INT8,
  INTERVAL,
  isFloat,
  isInt,
  isNumber,
  isString,
  NUMERIC,
  same,
  t as mk,
  TEXT,
  typeName,
  UNKNOWN,
  widerNumber,
  fromTypeName,
  type PgT,
  TIMESTAMP,
  TIMESTAMPTZ,
  DATE,
} from './pg-type.js';
import type { Scope } from './scope.js';
import { caseRulesFor, list, node, strings, type ExprCtx, type Obj, type Tr } from './translator.js';
import { varSql, type VarNode } from './var-numeric.js';
import { regexMatchRe2 } from './regex.js';
import { checkedIntAbs, checkedIntNeg, checkedIntOp } from './int-checked.js';
import { bitNot, bitwise } from './bitwise.js';

export function compileExpr(tr: Tr, n: unknown, sc: Scope, cx0: ExprCtx): Ex {
  const [k, b] = node(n);
  // a set-returning function may only be the select-list entry itself
  const cx = cx0.srf && k !== 'FuncCall' ? { ...cx0, srf: false } : cx0;
  switch (k) {
    case 'ColumnRef':
      return columnRef(b, sc);
    case 'A_Const':
      return constant(b);
    case 'ParamRef':
      return param(tr, b);
    case 'TypeCast': {
      const to = fromTypeName(b.typeName as Obj);
      const direct = floatLiteral(b.arg, to);
      if (direct) return direct;
      const arg = compileExpr(tr, b.arg, sc, cx);
      if (arg.v) return varCast(arg, to);
      return coerce(tr.env, arg, to, true);
    }
    case 'A_Expr':
      return aExpr(tr, b, sc, cx);
    case 'BoolExpr': {
      const args = list(b.args).map((a) => asBool(tr, compileExpr(tr, a, sc, cx)));
      switch (b.boolop) {
        case 'AND_EXPR':
          return ex(`(${args.map((a) => a.sql).join(' AND ')})`, BOOL, flags(...args));
        case 'OR_EXPR':
          return ex(`(${args.map((a) => a.sql).join(' OR ')})`, BOOL, flags(...args));
        default:
          return ex(`(NOT ${args[0]!.sql})`, BOOL, flags(...args));
      }
    }
    case 'NullTest': {
      const a = plain(compileExpr(tr, b.arg, sc, cx));
      if (a.t.n === 'unknown' && a.lit?.kind !== 'null' && !a.lit) return notSupported('IS NULL on this value');
      return ex(`(${a.sql} IS ${b.nulltesttype === 'IS_NOT_NULL' ? 'NOT ' : ''}NULL)`, BOOL, flags(a));
    }
    case 'BooleanTest': {
      const a = asBool(tr, compileExpr(tr, b.arg, sc, cx));
      const m: Record<string, string> = {
        IS_TRUE: `(${a.sql} IS NOT DISTINCT FROM TRUE)`,
        IS_NOT_TRUE: `(${a.sql} IS DISTINCT FROM TRUE)`,
        IS_FALSE: `(${a.sql} IS NOT DISTINCT FROM FALSE)`,
        IS_NOT_FALSE: `(${a.sql} IS DISTINCT FROM FALSE)`,
        IS_UNKNOWN: `(${a.sql} IS NULL)`,
        IS_NOT_UNKNOWN: `(${a.sql} IS NOT NULL)`,
      };
      return ex(m[b.booltesttype as string]!, BOOL, flags(a));
    }
    case 'CaseExpr':
      return caseExpr(tr, b, sc, cx);
    case 'CoalesceExpr': {
      const args = list(b.args).map((a) => compileExpr(tr, a, sc, cx));
      if (args.some((a) => a.v)) {
        // COALESCE(avg(x), 0): the first non-NULL, each with its own numeric scale
        if (args.some((a) => !a.v && !isInt(a.t) && a.t.n !== 'numeric' && a.lit?.kind !== 'null')) return notSupported('COALESCE mixing avg()/numeric division with non-numeric values');
        const items = args.filter((a) => a.lit?.kind !== 'null').map((a) => leafOf(a));
        return varEx({ k: 'coalesce', items }, cx, flags(...args));
      }
      const u = unify(tr, args, 'COALESCE');
      return ex(`COALESCE(${perValueScale(u).map((a) => a.sql).join(', ')})`, u.t, { scale: u.scale, ...flags(...u.items) });
    }
    case 'MinMaxExpr': {
      const args = list(b.args).map((a) => compileExpr(tr, a, sc, cx));
      const u = unify(tr, args, b.op === 'IS_GREATEST' ? 'GREATEST' : 'LEAST');
      if (u.scale === null && u.t.n === 'numeric') return minMaxPerValueScale(u, b.op === 'IS_GREATEST');
      if (isString(u.t) && !tr.env.session.codePointCollation) return notSupported('GREATEST/LEAST over text under a non-C collation');
      if (u.t.n === 'bpchar') return notSupported('GREATEST/LEAST over char(n)');
      if (u.t.n === 'interval' && !u.t.arr) return minMaxByKey(u, b.op === 'IS_GREATEST');
      const fn = b.op === 'IS_GREATEST' ? 'greatest' : 'least';
      return ex(`${fn}(${u.items.map((a) => a.sql).join(', ')})`, u.t, { scale: u.scale, ...flags(...u.items) });
    }
    case 'FuncCall':
      return callFunction(tr, b, sc, cx);
    case 'GroupingFunc': {
      if (!cx.agg || cx.inAgg) return notSupported(`GROUPING() in ${cx.what}`);
      const args = list(b.args).map((a) => plain(compileExpr(tr, a, sc, { ...cx, agg: false, win: false, var: false })));
      return ex(`CAST(grouping(${args.map((a) => a.sql).join(', ')}) AS INTEGER)`, INT4, { scale: 0, agg: true });
    }
    case 'SQLValueFunction':
      return sqlValueFunction(tr, b);
    case 'SubLink':
      return subLink(tr, b, sc, cx);
    case 'A_Indirection':
      return indirection(tr, b, sc, cx);
    case 'A_ArrayExpr': {
      const items = list(b.elements).map((a) => compileExpr(tr, a, sc, cx));
      if (items.length === 0) return notSupported('empty ARRAY[] constructors');
      const u = unify(tr, items, 'ARRAY');
      if (u.t.arr) return notSupported('multi-dimensional arrays');
      if (u.t.n === 'numeric' && u.scale === null) return notSupported('numeric arrays with mixed scales');
      return ex(`[${u.items.map((a) => a.sql).join(', ')}]`, mk(u.t.n, u.t.mod, true), { scale: u.scale, ...flags(...u.items) });
    }
    case 'CollateClause': {
      const coll = strings(b.collname);
      const name = coll[coll.length - 1]!;
      if (name !== 'C' && name !== 'POSIX' && name !== 'ucs_basic') return notSupported(`COLLATE "${name}"`);
      const a = compileExpr(tr, b.arg, sc, cx);
      if (!isString(a.t) && a.t.n !== 'unknown') return notSupported('COLLATE on a non-text value');
      tr.collated = true;
      return { ...a, collateC: true } as Ex;
    }
    default:
      return notSupported(exprName(k));
  }
}

function exprName(k: string): string {
  const names: Record<string, string> = {
    RowExpr: 'row constructors',
    GroupingFunc: 'GROUPING()',
    XmlExpr: 'XML functions',
    A_Star: '*',
    SetToDefault: 'DEFAULT',
    CurrentOfExpr: 'WHERE CURRENT OF',
  };
  return names[k] ?? `the expression ${k}`;
}

/**
 * An avg()/numeric-division value DuckDB has to use (compare, sort, pass to a function): computed inside the
 * query by the exact lg_num* functions instead of being finished in JS at output.
 */
export function plain(e: Ex, _what?: string): Ex {
  if (!e.v) return e;
  const scale = e.t.n === 'numeric' ? null : isInt(e.t) ? 0 : null;
  return { sql: varSql(e.v), t: e.t, scale, agg: e.agg, win: e.win };
}

function columnRef(b: Obj, sc: Scope): Ex {
  const parts = strings(b.fields);
  if (parts.includes('*')) return notSupported('* in this position');
  const { col } = sc.column(parts);
  const e = ex(col.sql, col.t, { scale: col.scale });
  return col.wide && col.wide.of === col.sql ? { ...e, wide: col.wide } : e;
}

function constant(b: Obj): Ex {
  if (b.isnull) return ex('NULL', UNKNOWN, { lit: { kind: 'null', text: '' } });
  if (b.ival !== undefined) {
    const v = ((b.ival as Obj).ival as number | undefined) ?? 0;
    return ex(`CAST(${v} AS INTEGER)`, INT4, { scale: 0, lit: { kind: 'number', text: String(v) } });
  }
  if (b.fval !== undefined) {
    const text = (b.fval as Obj).fval as string;
    if (/^-?\d+$/.test(text)) {
      const v = BigInt(text);
      if (v >= -(2n ** 63n) && v < 2n ** 63n) return ex(`CAST(${v} AS BIGINT)`, INT8, { scale: 0, lit: { kind: 'number', text } });
    }
    const c = literalNumeric(text);
    return ex(c.sql, NUMERIC, { scale: c.scale, lit: { kind: 'number', text } });
  }
  if (b.boolval !== undefined) {
    const v = ((b.boolval as Obj).boolval as boolean | undefined) ?? false;
    return ex(v ? 'TRUE' : 'FALSE', BOOL, { lit: { kind: 'bool', text: String(v) } });
  }
  if (b.sval !== undefined) {
    const text = ((b.sval as Obj).sval as string | undefined) ?? '';
    return ex(str(text), UNKNOWN, { lit: { kind: 'string', text } });
  }
  return notSupported('bit-string constants');
}

/**
 * `1e300::float8`: Postgres reads the numeric constant's text with strtod (numeric → float8 goes through its
 * text), so the literal's own text gives the same value, whatever its digit count. Values out of the type's
 * range (Postgres raises) take the ordinary path.
 */
function floatLiteral(arg: unknown, to: PgT): Ex | null {
  if ((to.n !== 'float8' && to.n !== 'float4') || to.arr) return null;
  const [k, b] = node(arg);
  if (k !== 'A_Const' || b.fval === undefined) return null;
  const text = ((b.fval as Obj).fval as string | undefined) ?? '';
  if (!/^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return null;
  const v = to.n === 'float8' ? Number(text) : Math.fround(Number(text));
  if (!Number.isFinite(v) || (v === 0 && /[1-9]/.test(text.replace(/[eE].*$/, '')))) return null;
  return ex(`CAST(${str(text)} AS ${to.n === 'float8' ? 'DOUBLE' : 'FLOAT'})`, to);
}

function literalNumeric(text: string): { sql: string; scale: number } {
  // numeric_in of the literal's digits
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return notSupported(`the numeric literal ${text}`);
  const frac = m[3] ?? '';
  const exp = m[4] ? Number(m[4]) : 0;
  let digits = ((m[2] ?? '') + frac).replace(/^0+(?=\d)/, '') || '0';
  let scale = frac.length - exp;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const p = Math.max(digits.replace(/^0+/, '').length, scale, 1);
  if (p > 38) return notSupported('numeric literals with more than 38 digits');
  let t = digits.padStart(scale + 1, '0');
  if (scale > 0) t = t.slice(0, t.length - scale) + '.' + t.slice(t.length - scale);
  return { sql: `CAST(${str(m[1] + t)} AS DECIMAL(${p},${scale}))`, scale };
}

function param(tr: Tr, b: Obj): Ex {
  const n = (b.number as number | undefined) ?? 0;
  const p = tr.env.params[n - 1];
  if (!p) return notSupported(`parameter $${n}`);
  if (p.value) {
    const e = constEx(p.value, p.t);
    if (p.value.sql === 'NULL') return nullOf(p.t);
    return e;
  }
  // prepare-time placeholder: a NULL of the right DuckDB type
  const pt = p.t.n === 'unknown' ? TEXT : p.t;
  if (pt.n === 'numeric') return ex('CAST(NULL AS DECIMAL(38,0))', pt, { scale: 0 });
  return nullOf(pt);
}

// ---- operators -------------------------------------------------------------------------------------

function aExpr(tr: Tr, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  const name = strings(b.name);
  const op = name[name.length - 1]!;
  if (name.length > 1 && name[0] !== 'pg_catalog') return notSupported(`operator ${name.join('.')}`);
  switch (b.kind) {
    case 'AEXPR_OP': {
      if (!b.lexpr) return prefix(tr, op, compileExpr(tr, b.rexpr, sc, cx));
      if (node(b.lexpr)[0] === 'RowExpr' && node(b.rexpr)[0] === 'RowExpr') return rowComparison(tr, op, b, sc, cx);
      const l = compileExpr(tr, b.lexpr, sc, cx);
      const r = compileExpr(tr, b.rexpr, sc, cx);
      if (op === '~' || op === '!~' || op === '~*' || op === '!~*') return regexMatch(tr, op, l, r);
      return binary(tr, op, l, r, cx);
    }
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT': {
      const [l, r] = comparable(tr, compileExpr(tr, b.lexpr, sc, cx), compileExpr(tr, b.rexpr, sc, cx), '=');
      return ex(distinctSql(l, r, b.kind === 'AEXPR_NOT_DISTINCT'), BOOL, flags(l, r));
    }
    case 'AEXPR_NULLIF': {
      const l0 = plain(compileExpr(tr, b.lexpr, sc, cx));
      const [l, r] = comparable(tr, l0, compileExpr(tr, b.rexpr, sc, cx), '=');
      // the result has the left input type of the = operator Postgres picks: the first argument's own type
      // where a cross-type operator exists (int2 = int8, date = timestamp), else the common type (int = numeric
      // compares as numeric, numeric = float8 as float8); the described type guards any other case
      let first = l0.t.n === 'unknown' ? coerce(tr.env, l0, TEXT, false) : l0;
      const rt = r.t;
      if ((isInt(first.t) && rt.n === 'numeric' && !rt.arr) || (isNumber(first.t) && !isFloat(first.t) && rt.n === 'float8' && !rt.arr)) {
        first = coerce(tr.env, first, mk(rt.n), false);
      }
      return ex(`(CASE WHEN ${compareSql('=', l, r)} THEN NULL ELSE ${first.sql} END)`, first.t, { scale: first.scale, ...flags(l, r) });
    }
    case 'AEXPR_IN': {
      const l = plain(compileExpr(tr, b.lexpr, sc, cx));
      const items = listItems(b.rexpr).map((a) => plain(compileExpr(tr, a, sc, cx)));
      if (op !== '=' && op !== '<>') return notSupported(`IN with operator ${op}`);
      const not = op === '<>' ? 'NOT ' : '';
      if ([l, ...items].some((e) => e.t.n === 'float4' && !e.t.arr)) {
        // transformAExprIn: two or more constants compare as one array of their common type with the left side
        // (real for real and numeric), every other item with its own = operator (real = numeric is float48eq)
        const consts = items.filter((e) => e.lit !== undefined);
        const inArray = consts.length > 1 ? consts : [];
        const parts: string[] = [];
        if (inArray.length > 0) {
          const u = unify(tr, [l, ...inArray], 'IN');
          const [lx, ...rx] = u.items as [Ex, ...Ex[]];
          parts.push(`(${compareForm(lx)} IN (${rx.map(compareForm).join(', ')}))`);
        }
        for (const e of items.filter((x) => !inArray.includes(x))) {
          const [a, c] = comparable(tr, l, e, '=');
          parts.push(compareSql('=', a, c));
        }
        return ex(`(${not}(${parts.join(' OR ')}))`, BOOL, flags(l, ...items));
      }
      const u = unify(tr, [l, ...items], 'IN');
      const [lx, ...rx] = u.items as [Ex, ...Ex[]];
      if (u.items.some(isTextNumeric)) {
        // numerics carried as text compare exactly through lg_numcmp; OR keeps IN's NULL semantics
        return ex(`(${not}(${rx.map((x) => compareSql('=', lx, x)).join(' OR ')}))`, BOOL, flags(l, ...items));
      }
      return ex(`(${compareForm(lx)} ${not}IN (${rx.map(compareForm).join(', ')}))`, BOOL, flags(l, ...items));
    }
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL': {
      const l = plain(compileExpr(tr, b.lexpr, sc, cx));
      let r = plain(compileExpr(tr, b.rexpr, sc, cx));
      if (r.t.n === 'unknown' && l.t.n !== 'unknown') r = coerce(tr.env, r, mk(l.t.n, -1, true), false);
      if (!r.t.arr) return notSupported(`${op} ANY/ALL over a non-array`);
      const el = coerce(tr.env, l, mk(r.t.n, -1), false);
      if (l.t.n === 'bpchar' || r.t.n === 'bpchar') return notSupported('ANY/ALL over char(n)');
      // Postgres: NULL array → NULL; empty → false; NULL element and no match → NULL
      const a = r.sql;
      const any =
        `(CASE WHEN ${a} IS NULL THEN NULL WHEN len(${a}) = 0 THEN FALSE WHEN ${el.sql} IS NULL THEN NULL ` +
        `WHEN list_contains(${a}, ${el.sql}) THEN TRUE WHEN list_count(${a}) < len(${a}) THEN NULL ELSE FALSE END)`;
      if (b.kind === 'AEXPR_OP_ANY' && op === '=') return ex(any, BOOL, flags(l, r));
      if (b.kind === 'AEXPR_OP_ALL' && op === '<>') return ex(`(NOT ${any})`, BOOL, flags(l, r));
      return notSupported(`${op} ${b.kind === 'AEXPR_OP_ANY' ? 'ANY' : 'ALL'} (array)`);
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      const l = plain(compileExpr(tr, b.lexpr, sc, cx));
      let pat: Ex;
      let esc = `'\\'`;
      const [rk, rb] = node(b.rexpr);
      if (rk === 'FuncCall' && strings(rb.funcname).pop() === 'like_escape') {
        const args = list(rb.args);
        pat = compileExpr(tr, args[0], sc, cx);
        const e = compileExpr(tr, args[1], sc, cx);
        if (!e.lit || e.lit.kind !== 'string') return notSupported('a non-constant LIKE escape');
        if (e.lit.text.length > 1) return notSupported('a LIKE escape of more than one character');
        esc = e.lit.text === '' ? "''" : str(e.lit.text);
      } else pat = compileExpr(tr, b.rexpr, sc, cx);
      if (l.t.n === 'bpchar' || pat.t.n === 'bpchar') return notSupported('LIKE on char(n)');
      const lt = textLike(tr, l);
      const pt = textLike(tr, pat);
      const ilike = b.kind === 'AEXPR_ILIKE';
      const neg = op.startsWith('!');
      if (esc === "''") return notSupported('LIKE … ESCAPE \'\'');
      // A constant pattern without a backslash means the same with or without the default escape, and
      // without ESCAPE DuckDB can rewrite '%x%' to contains() (2.4× faster on a 1M-row scan)
      const escClause = esc === `'\\'` && pat.lit?.kind === 'string' && !pat.lit.text.includes('\\') ? '' : ` ESCAPE ${esc}`;
      const rules = ilike ? caseRulesFor(tr, l, pat) : 'libc';
      if (rules === 'mixed') return notSupported(`ILIKE under ${caseRulesText(rules)}`);
      if (ilike && rules !== 'libc') {
        // LC_CTYPE C folds ASCII letters only: ILIKE is LIKE over ASCII-lowercased text. ICU and the builtin
        // Unicode locales fold ASCII text the same way; other text is refused per value
        const low = (x: string) => asciiCase('lower', rules === 'unicode' ? `lg_ascii_case(${x})` : x);
        return ex(`(${low(lt)} ${neg ? 'NOT ' : ''}LIKE ${low(pt)}${escClause})`, BOOL, flags(l, pat));
      }
      const kw = ilike ? 'ILIKE' : 'LIKE';
      return ex(`(${lt} ${neg ? 'NOT ' : ''}${kw} ${pt}${escClause})`, BOOL, flags(l, pat));
    }
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN':
    case 'AEXPR_BETWEEN_SYM':
    case 'AEXPR_NOT_BETWEEN_SYM': {
      const x = compileExpr(tr, b.lexpr, sc, cx);
      const [lo, hi] = listItems(b.rexpr).map((a) => compileExpr(tr, a, sc, cx));
      const within = (a: Ex, z: Ex) => {
        const ge = binary(tr, '>=', x, a, cx);
        const le = binary(tr, '<=', x, z, cx);
        return ex(`(${ge.sql} AND ${le.sql})`, BOOL, flags(ge, le));
      };
      // SYMMETRIC is Postgres' own rewrite: either order of the bounds
      const sym = b.kind === 'AEXPR_BETWEEN_SYM' || b.kind === 'AEXPR_NOT_BETWEEN_SYM';
      const fwd = within(lo!, hi!);
      const both = sym ? ex(`(${fwd.sql} OR ${within(hi!, lo!).sql})`, BOOL, flags(fwd)) : fwd;
      return b.kind === 'AEXPR_BETWEEN' || b.kind === 'AEXPR_BETWEEN_SYM' ? both : ex(`(NOT ${both.sql})`, BOOL, flags(both));
    }
    default:
      return notSupported(`the operator form ${String(b.kind).replace('AEXPR_', '')}`);
  }
}

/**
 * `(a1, …, an) op (b1, …, bn)`, compared the way Postgres compares rows: = and <> pairwise (all equal / any
 * unequal); an ordering operator decides at the first pair that is unequal or holds a NULL (NULL there makes
 * the result NULL), the last pair with the operator itself. Each pair compares with its own types' operator.
 */
function rowComparison(tr: Tr, op: string, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  const l = list((node(b.lexpr)[1] as Obj).args).map((a) => plain(compileExpr(tr, a, sc, cx)));
  const r = list((node(b.rexpr)[1] as Obj).args).map((a) => plain(compileExpr(tr, a, sc, cx)));
  if (l.length !== r.length || l.length === 0) return notSupported('row comparisons of different lengths');
  const o = op === '!=' ? '<>' : op;
  if (o === '=' || o === '<>') {
    const ps = l.map((a, i) => binary(tr, o, a, r[i]!, cx));
    return ex(`(${ps.map((p) => p.sql).join(o === '=' ? ' AND ' : ' OR ')})`, BOOL, flags(...ps));
  }
  if (o !== '<' && o !== '<=' && o !== '>' && o !== '>=') return notSupported(`row comparison with operator ${op}`);
  // all pairs but the last decide by < (or >) and =; the last by the operator itself
  const lead = l.slice(0, -1);
  const strict = lead.map((a, i) => binary(tr, o[0]!, a, r[i]!, cx));
  const eq = lead.map((a, i) => binary(tr, '=', a, r[i]!, cx));
  const last = binary(tr, o, l[l.length - 1]!, r[r.length - 1]!, cx);
  let sql = last.sql;
  for (let i = l.length - 2; i >= 0; i--) sql = `(${strict[i]!.sql} OR (${eq[i]!.sql} AND ${sql}))`;
  return ex(sql, BOOL, flags(last, ...strict, ...eq));
}

/** items of a `{List: {items}}` node (IN lists, BETWEEN bounds) */
export function listItems(v: unknown): unknown[] {
  const o = v as Obj;
  if (Array.isArray(o)) return o;
  return list((o?.List as Obj | undefined)?.items);
}

function textLike(tr: Tr, e: Ex): string {
  if (e.t.n === 'unknown') return e.sql;
  if (!isString(e.t)) return notSupported(`LIKE on ${typeName(e.t)}`);
  return textOf(tr.env, e);
}

function prefix(tr: Tr, op: string, a: Ex): Ex {
  if (op === '+' && isNumber(a.t)) return a;
  if (op === '-') {
    if (a.v) return { ...a, v: { k: 'neg', a: a.v } };
    if (a.lit?.kind === 'string') return prefix(tr, op, coerce(tr.env, a, NUMERIC, false));
    if (isNumber(a.t)) {
      if (a.t.n === 'numeric' && a.scale === null) {
        // -text keeps the value's scale: '-' prefixed unless already negative (numeric_out never prints -0)
        return ex(`(CASE WHEN ${a.sql} LIKE '-%' THEN substr(${a.sql}, 2) WHEN lg_num(${a.sql}) = 0 THEN ${a.sql} ELSE '-' || ${a.sql} END)`, a.t, { scale: null, ...flags(a) });
      }
      if (isInt(a.t)) return ex(checkedIntNeg(a.t.n as 'int2' | 'int4' | 'int8', a.sql), a.t, { scale: 0, ...flags(a) });
      return ex(`(- ${a.sql})`, a.t, { scale: a.scale, ...flags(a) });
    }
    if (a.t.n === 'interval') return ex(`(- ${a.sql})`, a.t, flags(a));
  }
  if (op === 'NOT') return ex(`(NOT ${asBool(tr, a).sql})`, BOOL, flags(a));
  if (op === '~') return bitNot(tr, plain(a));
  return notSupported(`the prefix operator ${op} on ${typeName(a.t)}`);
}

function asBool(tr: Tr, e: Ex): Ex {
  const p = plain(e);
  if (p.t.n === 'bool' && !p.t.arr) return p;
  if (p.t.n === 'unknown') return coerce(tr.env, p, BOOL, false);
  return notSupported(`${typeName(p.t)} as a condition`);
}

/**
 * `x ^ y` and power(x, y). Postgres has float8 and numeric forms: an argument of type numeric (with no float
 * beside it) picks the numeric one (refused here), anything else the float8 one.
 */
export function power(tr: Tr, l0: Ex, r0: Ex): Ex {
  const [l, r] = [plain(l0), plain(r0)];
  const ok = (e: Ex) => isNumber(e.t) || e.t.n === 'unknown';
  if (!ok(l) || !ok(r) || l.t.arr || r.t.arr) return notSupported(`power(${typeName(l.t)}, ${typeName(r.t)})`);
  if (!isFloat(l.t) && !isFloat(r.t) && (l.t.n === 'numeric' || r.t.n === 'numeric')) return notSupported('power() of numeric values');
  const d = (e: Ex) => coerce(tr.env, e, FLOAT8, false).sql;
  return ex(`lg_pow(${d(l)}, ${d(r)})`, FLOAT8, flags(l, r));
}

const COMPARISON = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

export function binary(tr: Tr, op: string, l: Ex, r: Ex, cx: ExprCtx): Ex {
  if (COMPARISON.has(op)) {
    const [a, b2] = comparable(tr, l, r, op);
    return ex(compareSql(op, a, b2), BOOL, flags(a, b2));
  }
  switch (op) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return arithmetic(tr, op, l, r, cx);
    case '^':
      return power(tr, l, r);
    case '&':
    case '|':
    case '#':
    case '<<':
    case '>>':
      return bitwise(tr, op, plain(l), plain(r));
    case '||':
      return concat(tr, l, r);
    case '^@':
      return startsWith(tr, plain(l), plain(r));
    case '->':
    case '->>':
    case '#>':
    case '#>>':
      return jsonOp(tr, op, l, r);
    case '?':
    case '?|':
    case '?&':
    case '@>':
    case '<@':
    case '&&':
      return containment(tr, op, plain(l), plain(r));
    default:
      return notSupported(`the operator ${op}`);
  }
}

/** SQL to sort, partition or compare by: char(n) without trailing blanks, numeric text by an order-preserving key. */
export function compareForm(e: Ex): string {
  if (e.t.arr) return e.sql;
  if (e.t.n === 'bpchar') return `rtrim(${e.sql})`;
  // Postgres orders intervals by their total span (a month is 30 days); DuckDB's order differs when the fields
  // disagree in sign or days exceed a month ('1 mon -19 days' < '12 days' in Postgres, not in DuckDB)
  if (e.t.n === 'interval') return `lg_iv_key(${e.sql})`;
  if (isTextNumeric(e)) return `lg_numkey(${e.sql})`;
  return e.sql;
}

/** a numeric whose display scale varies per value travels as its numeric_out text */
export const isTextNumeric = (e: Ex) => e.t.n === 'numeric' && !e.t.arr && e.scale === null;

/** numeric as numeric_out text (for the exact lg_num* functions) */
export function numericText(e: Ex): string {
  if (isTextNumeric(e)) return e.sql;
  if (e.sql === 'NULL' || e.sql.startsWith('CAST(NULL AS')) return 'CAST(NULL AS VARCHAR)';
  return `CAST(${e.sql} AS VARCHAR)`;
}

/** `a op b` for operands brought to the compared type (comparable) */
export function compareSql(op: string, a: Ex, b: Ex): string {
  const o = op === '!=' ? '<>' : op;
  if (isTextNumeric(a) || isTextNumeric(b)) return `(lg_numcmp(${numericText(a)}, ${numericText(b)}) ${o} 0)`;
  return `(${compareForm(a)} ${o} ${compareForm(b)})`;
}

function distinctSql(a: Ex, b: Ex, not: boolean): string {
  if (isTextNumeric(a) || isTextNumeric(b)) {
    const x = numericText(a);
    const y = numericText(b);
    return `(CASE WHEN ${x} IS NULL OR ${y} IS NULL THEN (${x} IS NULL) ${not ? '=' : '<>'} (${y} IS NULL) ELSE lg_numcmp(${x}, ${y}) ${not ? '=' : '<>'} 0 END)`;
  }
  return `(${compareForm(a)} IS ${not ? 'NOT ' : ''}DISTINCT FROM ${compareForm(b)})`;
}

/** Brings both sides of a comparison to the type Postgres compares them in. */
export function comparable(tr: Tr, l0: Ex, r0: Ex, op: string): [Ex, Ex] {
  const l = plain(l0, 'in comparisons');
  const r = plain(r0, 'in comparisons');
  const ordering = op !== '=' && op !== '<>' && op !== '!=';
  // real against an integer or numeric: Postgres' operator is the cross-type float48 one (real = 0.1 compares in
  // double precision, so it is false for real 0.1), not the common type real that unify() would choose
  const f4 = (e: Ex) => e.t.n === 'float4' && !e.t.arr;
  const exact = (e: Ex) => !e.t.arr && (isInt(e.t) || e.t.n === 'numeric');
  if ((f4(l) && exact(r)) || (f4(r) && exact(l))) return [coerce(tr.env, l, FLOAT8, false), coerce(tr.env, r, FLOAT8, false)];
  const u = unify(tr, [l, r], op);
  const [a, b] = u.items as [Ex, Ex];
  const ct = u.t;
  if (ct.arr) return notSupported('comparing arrays');
  if (ct.n === 'json' || ct.n === 'jsonb') return notSupported(`comparing ${ct.n} values`);
  if ((isString(ct) || ct.n === 'unknown') && ordering) {
    const c = (l0 as { collateC?: boolean }).collateC || (r0 as { collateC?: boolean }).collateC;
    if (!tr.env.session.codePointCollation && !c) return notSupported('ordering text under a non-C collation');
  }
  return [a, b];
}

/** PG's select_common_type for the types we model; coerces every item to it. */
export function unify(tr: Tr, items0: Ex[], what: string): { t: PgT; scale: number | null; items: Ex[] } {
  const items = items0.map((e) => plain(e, `in ${what}`));
  const typed = items.filter((e) => e.t.n !== 'unknown');
  if (typed.length === 0) {
    // all unknown literals (or NULLs): text
    return { t: TEXT, scale: null, items: items.map((e) => coerce(tr.env, e, TEXT, false)) };
  }
  let target = typed[0]!.t;
  for (const e of typed.slice(1)) {
    const x = e.t;
    if (same(target, x)) {
      if (target.mod !== x.mod) target = mk(target.n, -1, target.arr);
      continue;
    }
    const c1 = category(target);
    const c2 = category(x);
    if (c1 !== c2) return notSupported(`mixing ${typeName(target)} and ${typeName(x)} in ${what}`);
    if (c1 === 'N') target = widerNumber(target, x);
    // string types cast implicitly both ways, so select_common_type keeps the first; comparisons use text
    else if (c1 === 'S') target = COMPARISON.has(what) ? TEXT : mk(target.n);
    else if (c1 === 'D') target = rankTime(target, x);
    else return notSupported(`mixing ${typeName(target)} and ${typeName(x)} in ${what}`);
  }
  if (target.n === 'bpchar' && typed.some((e) => e.t.n !== 'bpchar')) target = TEXT;
  const out = items.map((e) => (e.t.n === 'unknown' || !same(e.t, target) ? coerce(tr.env, e, target, false) : e));
  let scale: number | null = null;
  if (target.n === 'numeric') {
    const scales = new Set(out.filter((e) => !(e.lit?.kind === 'null')).map((e) => e.scale));
    scale = scales.size === 1 ? [...scales][0]! : null;
  }
  return { t: target, scale, items: out };
}

/**
 * Numerics of different scales meeting in CASE/COALESCE keep each value's own scale in Postgres; DuckDB would
 * give them one. They travel as numeric_out text (a numeric "without declared scale") instead.
 */
export function perValueScale(u: { t: PgT; scale: number | null; items: Ex[] }): Ex[] {
  if (u.t.n !== 'numeric' || u.scale !== null) return u.items;
  return u.items.map((e) => ({ ...e, sql: isNullItem(e) ? 'CAST(NULL AS VARCHAR)' : e.scale === null ? e.sql : `CAST(${e.sql} AS VARCHAR)` }));
}

/**
 * GREATEST/LEAST over numerics of different scales: Postgres returns the winning value with its own scale, the
 * first of equal ones (ExecEvalMinMax replaces its result only on a strictly greater/lesser value), NULLs
 * ignored. Item i wins when it is not NULL, beats every earlier non-NULL item strictly and every later one or
 * ties it; the values travel as numeric_out text, as in CASE.
 */
/** a NULL literal, before or after unify() coerced it */
const isNullItem = (e: Ex) => e.lit?.kind === 'null' || e.sql.startsWith('CAST(NULL AS');

function minMaxPerValueScale(u: { t: PgT; scale: number | null; items: Ex[] }, greatest: boolean): Ex {
  const live = u.items.filter((e) => !isNullItem(e));
  if (live.some((e) => e.scale === null)) return notSupported('GREATEST/LEAST over numerics without a declared scale');
  const texts = perValueScale({ ...u, items: live });
  const strict = greatest ? '>' : '<';
  const parts = live.map((e, i) => {
    const beats = live.map((o, j) => (j === i ? null : `(${o.sql} IS NULL OR ${e.sql} ${j < i ? strict : strict + '='} ${o.sql})`)).filter((c) => c !== null);
    return `WHEN ${[`${e.sql} IS NOT NULL`, ...beats].join(' AND ')} THEN ${texts[i]!.sql}`;
  });
  return ex(`(CASE ${parts.join(' ')} ELSE CAST(NULL AS VARCHAR) END)`, u.t, { scale: null, ...flags(...u.items) });
}

/** GREATEST/LEAST of values compared by a derived key (intervals): the first of equal ones wins, as in Postgres. */
function minMaxByKey(u: { t: PgT; scale: number | null; items: Ex[] }, greatest: boolean): Ex {
  const live = u.items.filter((e) => !isNullItem(e));
  const strict = greatest ? '>' : '<';
  const parts = live.map((e, i) => {
    const beats = live
      .map((o, j) => (j === i ? null : `(${o.sql} IS NULL OR ${compareForm(e)} ${j < i ? strict : strict + '='} ${compareForm(o)})`))
      .filter((c) => c !== null);
    return `WHEN ${[`${e.sql} IS NOT NULL`, ...beats].join(' AND ')} THEN ${e.sql}`;
  });
  return ex(`(CASE ${parts.join(' ')} ELSE ${nullOf(u.t).sql} END)`, u.t, { scale: u.scale, ...flags(...u.items) });
}

function rankTime(a: PgT, b: PgT): PgT {
  const rank: Record<string, number> = { date: 1, timestamp: 2, timestamptz: 3 };
  if (rank[a.n] === undefined || rank[b.n] === undefined) return notSupported(`mixing ${typeName(a)} and ${typeName(b)}`);
  return rank[a.n]! >= rank[b.n]! ? mk(a.n) : mk(b.n);
}

function arithmetic(tr: Tr, op: string, l0: Ex, r0: Ex, cx: ExprCtx): Ex {
  // an unknown literal takes the other operand's type (for dates: `d + '1 day'` reads an interval)
  let l = l0;
  let r = r0;
  if (l.t.n === 'unknown' && r.t.n !== 'unknown') l = coerce(tr.env, l, literalPeer(op, r.t, 'left'), false);
  if (r.t.n === 'unknown' && l.t.n !== 'unknown') r = coerce(tr.env, r, literalPeer(op, l.t, 'right'), false);
  if (l.v || r.v) return varArith(op, l, r, cx);
  if (isNumber(l.t) && isNumber(r.t)) return numberArith(tr, op, l, r, cx);
  return timeArith(tr, op, l, r);
}

/** The type an unknown literal gets next to `peer` in an arithmetic operator (the same type, except intervals) */
function literalPeer(op: string, peer: PgT, _side: 'left' | 'right'): PgT {
  if ((peer.n === 'date' || peer.n === 'timestamp' || peer.n === 'timestamptz') && (op === '+' || op === '-')) {
    // PG picks date - date / timestamp - timestamp for `d - '…'`; `+` has only the interval form
    return op === '-' ? peer : INTERVAL;
  }
  return peer;
}

function numberArith(tr: Tr, op: string, l: Ex, r: Ex, cx: ExprCtx): Ex {
  let rt: PgT;
  if (l.t.n === 'float4' && r.t.n === 'float4') rt = l.t;
  else if (isFloat(l.t) || isFloat(r.t)) rt = mk('float8');
  else rt = widerNumber(l.t, r.t);
  const f = flags(l, r);
  if (isInt(rt)) {
    const ty = rt.n === 'int2' ? 'SMALLINT' : rt.n === 'int4' ? 'INTEGER' : 'BIGINT';
    const a = `CAST(${l.sql} AS ${ty})`;
    const b = `CAST(${r.sql} AS ${ty})`;
    if (op === '/') return ex(`lg_idiv(${a}, ${b})`, rt, { scale: 0, ...f });
    if (op === '%') return ex(`lg_imod(${a}, ${b})`, rt, { scale: 0, ...f });
    return ex(checkedIntOp(rt.n as 'int2' | 'int4' | 'int8', op as '+' | '-' | '*', l.sql, r.sql), rt, { scale: 0, ...f });
  }
  if (isFloat(rt)) {
    const ty = rt.n === 'float4' ? 'FLOAT' : 'DOUBLE';
    const cv = (e: Ex) => (e.t.n === 'numeric' ? coerce(tr.env, e, rt, false).sql : `CAST(${e.sql} AS ${ty})`);
    const a = cv(l);
    const b = cv(r);
    if (op === '%') return notSupported('% on floating-point values');
    const fn = op === '+' ? 'lg_fadd' : op === '-' ? 'lg_fsub' : op === '*' ? 'lg_fmul' : 'lg_fdiv';
    return ex(`${fn}(${a}, ${b})`, rt, f);
  }
  // numeric
  const sa = l.t.n === 'numeric' ? l.scale : 0;
  const sb = r.t.n === 'numeric' ? r.scale : 0;
  if (sa === null || sb === null) {
    // each value keeps its own scale: finished in JS, in the select list only
    if (op === '%') return notSupported('% on numeric values without a declared scale');
    const k = op === '+' ? 'add' : op === '-' ? 'sub' : op === '*' ? 'mul' : 'div';
    return varEx({ k, a: leafOf(l), b: leafOf(r) }, cx, f);
  }
  const a = l.t.n === 'numeric' ? l.sql : `CAST(${l.sql} AS DECIMAL(38,0))`;
  const b = r.t.n === 'numeric' ? r.sql : `CAST(${r.sql} AS DECIMAL(38,0))`;
  switch (op) {
    case '+':
    case '-':
      return ex(`(${a} ${op} ${b})`, NUMERIC, { scale: Math.max(sa, sb), ...f });
    case '*':
      if (sa + sb > 38) return notSupported('numeric products with more than 38 fraction digits');
      return ex(`(${a} * ${b})`, NUMERIC, { scale: sa + sb, ...f });
    case '%':
      return numericMod(l, r);
    default: {
      // numeric division: select_div_scale depends on the values, so the quotient is finished in JS
      const la = l.t.n === 'numeric' ? l : ex(a, NUMERIC, { scale: 0, ...flags(l) });
      const rb = r.t.n === 'numeric' ? r : ex(b, NUMERIC, { scale: 0, ...flags(r) });
      return varEx({ k: 'div', a: { k: 'leaf', ex: la }, b: { k: 'leaf', ex: rb } }, cx, f);
    }
  }
}

/**
 * numeric % and mod(numeric, …) of operands with declared scales (integers or numerics): the remainder of the
 * truncated division, with the larger scale. DuckDB computes DOUBLE once the operands' common width passes 38
 * digits, so integers enter as the narrowest DECIMAL that holds them.
 */
export function numericMod(l: Ex, r: Ex): Ex {
  const w = (e: Ex) => (e.t.n === 'numeric' ? e.sql : `CAST(${e.sql} AS DECIMAL(${e.t.n === 'int2' ? 5 : e.t.n === 'int4' ? 10 : 19},0))`);
  const scale = Math.max(l.t.n === 'numeric' ? l.scale! : 0, r.t.n === 'numeric' ? r.scale! : 0);
  return ex(`lg_nmod(${w(l)}, ${w(r)})`, NUMERIC, { scale, ...flags(l, r) });
}

/** `x ~ 'pattern'`, `!~`, `~*`, `!~*` over text with a constant pattern (translate/regex.ts) */
function regexMatch(tr: Tr, op: string, l: Ex, r: Ex): Ex {
  if (!(isString(l.t) || l.t.n === 'unknown') || l.t.arr) return notSupported(`${typeName(l.t)} ${op} ${typeName(r.t)}`);
  if (!r.lit || r.lit.kind !== 'string') return notSupported(`${op} with a pattern that is not a constant string`);
  const icase = op.endsWith('*');
  if (icase && tr.env.session.turkicCase) return notSupported(`${op} under a Turkish or Azeri ctype or collation`);
  const re = regexMatchRe2(r.lit.text, icase);
  // char(n) is matched with its padding, as Postgres' bpcharregexeq does (the table layer stores it padded)
  const m = `regexp_matches(${l.t.n === 'bpchar' ? l.sql : textOf(tr.env, l)}, ${str(re)})`;
  return ex(op.startsWith('!') ? `(NOT ${m})` : m, BOOL, flags(l, r));
}

/**
 * An avg()/numeric-division value. In a top-level output column it is finished in JS when the row is sent;
 * anywhere DuckDB has to use it, exact JS functions compute it as numeric_out text inside the query.
 */
export function varEx(v: VarNode, cx: ExprCtx, f: { agg: boolean; win: boolean }): Ex {
  if (cx.var) return { sql: '', t: NUMERIC, scale: null, agg: f.agg, win: f.win, v };
  return { sql: varSql(v), t: NUMERIC, scale: null, agg: f.agg, win: f.win };
}

function leafOf(e: Ex): VarNode {
  if (e.v) return e.v;
  // a numeric without declared scale arrives as its text and keeps its own scale
  if (isInt(e.t) || e.t.n === 'numeric') return { k: 'leaf', ex: e };
  return notSupported(`mixing ${typeName(e.t)} with avg() or numeric division`);
}

function varArith(op: string, l: Ex, r: Ex, cx: ExprCtx): Ex {
  const f = flags(l, r);
  if (isFloat(l.t) || isFloat(r.t)) return notSupported('floating-point arithmetic on avg() or numeric division results');
  const k = op === '+' ? 'add' : op === '-' ? 'sub' : op === '*' ? 'mul' : op === '/' ? 'div' : null;
  if (!k) return notSupported(`${op} on avg() or numeric division results`);
  return varEx({ k, a: leafOf(l), b: leafOf(r) }, cx, f);
}

function varCast(e: Ex, to: PgT): Ex {
  const v = e.v!;
  if (to.arr) return notSupported('this cast of an avg() result');
  switch (to.n) {
    case 'numeric': {
      if (to.mod < 0) return e;
      const m = to.mod - 4;
      return { ...e, v: { k: 'typmod', a: v, precision: (m >> 16) & 0xffff, scale: m & 0x7ff } };
    }
    case 'float8':
    case 'int2':
    case 'int4':
    case 'int8':
      return { ...e, t: mk(to.n), v: { k: to.n, a: v } };
    default:
      return notSupported(`casting an avg() or numeric division result to ${typeName(to)}`);
  }
}

/** A date or timestamp as a timestamp (a date past the timestamp range is an error, as in Postgres) */
export const asTimestamp = (e: Ex) => (e.t.n === 'date' ? `lg_date_ts(${e.sql})` : `CAST(${e.sql} AS TIMESTAMP)`);

function timeArith(tr: Tr, op: string, l: Ex, r: Ex): Ex {
  const f = flags(l, r);
  const L = l.t.n;
  const R = r.t.n;
  if (l.t.arr || r.t.arr) return notSupported('arithmetic on arrays');
  // date ± integer
  if (L === 'date' && isInt(r.t) && (op === '+' || op === '-')) return ex(`lg_date_pli(${l.sql}, ${op}CAST(${r.sql} AS BIGINT))`, DATE, f);
  if (isInt(l.t) && R === 'date' && op === '+') return ex(`lg_date_pli(${r.sql}, CAST(${l.sql} AS BIGINT))`, DATE, f);
  if (L === 'date' && R === 'date' && op === '-') return ex(`lg_date_mi(${l.sql}, ${r.sql})`, INT4, { scale: 0, ...f });
  // date/timestamp ± interval
  if ((L === 'date' || L === 'timestamp') && R === 'interval' && (op === '+' || op === '-')) {
    return ex(`(${asTimestamp(l)} ${op} ${r.sql})`, TIMESTAMP, f);
  }
  if (L === 'interval' && (R === 'date' || R === 'timestamp') && op === '+') return ex(`(${asTimestamp(r)} + ${l.sql})`, TIMESTAMP, f);
  // time ± interval: the interval's time part only, wrapped around midnight (time_pl_interval); time - time
  if (L === 'time' && R === 'interval' && (op === '+' || op === '-')) return ex(`lg_time_pl(${l.sql}, ${op}lg_iv_us(${r.sql}))`, mk('time'), f);
  if (L === 'interval' && R === 'time' && op === '+') return ex(`lg_time_pl(${r.sql}, lg_iv_us(${l.sql}))`, mk('time'), f);
  if (L === 'time' && R === 'time' && op === '-') return ex(`to_microseconds(epoch_us(${l.sql}) - epoch_us(${r.sql}))`, INTERVAL, f);
  if (L === 'timestamp' && R === 'timestamp' && op === '-') return ex(`lg_ts_mi(${l.sql}, ${r.sql})`, INTERVAL, f);
  if (L === 'timestamptz' && R === 'timestamptz' && op === '-') return ex(`lg_ts_mi(${l.sql}, ${r.sql})`, INTERVAL, f);
  if ((L === 'timestamptz' && R === 'interval' && (op === '+' || op === '-')) || (L === 'interval' && R === 'timestamptz' && op === '+')) {
    const ts = L === 'timestamptz' ? l : r;
    const iv = L === 'timestamptz' ? r : l;
    return tzPlusInterval(tr, ts, iv, op);
  }
  // mixed date/timestamp with timestamptz: compare-style promotion
  if ((L === 'date' || L === 'timestamp') && R === 'timestamptz' && op === '-') {
    return ex(`(${coerce(tr.env, l, TIMESTAMPTZ, false).sql} - ${r.sql})`, INTERVAL, f);
  }
  if (L === 'timestamptz' && (R === 'date' || R === 'timestamp') && op === '-') {
    return ex(`(${l.sql} - ${coerce(tr.env, r, TIMESTAMPTZ, false).sql})`, INTERVAL, f);
  }
  if (L === 'interval' && R === 'interval' && (op === '+' || op === '-')) return ex(`(${l.sql} ${op} ${r.sql})`, INTERVAL, f);
  // interval * integer multiplies each field exactly (fractional factors spill between fields in PG's own way)
  if (op === '*' && L === 'interval' && isInt(r.t)) return ex(`(${l.sql} * CAST(${r.sql} AS BIGINT))`, INTERVAL, f);
  if (op === '*' && isInt(l.t) && R === 'interval') return ex(`(${r.sql} * CAST(${l.sql} AS BIGINT))`, INTERVAL, f);
  // other factors are float8 (numeric converts): interval_mul / interval_div
  const factor = (e: Ex) => (isNumber(e.t) && !e.t.arr ? coerce(tr.env, e, FLOAT8, false).sql : null);
  if ((op === '*' || op === '/') && L === 'interval') {
    const by = factor(r);
    if (by) return ex(`${op === '*' ? 'lg_iv_mul' : 'lg_iv_div'}(${l.sql}, ${by})`, INTERVAL, f);
  }
  if (op === '*' && R === 'interval') {
    const by = factor(l);
    if (by) return ex(`lg_iv_mul(${r.sql}, ${by})`, INTERVAL, f);
  }
  if (L === 'date' && R === 'timestamp' && op === '-') return ex(`lg_ts_mi(${asTimestamp(l)}, ${r.sql})`, INTERVAL, f);
  if (L === 'timestamp' && R === 'date' && op === '-') return ex(`lg_ts_mi(${l.sql}, ${asTimestamp(r)})`, INTERVAL, f);
  return notSupported(`${typeName(l.t)} ${op} ${typeName(r.t)}`);
}

/**
 * timestamptz ± interval: Postgres adds months, then days on the local calendar of the session's zone and the
 * time part as elapsed microseconds (lg_tz_plus).
 */
function tzPlusInterval(tr: Tr, ts: Ex, iv: Ex, op: string): Ex {
  const f = flags(ts, iv);
  // a NULL interval (also the placeholder of one Postgres has yet to read) gives NULL
  if (iv.sql === 'CAST(NULL AS INTERVAL)' || iv.sql === 'NULL') return ex('CAST(NULL AS TIMESTAMPTZ)', TIMESTAMPTZ, f);
  const zone = tr.env.session.timeZone;
  if (!zone) return notSupported("timestamptz ± interval in the session's TimeZone");
  return ex(`lg_tz_plus(${ts.sql}, ${op === '-' ? `(- ${iv.sql})` : iv.sql}, ${str(zone)})`, TIMESTAMPTZ, f);
}

function concat(tr: Tr, l: Ex, r: Ex): Ex {
  const f = flags(l, r);
  const lp = plain(l);
  const rp = plain(r);
  if (lp.t.arr || rp.t.arr) return notSupported('|| on arrays');
  if (lp.t.n === 'jsonb' && rp.t.n === 'jsonb') return notSupported('jsonb || jsonb');
  // an untyped NULL is text here (DuckDB would give `x || NULL` the NULL literal's own type)
  const side = (e: Ex) => (e.t.n === 'unknown' ? (e.lit?.kind === 'null' ? 'CAST(NULL AS VARCHAR)' : e.sql) : textOf(tr.env, e));
  if (!isString(lp.t) && lp.t.n !== 'unknown' && !isString(rp.t) && rp.t.n !== 'unknown') return notSupported(`${typeName(lp.t)} || ${typeName(rp.t)}`);
  return ex(`CAST((${side(lp)} || ${side(rp)}) AS VARCHAR)`, TEXT, f);
}

function jsonOp(tr: Tr, op: string, l: Ex, r: Ex): Ex {
  const f = flags(l, r);
  if (l.t.n !== 'jsonb' && l.t.n !== 'json') return notSupported(`${op} on ${typeName(l.t)}`);
  const asText = op === '->>' || op === '#>>';
  if (op === '->' || op === '->>') {
    const key = r.t.n === 'unknown' ? coerce(tr.env, r, TEXT, false) : r;
    if (isString(key.t)) return ex(`lg_json_get(${l.sql}, ${key.sql}, ${asText}, ${l.t.n === 'jsonb'})`, asText ? TEXT : l.t, f);
    if (isInt(key.t)) return ex(`lg_json_index(${l.sql}, CAST(${key.sql} AS INTEGER), ${asText}, ${l.t.n === 'jsonb'})`, asText ? TEXT : l.t, f);
    return notSupported(`${op} with a ${typeName(key.t)} key`);
  }
  const path = r.t.n === 'unknown' ? coerce(tr.env, r, mk('text', -1, true), false) : r;
  if (!(path.t.arr && isString(mk(path.t.n)))) return notSupported(`${op} with a ${typeName(path.t)} path`);
  return ex(`lg_json_path(${l.sql}, ${path.sql}, ${asText}, ${l.t.n === 'jsonb'})`, asText ? TEXT : l.t, f);
}

/** jsonb ? ?| ?& @> <@ and array @> <@ && */
function containment(tr: Tr, op: string, l0: Ex, r0: Ex): Ex {
  const f = flags(l0, r0);
  let l = l0;
  let r = r0;
  if (l.t.n === 'jsonb' && !l.t.arr) {
    if (op === '?') {
      const k = coerce(tr.env, r, TEXT, false);
      if (!isString(k.t)) return notSupported(`jsonb ? ${typeName(k.t)}`);
      return ex(`lg_jsonb_exists(${l.sql}, ${k.sql})`, BOOL, f);
    }
    if (op === '?|' || op === '?&') {
      const k = coerce(tr.env, r, mk('text', -1, true), false);
      return ex(`lg_jsonb_exists_${op === '?|' ? 'any' : 'all'}(${l.sql}, ${k.sql})`, BOOL, f);
    }
  }
  if (op === '@>' || op === '<@') {
    if (l.t.n === 'unknown' && r.t.n !== 'unknown') l = coerce(tr.env, l, r.t, false);
    if (r.t.n === 'unknown' && l.t.n !== 'unknown') r = coerce(tr.env, r, l.t, false);
    const [a, b] = op === '@>' ? [l, r] : [r, l];
    if (a.t.n === 'jsonb' && b.t.n === 'jsonb' && !a.t.arr && !b.t.arr) return ex(`lg_jsonb_contains(${a.sql}, ${b.sql})`, BOOL, f);
    if (a.t.arr && b.t.arr && a.t.n === b.t.n && a.t.n !== 'bpchar' && !(a.t.n === 'numeric')) return ex(`lg_array_contains(${a.sql}, ${b.sql})`, BOOL, f);
  }
  if (op === '&&') {
    if (r.t.n === 'unknown' && l.t.arr) r = coerce(tr.env, r, l.t, false);
    if (l.t.arr && r.t.arr && l.t.n === r.t.n && l.t.n !== 'bpchar' && l.t.n !== 'numeric') return ex(`lg_array_overlap(${l.sql}, ${r.sql})`, BOOL, f);
  }
  return notSupported(`${typeName(l.t)} ${op} ${typeName(r.t)}`);
}

// ---- other nodes ----------------------------------------------------------------------------------

function caseExpr(tr: Tr, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  const arg = b.arg ? plain(compileExpr(tr, b.arg, sc, cx)) : null;
  const whens = list(b.args).map((w) => (w as Obj).CaseWhen as Obj);
  const conds: string[] = [];
  const fl: Ex[] = [];
  for (const w of whens) {
    const e = compileExpr(tr, w.expr, sc, cx);
    if (arg) {
      const [a, v] = comparable(tr, arg, e, '=');
      conds.push(compareSql('=', a, v));
      fl.push(a, v);
    } else {
      const c = asBool(tr, e);
      conds.push(c.sql);
      fl.push(c);
    }
  }
  const results = whens.map((w) => compileExpr(tr, w.result, sc, cx));
  const dflt = b.defresult ? compileExpr(tr, b.defresult, sc, cx) : ex('NULL', UNKNOWN, { lit: { kind: 'null', text: '' } });
  const u = unify(tr, [...results, dflt], 'CASE');
  const items = perValueScale(u);
  const parts = conds.map((c, i) => `WHEN ${c} THEN ${items[i]!.sql}`);
  const sql = `(CASE ${parts.join(' ')} ELSE ${items[items.length - 1]!.sql} END)`;
  return ex(sql, u.t, { scale: u.scale, ...flags(...fl, ...u.items) });
}

function sqlValueFunction(tr: Tr, b: Obj): Ex {
  const now = nowSql(tr.env);
  if (b.typmod !== undefined && (b.typmod as number) >= 0) return notSupported('CURRENT_TIMESTAMP(p) / LOCALTIME(p)');
  switch (b.op) {
    case 'SVFOP_CURRENT_TIMESTAMP':
      return ex(now, TIMESTAMPTZ);
    case 'SVFOP_CURRENT_DATE':
      return ex(`CAST(${tzLocal(tr.env, now)} AS DATE)`, DATE);
    case 'SVFOP_LOCALTIMESTAMP':
      return ex(tzLocal(tr.env, now), TIMESTAMP);
    default:
      return notSupported(String(b.op).replace('SVFOP_', '').toLowerCase().replace(/_/g, ' '));
  }
}

function subLink(tr: Tr, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  const q = tr.query(b.subselect as Obj, sc);
  switch (b.subLinkType) {
    case 'EXISTS_SUBLINK':
      return ex(`(EXISTS (${q.sql}))`, BOOL);
    case 'EXPR_SUBLINK': {
      if (q.cols.length !== 1) return notSupported('a scalar subquery with several columns');
      const c = q.cols[0]!.ex;
      return ex(`(${q.sql})`, c.t, { scale: c.scale });
    }
    case 'ANY_SUBLINK':
    case 'ALL_SUBLINK':
      return quantified(tr, b, q, sc, cx);
    default:
      return notSupported(`${String(b.subLinkType).replace('_SUBLINK', '')} subqueries`);
  }
}

/**
 * `x op ANY (subquery)` and `x op ALL (subquery)` (IN is = ANY, NOT IN is <> ALL), for the comparison operators.
 * DuckDB compares with the three-valued logic of SQL as Postgres does (a NULL among the values and no match is
 * NULL). The subquery's column is compared as DuckDB reads it, so kinds whose Postgres comparison needs a derived
 * key (char(n), intervals, numerics of varying scale) are refused, and so is real against another type (Postgres
 * compares that in double precision, DuckDB in single).
 */
function quantified(tr: Tr, b: Obj, q: ReturnType<Tr['query']>, sc: Scope, cx: ExprCtx): Ex {
  const all = b.subLinkType === 'ALL_SUBLINK';
  const ops = strings(b.operName);
  const op = ops.length ? ops[ops.length - 1]! : '=';
  const what = op === '=' && !all ? 'IN (subquery)' : op === '<>' && all ? 'NOT IN (subquery)' : `${op} ${all ? 'ALL' : 'ANY'} (subquery)`;
  if (!COMPARISON.has(op)) return notSupported(what);
  if (q.cols.length !== 1) return notSupported(`${what} with several columns`);
  const l = plain(compileExpr(tr, b.testexpr, sc, cx));
  const c = q.cols[0]!.ex;
  if (!same(l.t, c.t) && !(isNumber(l.t) && isNumber(c.t)) && l.t.n !== 'unknown' && category(l.t) !== category(c.t)) {
    return notSupported(`${what} over different types`);
  }
  if (l.t.n === 'bpchar' || c.t.n === 'bpchar') return notSupported(`${what} over char(n)`);
  if (isTextNumeric(l) || isTextNumeric(c)) return notSupported(`${what} over numerics of varying scale`);
  if (l.t.n === 'interval' || c.t.n === 'interval') return notSupported(`${what} over intervals`);
  if ((l.t.n === 'float4') !== (c.t.n === 'float4') && l.t.n !== 'unknown') return notSupported(`${what} between real and another type`);
  const [lhs] = comparable(tr, l, { ...c, sql: 'NULL' }, op);
  const lsql = same(lhs.t, c.t) ? lhs.sql : l.sql;
  if (op === '=' && !all) return ex(`(${lsql} IN (${q.sql}))`, BOOL, flags(l));
  if (op === '<>' && all) return ex(`(${lsql} NOT IN (${q.sql}))`, BOOL, flags(l));
  return ex(`(${lsql} ${op === '!=' ? '<>' : op} ${all ? 'ALL' : 'ANY'} (${q.sql}))`, BOOL, flags(l));
}

function indirection(tr: Tr, b: Obj, sc: Scope, cx: ExprCtx): Ex {
  let e = plain(compileExpr(tr, b.arg, sc, cx));
  for (const ind of list(b.indirection)) {
    const [k, v] = node(ind);
    if (k !== 'A_Indices') return notSupported('field selection');
    if (v.is_slice) return notSupported('array slices');
    if (!e.t.arr) return notSupported(`subscripting ${typeName(e.t)}`);
    const i = coerce(tr.env, plain(compileExpr(tr, v.uidx, sc, cx)), INT4, false);
    // out-of-range subscripts are NULL in both
    e = ex(`(${e.sql})[${i.sql}]`, mk(e.t.n, e.t.mod), { scale: e.scale, ...flags(e, i) });
  }
  return e;
}

