// What the translator needs from outside: how mirrors and ordinary Postgres tables are read in DuckDB, parameter
// types and values, constants Postgres converted, and the session settings that change results.
import type { Const } from './literal.js';
import type { PgT } from './pg-type.js';

/** A column of a relation the translator reads (mirror or ordinary Postgres table). */
export interface SourceColumn {
  name: string;
  /** the Postgres type (from the source table / mirror view) */
  t: PgT;
  /** set when the engine cannot read the column (its type); reading it is refused with this text */
  unsupported?: string;
}

/** A mirror as DuckDB reads it. */
export interface MirrorRelation {
  /** a DuckDB relation: a table/view name or a parenthesised SELECT */
  sql: string;
  /** Postgres columns, in the mirror view's order */
  columns: SourceColumn[];
  /** DuckDB type of each column as stored (e.g. INTEGER for int2, VARCHAR for jsonb); same order */
  stored: string[];
  /** names of the columns the statement reads (filled by the translator; for column privileges) */
  used: Set<string>;
  /** the statement reads the mirror at all (even `count(*)`) */
  read: boolean;
  /** when known (from an earlier translation of the same statement): the only columns it reads; the others
   *  are left out of the relation's select list, so DuckDB binds and casts just these */
  only?: Set<string>;
}

/** An ordinary Postgres table read next to mirrors; its rows are copied into a DuckDB temp table. */
export interface PgTableUse {
  /** how the statement names it (schema as written, or null) */
  schema: string | null;
  name: string;
  columns: SourceColumn[];
  /** DuckDB temp table the rows go to */
  temp: string;
  /** column indexes the statement reads (filled by the translator) */
  used: Set<number>;
  /** how many times the statement names it (filters are pushed only for a single reference) */
  refs: number;
  /**
   * WHERE conjuncts over this table alone, as Postgres SQL on columns named by position (`$c3`), pushed into the
   * fetch; null once the table is read in a way that forbids pushing (filled by the translator)
   */
  filters: string[] | null;
}

export interface TranslateEnv {
  /** mirror by name as written (folded); null when the name is not a mirror */
  mirror(schema: string | null, name: string): MirrorRelation | null;
  /** ordinary table named in the statement (pre-described), or null */
  pgTable(schema: string | null, name: string): PgTableUse | null;
  /** $n types (PG's inference) and, once bound, values */
  params: { t: PgT; value?: Const }[];
  /** session state */
  session: SessionState;
  /** a constant Postgres converted earlier (key = constKey), or undefined */
  constant(t: PgT, text: string): Const | undefined;
  /** records a constant Postgres must convert; the translation is repeated once it is known */
  needConstant(t: PgT, text: string): void;
  /** prepare-time check: parameters and transaction time are not known yet */
  dry: boolean;
  /** time zone names DuckDB's ICU knows, lower case → DuckDB spelling */
  zones?: ReadonlyMap<string, string>;
}

/**
 * ascii: only ASCII letters change (LC_CTYPE C/POSIX, builtin C); libc: a UTF-8 libc ctype, whose tables DuckDB
 * shares (but for ß); unicode: ICU or a builtin Unicode locale, whose mapping of non-ASCII letters (and ICU's word
 * breaks) the mirror does not repeat, so such values are refused; mixed: the statement reads a text column with
 * a collation of its own that maps case differently, so case mapping is refused.
 */
export type CaseRules = 'ascii' | 'libc' | 'unicode' | 'mixed';

export interface SessionState {
  /** TimeZone as Postgres reports it; null when DuckDB's ICU does not know the zone */
  timeZone: string | null;
  /** DateStyle output style, e.g. 'ISO' */
  dateStyle: string;
  /** transaction start (now()), µs since 1970; null at prepare time */
  now: bigint | null;
  /** database collation sorts text by code point (C, POSIX, C.UTF-8): text ordering matches DuckDB's */
  codePointCollation: boolean;
  /** how lower()/upper()/initcap(), ILIKE and ~* change letters under the collation in use */
  caseRules: CaseRules;
  /** a Turkish/Azeri ctype or collation is in play: ASCII i/I may change case outside ASCII (relation-info.ts) */
  turkicCase: boolean;
  /** session user / current user (for CURRENT_USER etc.) */
  user: string;
  database: string;
}

export const constKey = (t: PgT, text: string) => `${t.n}${t.arr ? '[]' : ''}\u0000${text}`;
