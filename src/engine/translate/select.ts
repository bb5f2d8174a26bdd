// Queries: SELECT (with FROM/WHERE/GROUP BY/HAVING/WINDOW/DISTINCT/ORDER BY/LIMIT), VALUES, UNION/INTERSECT/
// EXCEPT and WITH, translated level by level. Every query level's DuckDB output columns are named c1 … cn; FROM
// items become t<n> relations (scope.ts). The top level may end with columns finished in JS (var-numeric.ts),
// in which case ORDER BY/LIMIT over them run in JS too (sorted.ts).
import { coerce, int8Constant } from './cast.js';
import { ex, ident, type Ex } from './ex.js';
import { notSupported } from './errors.js';
import { binary, compileExpr, plain, unify } from './expr.js';
import { timeSeries } from './funcs.js';
import { duckType, INT8, isInt, numericScale, same, t as mk, typeName, type PgT } from './pg-type.js';
import { Scope, type Col, type Cte, type FromResult, type Rel } from './scope.js';
import { list, node, strings, type ExprCtx, type Obj, type OutCol, type QueryOut, type Tr } from './translator.js';
import { varLeaves } from './var-numeric.js';
import { checkSortable, sortForm, sortItem } from './window.js';
import { pushdownFilter } from './pushdown.js';
import type { MirrorRelation, PgTableUse } from './context.js';
import { PgError } from '../../route/local.js';
import { ERROR_TAG } from '../duck-functions.js';

/** What the top level needs beyond SQL: JS-side sort/limit when ORDER BY uses JS-finished columns. */
export interface TopQuery extends QueryOut {
  /** hidden sort-key columns appended after the visible ones */
  hidden: number;
  jsSort: JsSort | null;
}

export interface JsSort {
  /** column index (visible or hidden) and direction of each key */
  keys: { index: number; desc: boolean; nullsFirst: boolean; t: PgT }[];
  limit: bigint | null;
  offset: bigint;
}

const CX_WHERE: ExprCtx = { what: 'WHERE', agg: false, win: false, var: false };

export function compileQuery(tr: Tr, stmt: Obj, outer: Scope | null, top = false): TopQuery {
  const sc = new Scope(outer);
  let prefix = '';
  if (stmt.withClause) prefix = withClause(tr, stmt.withClause as Obj, sc);
  let q: TopQuery;
  if (stmt.op && stmt.op !== 'SETOP_NONE') q = setOperation(tr, stmt, sc);
  else if (stmt.valuesLists) q = values(tr, stmt, sc);
  else q = simpleSelect(tr, stmt, sc, top);
  return { ...q, sql: prefix + q.sql };
}

// ---- WITH ---------------------------------------------------------------------------------------------

function withClause(tr: Tr, w: Obj, sc: Scope): string {
  const recursive = w.recursive === true;
  const parts: string[] = [];
  for (const c of list(w.ctes)) {
    const cte = (c as Obj).CommonTableExpr as Obj;
    const name = cte.ctename as string;
    if (cte.search_clause || cte.cycle_clause) return notSupported('SEARCH/CYCLE clauses');
    const duck = tr.aliases.next('w');
    const aliases = strings(cte.aliascolnames);
    const [qk, qb] = node(cte.ctequery);
    if (qk !== 'SelectStmt') return notSupported('data-modifying WITH');
    let out: QueryOut;
    if (recursive && qb.op === 'SETOP_UNION' && refersTo(qb.rarg, name)) {
      // recursive term: the non-recursive term fixes the column types
      const l = compileQuery(tr, qb.larg as Obj, sc);
      const entry: Cte = { name, duck, cols: l.cols.map((col, i) => ({ name: aliases[i] ?? col.name, t: col.ex.t, scale: col.ex.scale })), recursive: true };
      sc.ctes.set(name, entry);
      const r = compileQuery(tr, qb.rarg as Obj, sc);
      const u = alignBranches(tr, l, r, 'UNION');
      if (u.cols.some((c, i) => !same(c.ex.t, entry.cols[i]!.t) || (c.ex.t.n === 'numeric' && c.ex.scale !== entry.cols[i]!.scale))) {
        return notSupported('recursive queries whose recursive term changes column types');
      }
      out = { sql: `${u.left} UNION${qb.all ? ' ALL' : ''} ${u.right}`, cols: u.cols };
      entry.recursive = false;
      parts.push(`${duck} AS (${out.sql})`);
      continue;
    }
    out = compileQuery(tr, qb, sc);
    const materialized = cte.ctematerialized === 'CTEMaterializeAlways' ? 'MATERIALIZED ' : cte.ctematerialized === 'CTEMaterializeNever' ? 'NOT MATERIALIZED ' : '';
    sc.ctes.set(name, { name, duck, cols: out.cols.map((col, i) => ({ name: aliases[i] ?? col.name, t: col.ex.t, scale: col.ex.scale })) });
    parts.push(`${duck} AS ${materialized}(${out.sql})`);
  }
  return `WITH ${recursive ? 'RECURSIVE ' : ''}${parts.join(', ')} `;
}

