// Every RangeVar of one statement, at any depth, with how the statement uses it and with CTE names
// removed under Postgres' scoping rules (parse_cte.c): a CTE name hides a relation only inside its own
// WITH scope; non-recursive CTEs see earlier siblings but not themselves; WITH RECURSIVE sees all.
//
// libpg_query JSON wraps `Node *` fields as {TypeName: {...}} but emits typed pointer fields
// (SelectStmt.larg, InsertStmt.relation, IntoClause.rel, withClause, alias …) unwrapped. The walker
// therefore treats a single capitalised key as a node, and recognises an unwrapped RangeVar by shape.

/** How a statement uses a relation. */
export type Usage =
  | 'read' // scanned by a query
  | 'write' // INSERT/UPDATE/DELETE/MERGE target, COPY FROM, TRUNCATE
  | 'ddl' // altered, indexed, referenced by a constraint, inherited …
  | 'meta' // named by GRANT, VACUUM/ANALYZE, LOCK TABLE, CREATE TABLE … (LIKE x): harmless upstream
  | 'create'; // the name of a relation being created (CREATE TABLE/VIEW x, SELECT INTO x)

export interface RelationUse {
  catalog: string | null;
  schema: string | null;
  /** folded as Postgres (or IvorySQL in Oracle mode) folds it */
  name: string;
  alias: string | null;
  /** `FROM ONLY x` */
  only: boolean;
  usage: Usage;
  /** under a FOR UPDATE / FOR SHARE locking clause */
  locked: boolean;
  /** UTF-8 byte offset of the first name part in the parsed text; -1 if the parser gave none */
  location: number;
  /** number of name parts written (1 = name, 2 = schema.name, 3 = catalog.schema.name) */
  parts: number;
  /** UTF-16 span of the (qualified) name in the original SQL, filled in by the parser; -1 if unknown */
  start: number;
  end: number;
}

type Obj = Record<string, unknown>;

class Scope {
  constructor(
    private readonly names: ReadonlySet<string>,
    private readonly parent: Scope | null,
  ) {}

  has(name: string): boolean {
    for (let s: Scope | null = this; s; s = s.parent) if (s.names.has(name)) return true;
    return false;
  }
}

/** A FROM-list entry's reference name and the span of `uses` recorded while visiting it. */
interface FromRef {
  refname: string | null;
  start: number;
  end: number;
}

export class RelationCollector {
  readonly uses: RelationUse[] = [];
  /** a WITH query is INSERT/UPDATE/DELETE/MERGE */
  modifyingCte = false;
  /** some SELECT level has FOR UPDATE/SHARE */
  locking = false;

