// Columns of the relations a statement reads (mirror views and ordinary tables), read from upstream's catalog in
// one round trip on the client's connection: names, types, typmods and collations, plus the database's own
// collation and ctype. The mirror view carries the source's columns (sql/002_mirrors.sql), so these are the
// types Postgres would compute with.
import { PgError } from '../route/local.js';
import { pgTextArray } from './pg-literal.js';
import { fromOid, type PgT } from './translate/pg-type.js';
import type { CaseRules } from './translate/context.js';
import type { QueryResult } from './upstream-channel.js';

export interface RelationColumns {
  /** pg_class.relkind ('v' for a mirror view) */
  relkind: string;
  columns: { name: string; t: PgT; typeOid: number; typmod: number; collation: string }[];
}

export interface RelationInfoResult {
  relations: (RelationColumns | null)[];
  /** database collation orders text by code point (C, POSIX, C.UTF-8, builtin C) */
  codePointCollation: boolean;
  /** how lower()/upper()/initcap() and case-insensitive matching change letters (translate/context.ts) */
  caseRules: CaseRules;
  /**
   * the database's LC_CTYPE or a column's collation is Turkish or Azeri, where ASCII i/I change case to and
   * from non-ASCII letters (elsewhere ASCII letters change case within ASCII, in every provider)
   */
  turkicCase: boolean;
}

const TURKIC = /^(tr|az)([_.@-]|$)/i;

/**
 * The case rules of a collation provider and locale (for libc: the ctype). libc's C/POSIX and the builtin C
 * locale change ASCII letters only; libc's UTF-8 ctypes share one set of tables (DuckDB's, but for ß); ICU and
 * the builtin Unicode locales map other letters their own ways (ß → SS, final sigma), and ICU's initcap finds
 * words its own way.
 */
function caseRulesOf(provider: string | null, locale: string | null): Exclude<CaseRules, 'mixed'> {
  if (provider === 'c') return locale === 'C' || locale === 'POSIX' ? 'ascii' : 'libc';
  if (provider === 'b' && locale === 'C') return 'ascii';
  return 'unicode';
}

/** `"schema"."name"` (or `"name"`) for to_regclass */
export function regclassText(schema: string | null, name: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return schema === null ? q(name) : `${q(schema)}.${q(name)}`;
}

// sql/009_case_rules.sql (as sql/006_reader.sql before it): the catalog join inside PL/pgSQL, whose plan the session keeps (planned as a plain
// statement it cost ~0.7 ms per mirror query)
const SQL = 'SELECT * FROM mooncake.relation_catalog($1::text[])';

const C_LOCALES = new Set(['C', 'POSIX', 'C.UTF-8', 'C.utf8', 'C.UTF8', 'ucs_basic']);

/** The query reading the columns of each relation (as regclassText names); readRelationInfo reads its answer. */
export function relationInfoQuery(names: string[]): { sql: string; params: string[] } {
  return { sql: SQL, params: [pgTextArray(names)] };
}

/** relationInfoQuery's answer: per name its columns, null for a relation that does not exist. */
export function readRelationInfo(res: QueryResult, names: string[]): RelationInfoResult {
  const relations: (RelationColumns | null)[] = names.map(() => null);
  let codePointCollation = true;
  let caseRules: CaseRules = 'libc';
  let turkicCase = false;
  /** the case rules of text columns with a collation of their own */
  const columnRules = new Set<string>();
  for (const row of res.rows) {
    const [idx, attname, typid, typmod, coll, datcollate, datctype, provider, relkind, collProvider, collLocale, dbLocale] = row;
    const dbC = provider === 'b' || (provider === 'c' && C_LOCALES.has(datcollate ?? ''));
    if (!dbC) codePointCollation = false;
    caseRules = caseRulesOf(provider ?? null, provider === 'c' ? (datctype ?? null) : (dbLocale ?? null));
    for (const l of [datctype, coll, provider === 'c' ? null : dbLocale, collLocale]) if (TURKIC.test(l ?? '')) turkicCase = true;
    if (coll) columnRules.add(caseRulesOf(collProvider ?? null, collLocale ?? null));
    const i = Number(idx) - 1;
    if (attname === null) continue;
    const r = (relations[i] ??= { relkind: relkind ?? '', columns: [] });
    const t = fromOid(Number(typid), Number(typmod));
    if (!t) {
      // a column of a type the engine does not model: usable only if the statement never reads it
      r.columns.push({ name: attname, t: { n: 'unknown', mod: -1, arr: false }, typeOid: Number(typid), typmod: Number(typmod), collation: coll ?? '' });
      continue;
    }
    r.columns.push({ name: attname, t, typeOid: Number(typid), typmod: Number(typmod), collation: coll ?? '' });
  }
  // a text column with its own non-C collation compares its own way
  for (const r of relations) {
    for (const c of r?.columns ?? []) {
      if (c.collation && !C_LOCALES.has(c.collation) && (c.t.n === 'text' || c.t.n === 'varchar' || c.t.n === 'bpchar')) codePointCollation = false;
    }
  }
  if (res.rows.length === 0) throw new PgError('XX000', 'lakegate: could not read the database catalog');
  // a column whose collation changes case otherwise than the database's default: which one an expression
  // uses is not followed, so case mapping is refused for the statement
  if ([...columnRules].some((r) => r !== caseRules)) caseRules = 'mixed';
  return { relations, codePointCollation, caseRules, turkicCase };
}