function refersTo(n: unknown, name: string): boolean {
  let found = false;
  const walk = (v: unknown): void => {
    if (found || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Obj;
    if (o.RangeVar && !(o.RangeVar as Obj).schemaname && (o.RangeVar as Obj).relname === name) found = true;
    for (const k of Object.keys(o)) walk(o[k]);
  };
  walk(n);
  return found;
}

// ---- set operations and VALUES ------------------------------------------------------------------------

function alignBranches(tr: Tr, l: QueryOut, r: QueryOut, what: string): { left: string; right: string; cols: OutCol[] } {
  if (l.cols.length !== r.cols.length) return notSupported(`${what} branches with different column counts`);
  const lsel: string[] = [];
  const rsel: string[] = [];
  const cols: OutCol[] = [];
  let lcast = false;
  let rcast = false;
  l.cols.forEach((lc, i) => {
    const rc = r.cols[i]!;
    const le = ex(`c${i + 1}`, lc.ex.t, { scale: lc.ex.scale, ...(lc.ex.lit ? { lit: lc.ex.lit } : {}) });
    const re = ex(`c${i + 1}`, rc.ex.t, { scale: rc.ex.scale, ...(rc.ex.lit ? { lit: rc.ex.lit } : {}) });
    const u = unify(tr, [le, re], what);
    if (u.t.n === 'numeric' && u.scale === null && (lc.ex.scale !== null || rc.ex.scale !== null)) {
      return notSupported(`${what} of numeric columns with different scales`);
    }
    const [a, b] = u.items as [Ex, Ex];
    if (a.sql !== le.sql) lcast = true;
    if (b.sql !== re.sql) rcast = true;
    lsel.push(`${a.sql} AS c${i + 1}`);
    rsel.push(`${b.sql} AS c${i + 1}`);
    cols.push({ name: lc.name, ex: ex(`c${i + 1}`, u.t, { scale: u.scale }) });
  });
  const wrap = (q: QueryOut, sel: string[], cast: boolean) => `(SELECT ${cast ? sel.join(', ') : '*'} FROM (${q.sql}) AS ${tr.aliases.next()})`;
  return { left: wrap(l, lsel, lcast), right: wrap(r, rsel, rcast), cols };
}

function setOperation(tr: Tr, stmt: Obj, sc: Scope): TopQuery {
  // branches see the statement's CTEs and the outer levels (sc has no FROM items of its own)
  const l = compileQuery(tr, stmt.larg as Obj, sc);
  const r = compileQuery(tr, stmt.rarg as Obj, sc);
  const op = stmt.op === 'SETOP_UNION' ? 'UNION' : stmt.op === 'SETOP_INTERSECT' ? 'INTERSECT' : 'EXCEPT';
  const u = alignBranches(tr, l, r, op);
  for (const c of u.cols) {
    if (c.ex.t.n === 'json' || c.ex.t.n === 'jsonb') return notSupported(`${op} over ${c.ex.t.n} columns`);
    if (c.ex.t.n === 'numeric' && c.ex.scale === null && !stmt.all) return notSupported(`${op} over numeric columns without a declared scale`);
    if (c.ex.t.n === 'bpchar' && c.ex.t.mod < 0 && !stmt.all) return notSupported(`${op} over char columns without a length`);
  }
  let sql = `${u.left} ${op}${stmt.all ? ' ALL' : ''} ${u.right}`;
  // ORDER BY / LIMIT of a set operation refer to its output columns
  const outScope = new Scope(sc.parent);
  const alias = tr.aliases.next();
  const rel: Rel = { refname: null, cols: u.cols.map((c, i) => ({ name: c.name, t: c.ex.t, scale: c.ex.scale, sql: `${alias}.c${i + 1}` })) };
  outScope.rels.push(rel);
  const cols = u.cols.map((c, i) => ({ name: c.name, ex: ex(`${alias}.c${i + 1}`, c.ex.t, { scale: c.ex.scale }) }));
  const order = orderBy(tr, stmt, outScope, cols, { what: 'ORDER BY', agg: false, win: false, var: false }, true);
  const lim = limitClause(tr, stmt, outScope, order);
  if (order.sql || lim.sql || lim.qualify) {
    const qualify = lim.qualify ? ` QUALIFY ${lim.qualify}` : '';
    sql = `SELECT ${cols.map((c, i) => `${c.ex.sql} AS c${i + 1}`).join(', ')} FROM (${sql}) AS ${alias}${qualify}${order.sql}${lim.sql}`;
  }
  return { sql, cols: u.cols, hidden: 0, jsSort: null };
}

function values(tr: Tr, stmt: Obj, sc: Scope): TopQuery {
  const rows = list(stmt.valuesLists).map((r) => list(((r as Obj).List as Obj).items).map((v) => plain(compileExpr(tr, v, sc, { ...CX_WHERE, what: 'VALUES' }))));
  const width = rows[0]!.length;
  const cols: OutCol[] = [];
  const typed: Ex[][] = rows.map(() => []);
  for (let i = 0; i < width; i++) {
    const u = unify(tr, rows.map((r) => r[i]!), 'VALUES');
    if (u.t.n === 'numeric' && u.scale === null) return notSupported('VALUES columns mixing numeric scales');
    u.items.forEach((e, j) => typed[j]!.push(e));
    cols.push({ name: `column${i + 1}`, ex: ex(`c${i + 1}`, u.t, { scale: u.scale }) });
  }
  const alias = tr.aliases.next();
  const sql = `SELECT * FROM (VALUES ${typed.map((r) => `(${r.map((e) => e.sql).join(', ')})`).join(', ')}) AS ${alias}(${cols.map((_, i) => `c${i + 1}`).join(', ')})`;
  if (stmt.sortClause || stmt.limitCount || stmt.limitOffset) return notSupported('ORDER BY/LIMIT on a bare VALUES list');
  return { sql, cols, hidden: 0, jsSort: null };
}

// ---- FROM ---------------------------------------------------------------------------------------------

function fromItem(tr: Tr, n: unknown, sc: Scope): FromResult {
  const [k, b] = node(n);
  switch (k) {
    case 'RangeVar':
      return rangeVar(tr, b, sc);
    case 'RangeSubselect': {
      const [sk, sq] = node(b.subquery);
      if (sk !== 'SelectStmt') return notSupported(`${sk} in FROM`);
      // a LATERAL subquery sees the FROM items before it (as outer references); any other only outer levels
      const q = compileQuery(tr, sq, b.lateral ? sc : sc.parent);
      const alias = tr.aliases.next();
      const a = b.alias as Obj | undefined;
      const names = strings(a?.colnames);
      const cols: Col[] = q.cols.map((c, i) => ({ name: names[i] ?? c.name, t: c.ex.t, scale: c.ex.scale, sql: `${alias}.c${i + 1}` }));
      const rel: Rel = { refname: (a?.aliasname as string | undefined) ?? null, cols };
      return { sql: `${b.lateral ? 'LATERAL ' : ''}(${q.sql}) AS ${alias}`, rels: [rel], merged: [], hidden: new Set(), star: cols };
    }
    case 'JoinExpr':
      return joinExpr(tr, b, sc);
    case 'RangeFunction':
      return rangeFunction(tr, b, sc);
    default:
      return notSupported(`${k} in FROM`);
  }
}

/** `FROM generate_series(a, b[, step])` over integers or timestamps, `FROM unnest(array)` */
function rangeFunction(tr: Tr, b: Obj, sc: Scope): FromResult {
  if (b.ordinality) return notSupported('WITH ORDINALITY');
  if (b.is_rowsfrom || list(b.functions).length !== 1) return notSupported('ROWS FROM');
  if (b.coldeflist) return notSupported('column definition lists');
  const items = list(((list(b.functions)[0] as Obj).List as Obj).items);
  const [fk, fb] = node(items[0]);
  if (fk !== 'FuncCall') return notSupported(`${fk} in FROM`);
  const names = strings(fb.funcname);
  const name = names[names.length - 1]!;
  if (names.length > 1 && names[0] !== 'pg_catalog') return notSupported(`the function ${names.join('.')} in FROM`);
  // arguments see the FROM items before this one (implicit LATERAL) and outer query levels
  const cx: ExprCtx = { what: 'FROM function arguments', agg: false, win: false, var: false };
  const args = list(fb.args).map((a) => plain(compileExpr(tr, a, sc, cx)));
  const alias = tr.aliases.next();
  const a = b.alias as Obj | undefined;
  const colname = strings(a?.colnames)[0] ?? (a?.aliasname as string | undefined) ?? name;
  let sql: string;
  let t: PgT;
  if (name === 'generate_series' && (args.length === 2 || args.length === 3)) {
    const typed = args.filter((x) => x.t.n !== 'unknown');
    const series = timeSeries(tr, args);
    if (typed.length > 0 && typed.every((x) => isInt(x.t) || x.t.n === 'unknown')) {
      t = typed.some((x) => x.t.n === 'int8') ? mk('int8') : mk('int4');
      const ty = t.n === 'int8' ? 'BIGINT' : 'INTEGER';
      const av = args.map((x) => coerce(tr.env, x, t, false).sql);
      const step = av[2] ?? `CAST(1 AS ${ty})`;
      sql = `LATERAL (SELECT CAST(g.generate_series AS ${ty}) AS c1 FROM generate_series(CAST(${av[0]} AS BIGINT), CAST(${av[1]} AS BIGINT), lg_series_step(CAST(${step} AS BIGINT))) AS g) AS ${alias}`;
    } else if (series) {
      t = series.t;
      sql = `LATERAL (SELECT g.generate_series AS c1 FROM ${series.call} AS g) AS ${alias}`;
    } else return notSupported(`generate_series(${args.map((x) => typeName(x.t)).join(', ')}) in FROM`);
  } else if (name === 'unnest' && args.length === 1 && args[0]!.t.arr) {
    const arr = args[0]!;
    if (arr.t.n === 'numeric' && arr.scale === null) return notSupported('unnest of numeric arrays without a declared scale');
    t = mk(arr.t.n, arr.t.mod);
    sql = `LATERAL (SELECT unnest(${arr.sql}) AS c1) AS ${alias}`;
    const col: Col = { name: colname, t, scale: arr.scale, sql: `${alias}.c1` };
    return { sql, rels: [{ refname: (a?.aliasname as string | undefined) ?? name, cols: [col] }], merged: [], hidden: new Set(), star: [col] };
  } else if (JSON_SETS.has(name) && args.length === 1 && (args[0]!.t.n === 'json' || args[0]!.t.n === 'jsonb' || args[0]!.t.n === 'unknown')) {
    const jt = args[0]!.t.n === 'unknown' ? mk(name.startsWith('jsonb') ? 'jsonb' : 'json') : args[0]!.t;
    const j = coerce(tr.env, args[0]!, jt, false).sql;
    const jsonb = jt.n === 'jsonb';
    const asText = name.endsWith('_text');
    const names = strings(a?.colnames);
    const refname = (a?.aliasname as string | undefined) ?? name;
    if (name.endsWith('_each') || name.endsWith('_each_text')) {
      // OUT parameters key, value keep their names under a plain alias
      const cols: Col[] = [
        { name: names[0] ?? 'key', t: mk('text'), scale: null, sql: `${alias}.c1` },
        { name: names[1] ?? 'value', t: asText ? mk('text') : jt, scale: null, sql: `${alias}.c2` },
      ];
      sql = `LATERAL (SELECT e.key AS c1, e.value AS c2 FROM (SELECT unnest(lg_json_each(${j}, ${asText}, ${jsonb})) AS e) AS e) AS ${alias}`;
      return { sql, rels: [{ refname, cols }], merged: [], hidden: new Set(), star: cols };
    }
    if (name.endsWith('_object_keys')) {
      const col: Col = { name: colname, t: mk('text'), scale: null, sql: `${alias}.c1` };
      sql = `LATERAL (SELECT unnest(lg_json_keys(${j}, ${jsonb})) AS c1) AS ${alias}`;
      return { sql, rels: [{ refname, cols: [col] }], merged: [], hidden: new Set(), star: [col] };
    }
    const col: Col = { name: names[0] ?? 'value', t: asText ? mk('text') : jt, scale: null, sql: `${alias}.c1` };
    sql = `LATERAL (SELECT unnest(lg_json_elements(${j}, ${asText}, ${jsonb})) AS c1) AS ${alias}`;
    return { sql, rels: [{ refname, cols: [col] }], merged: [], hidden: new Set(), star: [col] };
  } else return notSupported(`${name}() in FROM`);
  const col: Col = { name: colname, t, scale: isInt(t) ? 0 : null, sql: `${alias}.c1` };
  return { sql, rels: [{ refname: (a?.aliasname as string | undefined) ?? name, cols: [col] }], merged: [], hidden: new Set(), star: [col] };
}

const JSON_SETS = new Set([
  'jsonb_array_elements', 'jsonb_array_elements_text', 'json_array_elements', 'json_array_elements_text',
  'jsonb_each', 'jsonb_each_text', 'json_each', 'json_each_text', 'jsonb_object_keys', 'json_object_keys',
]);

function rangeVar(tr: Tr, b: Obj, sc: Scope): FromResult {
  const schema = (b.schemaname as string | undefined) ?? null;
  const name = b.relname as string;
  if (b.catalogname) return notSupported('three-part table names');
  const a = b.alias as Obj | undefined;
  const colAliases = strings(a?.colnames);
  const refname = (a?.aliasname as string | undefined) ?? name;
  const alias = tr.aliases.next();
  const cte = schema === null ? sc.cte(name) : null;
  if (cte) {
    const cols: Col[] = cte.cols.map((c, i) => ({ name: colAliases[i] ?? c.name, t: c.t, scale: c.scale, sql: `${alias}.c${i + 1}` }));
    const rel: Rel = { refname, cols };
    return { sql: `${cte.duck} AS ${alias}`, rels: [rel], merged: [], hidden: new Set(), star: cols };
  }
  const m = tr.env.mirror(schema, name);
  const pgt = m ? null : tr.env.pgTable(schema, name);
  const r = m ? mirrorRelation(m, alias, refname, colAliases) : pgt ? pgRelation(pgt, alias, refname, colAliases) : null;
  if (!r) return notSupported(`the relation ${schema ? schema + '.' : ''}${name}`);
  // an alias hides the table's own name (and its schema) from column references
  if (!a?.aliasname) r.rels[0]!.schema = schema;
  return r;
}

/** how a mirror column, as stored, becomes the engine's representation of its Postgres type */
function readMirrorColumn(ref: string, c: { name: string; t: PgT }, stored: string): { sql: string; scale: number | null } {
  const col = `${ref}.${ident(c.name)}`;
  const t = c.t;
  if (t.n === 'numeric') {
    const s = numericScale(t);
    // numeric without typmod (or beyond DECIMAL(38)) is stored as its text
    if (s === null || /^VARCHAR/i.test(stored)) return { sql: col, scale: /^VARCHAR/i.test(stored) ? null : s };
    const want = duckType(t);
    return { sql: stored.replace(/\s/g, '').toUpperCase() === want ? col : `CAST(${col} AS ${want})`, scale: s };
  }
  if (t.n === 'interval' && !t.arr) return { sql: /^VARCHAR/i.test(stored) ? `lg_pg_interval(${col})` : col, scale: null };
  if (t.n === 'time' || t.n === 'timestamp' || t.n === 'timestamptz' || t.n === 'date' || t.n === 'uuid' || t.n === 'bytea') return { sql: col, scale: null };
  let want: string;
  try {
    want = duckType(t);
  } catch {
    return { sql: col, scale: null };
  }
  const norm = (s: string) => s.replace(/\s/g, '').toUpperCase();
  if (norm(stored) === norm(want)) return { sql: col, scale: t.n.startsWith('int') ? 0 : null };
  return { sql: `CAST(${col} AS ${want})`, scale: t.n.startsWith('int') ? 0 : null };
}

function mirrorRelation(m: MirrorRelation, alias: string, refname: string, colAliases: string[]): FromResult {
  const inner = tr_alias(alias);
  m.read = true;
  const sel: string[] = [];
  const cols: Col[] = [];
  m.columns.forEach((c, i) => {
    const onUse = () => {
      if (c.unsupported) notSupported(c.unsupported);
      m.used.add(c.name);
    };
    if (c.unsupported) {
      sel.push(`NULL AS c${i + 1}`);
      cols.push({ name: colAliases[i] ?? c.name, t: c.t, scale: null, sql: `${alias}.c${i + 1}`, onUse });
      return;
    }
    const stored = m.stored[i] ?? 'VARCHAR';
    const r = readMirrorColumn(inner, c, stored);
    // int2 is stored as INTEGER: the value as stored too, for comparisons Postgres makes in int4
    const wide = c.t.n === 'int2' && !c.t.arr && stored.toUpperCase() === 'INTEGER';
    if (!m.only || m.only.has(c.name)) {
      sel.push(`${r.sql} AS c${i + 1}`);
      if (wide) sel.push(`${inner}.${ident(c.name)} AS c${i + 1}w`);
    }
    cols.push({ name: colAliases[i] ?? c.name, t: c.t, scale: r.scale, sql: `${alias}.c${i + 1}`, onUse, ...(wide ? { wide: { of: `${alias}.c${i + 1}`, sql: `${alias}.c${i + 1}w` } } : {}) });
  });
  const rel: Rel = { refname, cols };
  // no column read (count(*)): one constant keeps the select list valid
  if (sel.length === 0) sel.push('NULL AS c0');
  return { sql: `(SELECT ${sel.join(', ')} FROM ${m.sql} AS ${inner}) AS ${alias}`, rels: [rel], merged: [], hidden: new Set(), star: cols };
}

const tr_alias = (a: string) => `${a}_m`;

function pgRelation(p: PgTableUse, alias: string, refname: string, colAliases: string[]): FromResult {
  const cols: Col[] = p.columns.map((c, i) => ({
    name: colAliases[i] ?? c.name,
    t: c.t,
    scale: c.t.n === 'numeric' ? numericScale(c.t) : c.t.n.startsWith('int') ? 0 : null,
    sql: `${alias}.c${i + 1}`,
    onUse: () => {
      if (c.unsupported) notSupported(c.unsupported);
      p.used.add(i);
    },
    pg: { use: p, index: i },
  }));
  p.refs++;
  const rel: Rel = { refname, cols };
  return { sql: `${p.temp} AS ${alias}`, rels: [rel], merged: [], hidden: new Set(), star: cols };
}

/**
 * What the right side of a JOIN may reference when it is LATERAL (a subquery marked so, or a function): the
 * FROM items before the join and the join's left side.
 */
function lateralScope(sc: Scope, l: FromResult): Scope {
  const s = new Scope(sc.parent);
  for (const c of sc.ctes.values()) s.ctes.set(c.name, c);
  s.rels.push(...sc.rels);
  s.stars.push(...sc.stars);
  s.merged.push(...sc.merged);
  for (const h of sc.hidden) s.hidden.add(h);
  s.add(l);
  return s;
}

function joinExpr(tr: Tr, b: Obj, sc: Scope): FromResult {
  const l = fromItem(tr, b.larg, sc);
  const r = fromItem(tr, b.rarg, lateralScope(sc, l));
  const jt = b.jointype as string;
  const kw = jt === 'JOIN_INNER' ? 'JOIN' : jt === 'JOIN_LEFT' ? 'LEFT JOIN' : jt === 'JOIN_RIGHT' ? 'RIGHT JOIN' : jt === 'JOIN_FULL' ? 'FULL JOIN' : null;
  if (!kw) return notSupported(`${jt} joins`);
  let usingNames = strings(b.usingClause);
  if (b.isNatural) {
    const rn = new Set(visible(r).map((c) => c.name));
    usingNames = visible(l).map((c) => c.name).filter((n) => rn.has(n));
  }
  const merged: Col[] = [];
  const hidden = new Set<Col>([...l.hidden, ...r.hidden]);
  let on: string;
  // the condition sees both sides (and outer levels for correlated references)
  const js = new Scope(sc.parent);
  for (const c of sc.ctes.values()) js.ctes.set(c.name, c);
  js.add(l);
  js.add(r);
  if (usingNames.length > 0 || b.isNatural) {
    const conds: string[] = [];
    for (const n of usingNames) {
      const lc = pick(l, n);
      const rc = pick(r, n);
      const le = ex(lc.sql, lc.t, { scale: lc.scale });
      const re = ex(rc.sql, rc.t, { scale: rc.scale });
      conds.push(binary(tr, '=', le, re, CX_WHERE).sql);
      lc.onUse?.();
      rc.onUse?.();
      let mc: Col;
      if (jt === 'JOIN_FULL') {
        const u = unify(tr, [le, re], 'JOIN USING');
        mc = { name: n, t: u.t, scale: u.scale, sql: `COALESCE(${u.items[0]!.sql}, ${u.items[1]!.sql})` };
      } else {
        const src = jt === 'JOIN_RIGHT' ? rc : lc;
        if (!same(lc.t, rc.t)) return notSupported('USING columns of different types');
        mc = { ...src, name: n };
      }
      merged.push(mc);
      hidden.add(lc);
      hidden.add(rc);
      for (const m of [...l.merged, ...r.merged]) if (m.name === n) hidden.add(m);
    }
    on = conds.length ? conds.join(' AND ') : 'TRUE';
  } else if (b.quals) {
    const q = plain(compileExpr(tr, b.quals, js, { ...CX_WHERE, what: 'JOIN conditions' }));
    if (q.t.n !== 'bool' && q.t.n !== 'unknown') return notSupported('a non-boolean join condition');
    on = q.sql;
  } else on = '';
  const usingSet = new Set(usingNames);
  const star = [...merged, ...l.star.filter((c) => !usingSet.has(c.name) || !hidden.has(c)), ...r.star.filter((c) => !usingSet.has(c.name) || !hidden.has(c))];
  const sql = on === '' && jt === 'JOIN_INNER' ? `(${l.sql} CROSS JOIN ${r.sql})` : `(${l.sql} ${kw} ${r.sql} ON ${on === '' ? 'TRUE' : on})`;
  let rels = [...l.rels, ...r.rels];
  let outMerged = [...l.merged.filter((m) => !hidden.has(m)), ...r.merged.filter((m) => !hidden.has(m)), ...merged];
  const ja = b.alias as Obj | undefined;
  if (ja) {
    // a join alias hides the tables inside it
    const names = strings(ja.colnames);
    const cols = star.map((c, i) => ({ ...c, name: names[i] ?? c.name }));
    rels = [{ refname: ja.aliasname as string, cols }];
    outMerged = [];
    return { sql, rels, merged: outMerged, hidden: new Set(), star: cols };
  }
  if (b.join_using_alias) {
    rels.push({ refname: (b.join_using_alias as Obj).aliasname as string, cols: merged });
  }
  return { sql, rels, merged: outMerged, hidden, star };
}

function visible(f: FromResult): Col[] {
  return [...f.merged, ...f.rels.flatMap((r) => r.cols)].filter((c) => !f.hidden.has(c));
}

function pick(f: FromResult, n: string): Col {
  const found = visible(f).filter((c) => c.name === n);
  if (found.length !== 1) return notSupported(`the USING column ${n}`);
  return found[0]!;
}

// ---- SELECT -------------------------------------------------------------------------------------------

function simpleSelect(tr: Tr, stmt: Obj, sc: Scope, top: boolean): TopQuery {
  if (stmt.intoClause) return notSupported('SELECT INTO');
  if (stmt.lockingClause) return notSupported('FOR UPDATE/SHARE');
  // each FROM item is visible to the functions after it (Postgres' implicit LATERAL for functions in FROM)
  const froms: FromResult[] = [];
  for (const f of list(stmt.fromClause)) {
    const r = fromItem(tr, f, sc);
    froms.push(r);
    sc.add(r);
  }
  const windows = new Map<string, Obj>();
  for (const w of list(stmt.windowClause)) {
    const d = (w as Obj).WindowDef as Obj;
    windows.set(d.name as string, d);
  }
  // WHERE
  let where = '';
  if (stmt.whereClause) {
    const w = plain(compileExpr(tr, stmt.whereClause, sc, CX_WHERE), 'in WHERE');
    if (w.t.n !== 'bool' && w.t.n !== 'unknown') return notSupported('a non-boolean WHERE');
    where = ` WHERE ${w.sql}`;
    pushdownFilter(stmt.whereClause, sc);
  }
  // targets (aggregates and windows allowed; JS-finished numerics only at the top)
  const tcx: ExprCtx = { what: 'the select list', agg: true, win: true, var: top, windows };
  const cols = targets(tr, list(stmt.targetList), sc, tcx);
  // GROUP BY
  const groupItems = list(stmt.groupClause);
  const groups: string[] = [];
  const keyed: Keyed = new Map();
  for (const g of groupItems) groups.push(groupItem(tr, g, sc, cols, keyed));
  if (stmt.groupDistinct) return notSupported('GROUP BY DISTINCT');
  const qualifyBy = keyed.size ? [oneGroupPerValue(groupItems, groups, keyed)] : [];
  // HAVING
  let having = '';
  if (stmt.havingClause) {
    const h = plain(compileExpr(tr, stmt.havingClause, sc, { what: 'HAVING', agg: true, win: false, var: false, windows }), 'in HAVING');
    having = ` HAVING ${h.sql}`;
  }
  const grouped = groupItems.length > 0 || cols.some((c) => c.ex.agg) || having !== '';
  if (cols.some((c) => c.ex.srf) && (grouped || cols.some((c) => c.ex.win))) return notSupported('set-returning functions in a grouped or windowed select list');
  // DISTINCT / DISTINCT ON
  let distinct = '';
  const dc = stmt.distinctClause as Obj[] | undefined;
  const plainDistinct = dc?.length === 1 && Object.keys(dc[0]!).length === 0;
  if (dc && plainDistinct && !grouped && cols.some((c) => groupedByKey(c.ex)) && !cols.some((c) => c.ex.v || c.ex.win || c.ex.srf)) {
    // SELECT DISTINCT is GROUP BY every output column; grouped that way, a numeric without a declared scale or an
    // interval is grouped as DuckDB tells values apart, with the per-run check that no two groups hold values
    // Postgres calls equal (oneGroupPerValue)
    for (const c of cols) groups.push(groupKey(c.ex, keyed));
    qualifyBy.push(oneGroupPerValue([], groups, keyed));
  } else if (dc) {
    for (const c of cols) {
      if (plainDistinct && c.ex.t.n === 'interval' && !c.ex.t.arr) return notSupported('DISTINCT over interval values here');
      if (c.ex.v) return notSupported('DISTINCT over avg() or numeric division results');
      if (c.ex.t.n === 'numeric' && c.ex.scale === null) return notSupported('DISTINCT over numeric values without a declared scale');
      if (c.ex.t.n === 'json' || c.ex.t.n === 'jsonb') return notSupported(`DISTINCT over ${c.ex.t.n}`);
      if (c.ex.t.n === 'bpchar' && c.ex.t.mod < 0) return notSupported('DISTINCT over char values without a length');
    }
    if (plainDistinct) distinct = 'DISTINCT ';
    else {
      const on = dc.map((d) => distinctOnItem(tr, d, sc, cols, tcx));
      distinct = `DISTINCT ON (${on.join(', ')}) `;
    }
  }
  const ocx: ExprCtx = { what: 'ORDER BY', agg: grouped, win: true, var: false, windows };
  // Postgres wants plain DISTINCT's ORDER BY keys in the select list; DISTINCT ON's may be anything (they pick
  // which row of each group is kept, as DuckDB's DISTINCT ON does)
  const order = orderBy(tr, stmt, sc, cols, ocx, false, distinct !== '' && plainDistinct);
  const limit = limitClause(tr, stmt, sc, order);
  if (limit.qualify) {
    // QUALIFY runs before DISTINCT: the ranks would count rows DISTINCT removes
    if (distinct) return notSupported('FETCH … WITH TIES with DISTINCT');
    qualifyBy.push(limit.qualify);
  }
  const qualify = qualifyBy.length ? ` QUALIFY ${qualifyBy.map((q) => `(${q})`).join(' AND ')}` : '';
  // the DuckDB select list
  const anyVar = cols.some((c) => c.ex.v);
  const selectList = cols.map((c, i) => `${outputSql(c.ex)} AS c${i + 1}`);
  const from = froms.length ? ` FROM ${froms.map((f) => f.sql).join(', ')}` : '';
  const groupBy = groups.length ? ` GROUP BY ${groups.join(', ')}` : '';
  if (top && anyVar && order.usesVar) {
    // ORDER BY over JS-finished values: DuckDB returns all rows with the sort keys; sorting and LIMIT happen in JS
    const hiddenKeys = order.keys.filter((k) => k.index < 0);
    const extra = hiddenKeys.map((k, j) => `${k.sql} AS h${j + 1}`);
    let hi = 0;
    const keys = order.keys.map((k) => ({ index: k.index >= 0 ? k.index : cols.length + hi++, desc: k.desc, nullsFirst: k.nullsFirst, t: k.t }));
    const sql = `SELECT ${distinct}${[...selectList, ...extra].join(', ')}${from}${where}${groupBy}${having}${qualify}`;
    const { limit: n, offset, ties } = limitValues(tr, stmt, sc);
    if (ties) return notSupported('WITH TIES ordered by avg() or numeric division results');
    return { sql, cols, hidden: extra.length, jsSort: { keys, limit: n, offset } };
  }
  if (order.usesVar) return notSupported('ORDER BY avg() or numeric division results in a subquery');
  const sql = `SELECT ${distinct}${selectList.join(', ')}${from}${where}${groupBy}${having}${qualify}${order.sql}${limit.sql}`;
  return { sql, cols, hidden: 0, jsSort: null };
}

/**
 * Group keys DuckDB tells apart where Postgres may not, by their SQL: numerics without a declared scale (grouped by
 * their text: 1.0 and 1.00 differ) and intervals (DuckDB's equality is finer than Postgres' equal total span:
 * '1 mon -19 days' and '11 days' differ; an interval's entry is its whole GROUP BY text, the value and its month and
 * day fields). `key` is the value Postgres' equality compares.
 */
type Keyed = Map<string, { key: string; kind: 'numeric' | 'interval' }>;

const groupedByKey = (e: Ex) => !e.t.arr && ((e.t.n === 'numeric' && e.scale === null) || e.t.n === 'interval');

/**
 * A QUALIFY term for keyed groups. Grouping by a numeric without a declared scale groups its numeric_out text, as it
 * is stored (an interval, its fields as written). Postgres groups by value: 1.0 and 1.00 are one group, shown as
 * whichever it met first (an order the mirror cannot repeat). Where the data writes each value one way (the usual
 * case) the two groupings are the same; where two groups hold equal values the query is refused, per run, before
 * any row is sent (a window over the groups by value).
 */
function oneGroupPerValue(items: unknown[], groups: string[], keyed: Keyed): string {
  const kinds = new Set([...keyed.values()].map((k) => k.kind));
  if (items.some((g) => node(g)[0] === 'GroupingSet')) {
    return notSupported(kinds.has('numeric') ? 'grouping sets over numeric values without a declared scale' : 'grouping sets over interval values');
  }
  const byValue = groups.map((g) => keyed.get(g)?.key ?? g);
  const msg = kinds.has('numeric')
    ? 'grouping numerics that are equal but written with different scales (such as 1.0 and 1.00) is not supported on lakegate mirrors'
    : "grouping intervals that are equal but written with different fields (such as ''1 mon -19 days'' and ''11 days'') is not supported on lakegate mirrors";
  return `CASE WHEN count(*) OVER (PARTITION BY ${byValue.join(', ')}) > 1 THEN error('${ERROR_TAG}0A000:${msg}')::BOOLEAN ELSE true END`;
}

/** DuckDB SQL of an output column; a JS-finished one ships its inputs as a STRUCT. */
export function outputSql(e: Ex): string {
  if (!e.v) return e.sql;
  const leaves = varLeaves(e.v);
  return `struct_pack(${leaves.map((l, i) => `v${i + 1} := ${l.sql}`).join(', ')})`;
}

function targets(tr: Tr, items: Obj[], sc: Scope, cx: ExprCtx): OutCol[] {
  const out: OutCol[] = [];
  for (const it of items) {
    const rt = (it as Obj).ResTarget as Obj;
    const [vk, vb] = node(rt.val);
    if (vk === 'ColumnRef') {
      const parts = strings(vb.fields);
      if (parts[parts.length - 1] === '*') {
        let cols: Col[];
        if (parts.length === 1) cols = sc.rels.length === 0 ? [] : starOf(sc);
        else {
          const rel = sc.relation(parts[0]!);
          if (!rel) return notSupported(`${parts.join('.')}`);
          cols = rel.cols;
        }
        for (const c of cols) {
          c.onUse?.();
          out.push({ name: c.name, ex: ex(c.sql, c.t, { scale: c.scale }) });
        }
        continue;
      }
    }
    const e = compileExpr(tr, rt.val, sc, { ...cx, srf: true });
    if (e.t.n === 'unknown' && !e.v) {
      // an untyped literal in the select list is text
      out.push({ name: (rt.name as string | undefined) ?? figureName(rt.val), ex: coerce(tr.env, e, mk('text'), false) });
      continue;
    }
    out.push({ name: (rt.name as string | undefined) ?? figureName(rt.val), ex: e });
  }
  return out;
}

function starOf(sc: Scope): Col[] {
  // `SELECT *` over all FROM items: their star lists in FROM order (merged join columns first within a join)
  const seen = new Set<Col>();
  const out: Col[] = [];
  for (const s of sc.stars) for (const c of s) if (!seen.has(c)) (seen.add(c), out.push(c));
  return out;
}

/** PG's FigureColname for the forms we translate. */
export function figureName(v: unknown): string {
  const [k, b] = node(v);
  switch (k) {
    case 'ColumnRef': {
      const p = strings(b.fields);
      return p[p.length - 1]!;
    }
    case 'FuncCall': {
      const n = strings(b.funcname);
      return n[n.length - 1]!;
    }
    case 'TypeCast': {
      const inner = figureName(b.arg);
      if (inner !== '?column?') return inner;
      const n = strings((b.typeName as Obj).names);
      return n[n.length - 1]!;
    }
    case 'CaseExpr':
      return 'case';
    case 'CoalesceExpr':
      return 'coalesce';
    case 'MinMaxExpr':
      return b.op === 'IS_GREATEST' ? 'greatest' : 'least';
    case 'A_ArrayExpr':
      return 'array';
    case 'A_Indirection':
      return figureName(b.arg);
    case 'SubLink':
      if (b.subLinkType === 'EXISTS_SUBLINK') return 'exists';
      if (b.subLinkType === 'EXPR_SUBLINK') {
        const tl = list(((b.subselect as Obj).SelectStmt as Obj)?.targetList);
        if (tl.length === 1) {
          const rt = (tl[0] as Obj).ResTarget as Obj;
          return (rt.name as string | undefined) ?? figureName(rt.val);
        }
      }
      return '?column?';
    case 'SQLValueFunction': {
      const m: Record<string, string> = { SVFOP_CURRENT_DATE: 'current_date', SVFOP_CURRENT_TIMESTAMP: 'current_timestamp', SVFOP_LOCALTIMESTAMP: 'localtimestamp' };
      return m[b.op as string] ?? '?column?';
    }
    default:
      return '?column?';
  }
}

/** `keyed`: where a plain GROUP BY item that is a numeric without a declared scale or an interval goes (see oneGroupPerValue) */
function groupItem(tr: Tr, g: unknown, sc: Scope, cols: OutCol[], keyed?: Keyed): string {
  const [k, b] = node(g);
  if (k === 'GroupingSet') {
    const inner = list(b.content).map((x) => groupItem(tr, x, sc, cols));
    switch (b.kind) {
      case 'GROUPING_SET_EMPTY':
        return '()';
      case 'GROUPING_SET_SIMPLE':
        return `(${inner.join(', ')})`;
      case 'GROUPING_SET_ROLLUP':
        return `ROLLUP (${inner.join(', ')})`;
      case 'GROUPING_SET_CUBE':
        return `CUBE (${inner.join(', ')})`;
      default:
        return `GROUPING SETS (${inner.map((x) => (x.startsWith('(') || /^(ROLLUP|CUBE|GROUPING)/.test(x) ? x : `(${x})`)).join(', ')})`;
    }
  }
  const gcx: ExprCtx = { what: 'GROUP BY', agg: false, win: false, var: false };
  // an integer constant is a select-list position
  if (k === 'A_Const' && b.ival !== undefined) {
    const n = ((b.ival as Obj).ival as number | undefined) ?? 0;
    const c = cols[n - 1];
    if (!c) return notSupported(`GROUP BY position ${n}`);
    return groupKey(c.ex, keyed);
  }
  // a bare name: an input column first, else a select-list alias (SQL92 rule, as Postgres)
  if (k === 'ColumnRef') {
    const parts = strings(b.fields);
    if (parts.length === 1) {
      try {
        return groupKey(compileExpr(tr, g, sc, gcx), keyed);
      } catch (e) {
        const c = cols.filter((x) => x.name === parts[0]);
        if (c.length === 1) return groupKey(c[0]!.ex, keyed);
        throw e;
      }
    }
  }
  return groupKey(compileExpr(tr, g, sc, gcx), keyed);
}

/** A GROUP BY (`keyed` given), grouping set or DISTINCT ON (`distinctOn`) key. */
function groupKey(e: Ex, keyed?: Keyed, distinctOn = false): string {
  if (e.v || e.agg || e.win) return notSupported('grouping by this expression');
  if (e.t.n === 'numeric' && e.scale === null) {
    if (!keyed || e.t.arr) return notSupported('grouping by numeric values without a declared scale');
    keyed.set(e.sql, { key: `lg_numkey(${e.sql})`, kind: 'numeric' });
  }
  if (e.t.n === 'interval' && !e.t.arr) {
    // DISTINCT ON only partitions (each row shows its own value): the key itself will do
    if (distinctOn) return `lg_iv_key(${e.sql})`;
    if (!keyed) return notSupported('grouping sets over interval values');
    // grouped by its fields as written (DuckDB alone would put '1 mon' and '30 days' in one group, showing either),
    // so that the check finds every pair of groups Postgres would merge
    const g = `${e.sql}, lg_iv_m(${e.sql}), lg_iv_d(${e.sql})`;
    keyed.set(g, { key: `lg_iv_key(${e.sql})`, kind: 'interval' });
    return g;
  }
  if (e.t.n === 'json' || e.t.n === 'jsonb') return notSupported(`grouping by ${e.t.n}`);
  // char(n) values all carry n characters, so raw equality is bpchar equality; char without length is not
  if (e.t.n === 'bpchar' && e.t.mod < 0) return notSupported('grouping by char values without a length');
  return e.sql;
}

function distinctOnItem(tr: Tr, d: unknown, sc: Scope, cols: OutCol[], cx: ExprCtx): string {
  const [k, b] = node(d);
  if (k === 'A_Const' && b.ival !== undefined) {
    const n = ((b.ival as Obj).ival as number | undefined) ?? 0;
    const c = cols[n - 1];
    if (!c) return notSupported(`DISTINCT ON position ${n}`);
    return groupKey(c.ex, undefined, true);
  }
  if (k === 'ColumnRef') {
    const p = strings(b.fields);
    if (p.length === 1) {
      const c = cols.filter((x) => x.name === p[0]);
      if (c.length === 1) return groupKey(c[0]!.ex, undefined, true);
    }
  }
  return groupKey(compileExpr(tr, d, sc, { ...cx, var: false }), undefined, true);
}

interface Order {
  /** ` ORDER BY …` ('' when none, or when the keys are JS-finished values: usesVar) */
  sql: string;
  usesVar: boolean;
  keys: OrderKey[];
  /** each key as an expression (null where it cannot order a window: a window function, a JS-finished value) */
  byValue: { e: Ex | null; sb: Obj }[];
}

interface OrderKey {
  /** select-list index, or -1 for an expression not in the list */
  index: number;
  sql: string;
  desc: boolean;
  nullsFirst: boolean;
  t: PgT;
}

function orderBy(
  tr: Tr,
  stmt: Obj,
  sc: Scope,
  cols: OutCol[],
  cx: ExprCtx,
  outputsOnly: boolean,
  distinct = false,
): Order {
  const items = list(stmt.sortClause);
  if (items.length === 0) return { sql: '', usesVar: false, keys: [], byValue: [] };
  const parts: string[] = [];
  // the same keys as expressions, for a window's ORDER BY (where `1` is a constant, not an ordinal)
  const byValue: Order['byValue'] = [];
  const keys: OrderKey[] = [];
  let usesVar = false;
  for (const it of items) {
    const sb = (it as Obj).SortBy as Obj;
    const [k, b] = node(sb.node);
    let idx = -1;
    if (k === 'A_Const' && b.ival !== undefined) idx = (((b.ival as Obj).ival as number | undefined) ?? 0) - 1;
    else if (k === 'ColumnRef') {
      const p = strings(b.fields);
      if (p.length === 1) {
        const m = cols.map((c, i) => (c.name === p[0] ? i : -1)).filter((i) => i >= 0);
        if (m.length === 1) idx = m[0]!;
        else if (m.length > 1 && outputsOnly) return notSupported(`ORDER BY "${p[0]}" (ambiguous)`);
      }
    }
    const desc = sb.sortby_dir === 'SORTBY_DESC';
    const nullsFirst = sb.sortby_nulls === 'SORTBY_NULLS_FIRST' ? true : sb.sortby_nulls === 'SORTBY_NULLS_LAST' ? false : desc;
    if (idx >= 0) {
      const c = cols[idx];
      if (!c) return notSupported(`ORDER BY position ${idx + 1}`);
      if (c.ex.v) {
        usesVar = true;
        keys.push({ index: idx, sql: '', desc, nullsFirst, t: c.ex.t });
        parts.push('');
        byValue.push({ e: null, sb });
        continue;
      }
      checkSortable(tr, c.ex);
      const form = sortItem(tr, ex(`${idx + 1}`, c.ex.t, { scale: c.ex.scale }), sb);
      // an ordinal: the select list position (char(n) keys need the expression for rtrim)
      // char(n) and numerics of varying scale sort by a derived key, which needs the expression
      parts.push(sortForm(c.ex) !== c.ex.sql ? sortItem(tr, c.ex, sb) : form);
      byValue.push({ e: c.ex.win || c.ex.srf ? null : c.ex, sb });
      keys.push({ index: idx, sql: c.ex.sql, desc, nullsFirst, t: c.ex.t });
      continue;
    }
    if (outputsOnly) return notSupported('ORDER BY expressions on UNION/INTERSECT/EXCEPT');
    const e = compileExpr(tr, sb.node, sc, cx);
    if (e.v) return notSupported('ORDER BY avg() or numeric division not in the select list');
    if (distinct) {
      const same = cols.findIndex((c) => c.ex.sql === e.sql);
      if (same < 0) return notSupported('ORDER BY expressions not in a DISTINCT select list');
    }
    parts.push(sortItem(tr, e, sb));
    byValue.push({ e: e.win || e.srf ? null : e, sb });
    keys.push({ index: cols.findIndex((c) => c.ex.sql === e.sql && !c.ex.v), sql: e.sql, desc, nullsFirst, t: e.t });
  }
  return { sql: usesVar ? '' : ` ORDER BY ${parts.join(', ')}`, usesVar, keys, byValue };
}

function limitExpr(tr: Tr, n: unknown, sc: Scope, what: string): Ex | null {
  if (!n) return null;
  const e = plain(compileExpr(tr, n, new Scope(sc.parent), { what, agg: false, win: false, var: false }));
  if (e.lit?.kind === 'null') return null;
  return coerce(tr.env, e, INT8, false);
}

/**
 * ` LIMIT … OFFSET …`, and for FETCH FIRST n ROWS WITH TIES the QUALIFY condition that keeps the ties: the rows
 * whose rank() under the query's ORDER BY is at most offset + n are the first offset + n rows and every row equal
 * to the last of them (ranks count the rows strictly before). OFFSET then skips as usual.
 */
function limitClause(tr: Tr, stmt: Obj, sc: Scope, order: Order): { sql: string; qualify: string } {
  const v = limitValues(tr, stmt, sc);
  let sql = '';
  let qualify = '';
  if (v.ties) {
    if (order.keys.length === 0) return notSupported('WITH TIES without ORDER BY');
    if (order.usesVar || order.byValue.some((k) => k.e === null)) return notSupported('WITH TIES ordered by window functions, set-returning functions, avg() or numeric division');
    // a NULL count (a parameter; a literal NULL fails at parse) means no limit, as in Postgres; a count of 0 means
    // no rows at all (the ties of nothing)
    if (v.limit === 0n) sql += ' LIMIT 0';
    else if (v.limit !== null) qualify = `rank() OVER (ORDER BY ${order.byValue.map((k) => sortItem(tr, k.e!, k.sb)).join(', ')}) <= ${v.limit + v.offset}`;
  } else if (v.limit !== null) sql += ` LIMIT ${v.limit}`;
  if (v.offset !== 0n) sql += ` OFFSET ${v.offset}`;
  return { sql, qualify };
}

function limitValues(tr: Tr, stmt: Obj, sc: Scope): { limit: bigint | null; offset: bigint; ties: boolean } {
  const val = (n: unknown, what: string): bigint | null => {
    const e = limitExpr(tr, n, sc, what);
    if (!e) return null;
    // LIMIT/OFFSET are constants or parameters, known when the portal is bound
    const v = int8Constant(e);
    if (v === null) return tr.env.dry ? 0n : null;
    if (v === undefined) return notSupported(`a non-constant ${what}`);
    if (v < 0n) throw new PgError(what === 'LIMIT' ? '2201W' : '2201X', `${what} must not be negative`);
    return v;
  };
  const ties = stmt.limitOption === 'LIMIT_OPTION_WITH_TIES';
  return { limit: val(stmt.limitCount, 'LIMIT'), offset: val(stmt.limitOffset, 'OFFSET') ?? 0n, ties };
}