  /** Visits any subtree; RangeVars found directly (not inside a query) get `usage`. */
  visit(v: unknown, usage: Usage, scope: Scope | null): void {
    if (Array.isArray(v)) {
      for (const x of v) this.visit(x, usage, scope);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const o = v as Obj;
    const keys = Object.keys(o);
    if (keys.length === 1 && isNodeName(keys[0]!)) {
      this.node(keys[0]!, o[keys[0]!] as Obj, usage, scope);
      return;
    }
    if (isRangeVar(o)) {
      this.rangeVar(o, usage, scope);
      return;
    }
    for (const k of keys) this.visit(o[k], usage, scope);
  }

  /** Top level of a statement: picks the usage of the relations it names itself. */
  statement(type: string, body: Obj): void {
    switch (type) {
      case 'SelectStmt':
        this.select(body, null, true);
        return;
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        this.modify(body, null, false);
        return;
      case 'CopyStmt':
        if (body.relation) this.rangeVar(body.relation as Obj, body.is_from ? 'write' : 'read', null);
        this.visit(omit(body, 'relation'), 'read', null);
        return;
      case 'TruncateStmt':
        this.visit(body, 'write', null);
        return;
      case 'GrantStmt':
      case 'VacuumStmt':
      case 'LockStmt':
      case 'SecLabelStmt':
        this.visit(body, 'meta', null);
        return;
      case 'CreateStmt':
        if (body.relation) this.rangeVar(body.relation as Obj, 'create', null);
        this.visit(omit(body, 'relation'), 'ddl', null);
        return;
      case 'ViewStmt':
        if (body.view) this.rangeVar(body.view as Obj, 'create', null);
        this.visit(omit(body, 'view'), 'read', null);
        return;
      case 'CreateTableAsStmt': {
        const into = body.into as Obj | undefined;
        if (into?.rel) this.rangeVar(into.rel as Obj, 'create', null);
        this.visit(omit(body, 'into'), 'read', null);
        return;
      }
      default:
        // ALTER, CREATE INDEX/TRIGGER/RULE/POLICY, RENAME, CLUSTER, … : a named relation is being changed.
        // Queries inside (PREPARE, DECLARE, rule actions) still switch to 'read' via node().
        this.visit(body, 'ddl', null);
    }
  }

  private node(type: string, body: Obj, usage: Usage, scope: Scope | null): void {
    switch (type) {
      case 'RangeVar':
        this.rangeVar(body, usage, scope);
        return;
      case 'SelectStmt':
        this.select(body, scope, false);
        return;
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        this.modify(body, scope, true);
        return;
      case 'TableLikeClause':
        this.visit(body, 'meta', scope);
        return;
      default:
        this.visit(body, usage, scope);
    }
  }

  private select(s: Obj, outer: Scope | null, top: boolean): void {
    const scope = this.withScope(s.withClause as Obj | undefined, outer);
    if (s.op && s.op !== 'SETOP_NONE') {
      // larg/rarg are typed SelectStmt fields, emitted unwrapped
      this.select(s.larg as Obj, scope, false);
      this.select(s.rarg as Obj, scope, false);
    } else if (s.fromClause) {
      const fromStart = this.uses.length;
      const refs: FromRef[] = [];
      for (const item of s.fromClause as unknown[]) this.fromItem(item, scope, refs);
      if (s.lockingClause) this.applyLocking(s.lockingClause as unknown[], refs, fromStart);
    }
    if (top && s.intoClause) {
      const rel = (s.intoClause as Obj).rel as Obj | undefined;
      if (rel) this.rangeVar(rel, 'create', null);
    }
    for (const k of Object.keys(s)) {
      if (k === 'withClause' || k === 'larg' || k === 'rarg' || k === 'fromClause' || k === 'lockingClause' || k === 'intoClause') continue;
      this.visit(s[k], 'read', scope);
    }
  }

  private modify(s: Obj, outer: Scope | null, nested: boolean): void {
    if (nested) this.modifyingCte = true;
    const scope = this.withScope(s.withClause as Obj | undefined, outer);
    // the target is never a CTE reference, so no scope filtering
    if (s.relation) this.rangeVar(s.relation as Obj, 'write', null);
    for (const k of Object.keys(s)) {
      if (k === 'withClause' || k === 'relation') continue;
      this.visit(s[k], 'read', scope);
    }
  }

  private withScope(wc: Obj | undefined, outer: Scope | null): Scope | null {
    const ctes = ((wc?.ctes as Obj[] | undefined) ?? []).map((n) => n.CommonTableExpr as Obj);
    if (ctes.length === 0) return outer;
    const all = new Set(ctes.map((c) => c.ctename as string));
    if (wc!.recursive) {
      const scope = new Scope(all, outer);
      for (const c of ctes) this.visit(c, 'read', scope);
      return scope;
    }
    const earlier = new Set<string>();
    for (const c of ctes) {
      this.visit(c, 'read', earlier.size ? new Scope(new Set(earlier), outer) : outer);
      earlier.add(c.ctename as string);
    }
    return new Scope(all, outer);
  }

  /** A FROM-list entry; records the span of uses under each reference name for FOR UPDATE OF. */
  private fromItem(item: unknown, scope: Scope | null, refs: FromRef[]): void {
    const start = this.uses.length;
    const [type, body] = unwrap(item);
    switch (type) {
      case 'RangeVar':
        this.rangeVar(body, 'read', scope);
        refs.push({ refname: aliasOf(body) ?? (body.relname as string), start, end: this.uses.length });
        return;
      case 'JoinExpr':
        this.fromItem(body.larg, scope, refs);
        this.fromItem(body.rarg, scope, refs);
        this.visit(omit(body, 'larg', 'rarg'), 'read', scope);
        return;
      case 'RangeTableSample':
        this.fromItem(body.relation, scope, refs);
        this.visit(omit(body, 'relation'), 'read', scope);
        return;
      default:
        this.visit(item, 'read', scope);
        refs.push({ refname: aliasOf(body), start, end: this.uses.length });
    }
  }

  // FOR UPDATE/SHARE applies to every FROM entry (subqueries included) or to the entries named in OF.
  private applyLocking(clauses: unknown[], refs: FromRef[], fromStart: number): void {
    this.locking = true;
    for (const c of clauses) {
      const lc = (c as Obj).LockingClause as Obj;
      const named = (lc.lockedRels as Obj[] | undefined) ?? [];
      if (named.length === 0) {
        for (let i = fromStart; i < this.uses.length; i++) this.uses[i]!.locked = true;
        continue;
      }
      const names = new Set(named.map((n) => (n.RangeVar as Obj).relname as string));
      for (const r of refs) {
        if (r.refname === null || !names.has(r.refname)) continue;
        for (let i = r.start; i < r.end; i++) this.uses[i]!.locked = true;
      }
    }
  }

  private rangeVar(rv: Obj, usage: Usage, scope: Scope | null): void {
    const name = rv.relname as string;
    const schema = (rv.schemaname as string | undefined) ?? null;
    const catalog = (rv.catalogname as string | undefined) ?? null;
    if (schema === null && scope?.has(name)) return; // a CTE reference, not a relation
    this.uses.push({
      catalog,
      schema,
      name,
      alias: aliasOf(rv),
      only: rv.inh !== true,
      usage,
      locked: false,
      location: typeof rv.location === 'number' ? rv.location : -1,
      parts: 1 + (schema !== null ? 1 : 0) + (catalog !== null ? 1 : 0),
      start: -1,
      end: -1,
    });
  }
}

function isNodeName(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 65 && c <= 90;
}

function isRangeVar(o: Obj): boolean {
  return typeof o.relname === 'string' && typeof o.relpersistence === 'string';
}

function unwrap(v: unknown): [string, Obj] {
  const o = v as Obj;
  const k = Object.keys(o)[0]!;
  return [k, o[k] as Obj];
}

function aliasOf(body: Obj): string | null {
  const a = body.alias as Obj | undefined;
  return (a?.aliasname as string | undefined) ?? null;
}

function omit(o: Obj, ...keys: string[]): Obj {
  const out: Obj = {};
  for (const k of Object.keys(o)) if (!keys.includes(k)) out[k] = o[k];
  return out;
}
