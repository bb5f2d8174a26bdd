// Name resolution, as Postgres does it for the subset we translate: FROM items become relations with a reference
// name (alias, else the table name) and columns; USING/NATURAL joins merge equal-named columns; unqualified names
// search the current query level, then the outer ones (correlated subqueries). Every DuckDB relation is aliased
// t<n> and its columns c<i>, so DuckDB's case-insensitive names never meet the user's identifiers.
import { notSupported } from './errors.js';
import type { PgT } from './pg-type.js';
import type { PgTableUse } from './context.js';

export interface Col {
  name: string;
  t: PgT;
  /** numeric display scale (null = per value) */
  scale: number | null;
  /** DuckDB expression for the column, e.g. t3.c2 */
  sql: string;
  /** called when the statement reads the column (ordinary PG tables fetch only what is read) */
  onUse?: () => void;
  /** the ordinary Postgres table column behind it (for filter pushdown) */
  pg?: { use: PgTableUse; index: number };
  /** an int2 mirror column stored as INTEGER: that INTEGER (Ex.wide; valid while sql is `of`) */
  wide?: { of: string; sql: string };
}

export interface Rel {
  refname: string | null;
  cols: Col[];
  /**
   * A table named in FROM without an alias: the schema as written there (`schema.table.column` references
   * it, as BI tools write every column), or null when the table was named without one.
   */
  schema?: string | null;
}

export interface FromResult {
  sql: string;
  rels: Rel[];
  /** USING/NATURAL join columns, visible unqualified */
  merged: Col[];
  /** the originals a merge hides from unqualified lookup */
  hidden: Set<Col>;
  /** columns of `SELECT *`, in Postgres order */
  star: Col[];
}

export interface Cte {
  name: string;
  /** DuckDB CTE name */
  duck: string;
  cols: { name: string; t: PgT; scale: number | null }[];
  /** set while the recursive term is being translated */
  recursive?: boolean;
}

export class Scope {
  readonly rels: Rel[] = [];
  readonly merged: Col[] = [];
  readonly hidden = new Set<Col>();
  readonly ctes = new Map<string, Cte>();
  /** `SELECT *` column lists of the FROM items, in FROM order */
  readonly stars: Col[][] = [];
  /** columns of this level read so far (to spot aggregates over outer columns only) */
  localRefs = 0;
  outerRefs = 0;

  constructor(readonly parent: Scope | null) {}

  add(f: FromResult): void {
    this.rels.push(...f.rels);
    this.stars.push(f.star);
    this.merged.push(...f.merged);
    for (const h of f.hidden) this.hidden.add(h);
  }

  cte(name: string): Cte | null {
    for (let s: Scope | null = this; s; s = s.parent) {
      const c = s.ctes.get(name);
      if (c) return c;
    }
    return null;
  }

  /** Resolves a column reference (1 to 3 name parts); levelsUp = 0 for this query level. */
  column(parts: string[]): { col: Col; levelsUp: number } {
    for (let s: Scope | null = this, up = 0; s; s = s.parent, up++) {
      const c = s.local(parts);
      if (c) {
        if (up === 0) this.localRefs++;
        else this.outerRefs++;
        c.onUse?.();
        return { col: c, levelsUp: up };
      }
    }
    return notSupported(`the column reference ${parts.join('.')}`);
  }

  /** relation by reference name at the nearest level that has it */
  relation(name: string): Rel | null {
    for (let s: Scope | null = this; s; s = s.parent) {
      const r = s.rels.filter((x) => x.refname === name);
      if (r.length === 1) return r[0]!;
      if (r.length > 1) return notSupported(`the ambiguous table reference ${name}`);
    }
    return null;
  }

  private local(parts: string[]): Col | null {
    if (parts.length === 1) {
      const n = parts[0]!;
      const found: Col[] = this.merged.filter((c) => c.name === n);
      for (const r of this.rels) for (const c of r.cols) if (c.name === n && !this.hidden.has(c)) found.push(c);
      if (found.length > 1) return notSupported(`the ambiguous column reference ${n}`);
      return found[0] ?? null;
    }
    if (parts.length === 2) {
      const rels = this.rels.filter((r) => r.refname === parts[0]);
      if (rels.length > 1) return notSupported(`the ambiguous table reference ${parts[0]}`);
      if (rels.length === 0) return null;
      const cols = rels[0]!.cols.filter((c) => c.name === parts[1]);
      if (cols.length !== 1) return cols.length === 0 ? null : notSupported(`the ambiguous column reference ${parts.join('.')}`);
      return cols[0]!;
    }
    if (parts.length === 3) {
      const [schema, table, name] = parts as [string, string, string];
      const rels = this.rels.filter((r) => r.refname === table && r.schema === schema);
      if (rels.length === 0) {
        // named in FROM without its schema: which schema it lives in is Postgres' to say
        if (this.rels.some((r) => r.refname === table && r.schema === null)) return notSupported(`the column reference ${parts.join('.')} to a table named without its schema`);
        return null;
      }
      if (rels.length > 1) return notSupported(`the ambiguous table reference ${schema}.${table}`);
      const cols = rels[0]!.cols.filter((c) => c.name === name);
      if (cols.length !== 1) return cols.length === 0 ? null : notSupported(`the ambiguous column reference ${parts.join('.')}`);
      return cols[0]!;
    }
    return notSupported(`column references with ${parts.length} name parts`);
  }
}

/** Allocates DuckDB aliases t1, t2, … for one translation. */
export class Aliases {
  private n = 0;
  next(prefix = 't'): string {
    return `${prefix}${++this.n}`;
  }
}
