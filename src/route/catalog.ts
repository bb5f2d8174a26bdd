// Which relation a name means. The caller owns the list of mirrors (src/control); this file holds the
// interface, a ready Map-backed implementation, and Postgres' search_path rules.

/** A mirror as the caller knows it; callers may extend it (id, source table, Iceberg location …). */
export interface MirrorRef {
  schema: string;
  name: string;
}

export interface MirrorCatalog<M extends MirrorRef = MirrorRef> {
  /**
   * The mirror a relation name refers to, or null. `schema` is null for an unqualified name, which
   * resolves through `searchPath` (already effective: `$user` expanded, implicit pg_catalog / sys
   * included). Names are already case-folded. A catalog that also knows ordinary relations should
   * return null when one of them shadows the mirror earlier in the path.
   */
  resolve(schema: string | null, name: string, searchPath: readonly string[]): M | null;
}

/** A MirrorCatalog over a fixed list (tests, or a snapshot of the control-plane registry). */
export function createMirrorCatalog<M extends MirrorRef>(mirrors: Iterable<M>): MirrorCatalog<M> {
  const bySchema = new Map<string, Map<string, M>>();
  for (const m of mirrors) {
    let names = bySchema.get(m.schema);
    if (!names) bySchema.set(m.schema, (names = new Map()));
    names.set(m.name, m);
  }
  return {
    resolve(schema, name, searchPath) {
      if (schema !== null) return bySchema.get(schema)?.get(name) ?? null;
      for (const s of searchPath) {
        const m = bySchema.get(s)?.get(name);
        if (m) return m;
      }
      return null;
    },
  };
}

/**
 * The schemas Postgres actually searches for an unqualified relation name: pg_catalog first unless
 * listed explicitly (namespace.c), IvorySQL's `sys` before it in Oracle mode (ivorysql.md §2), `$user`
 * replaced by the session user (dropped when unknown), duplicates removed. pg_temp is not modelled.
 */
export function effectiveSearchPath(searchPath: readonly string[], opts: { oracle: boolean; user?: string }): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  if (opts.oracle && !searchPath.includes('sys')) add('sys');
  if (!searchPath.includes('pg_catalog')) add('pg_catalog');
  for (const s of searchPath) {
    if (s === '$user') {
      if (opts.user) add(opts.user);
    } else add(s);
  }
  return out;
}

/**
 * Splits a search_path setting as Postgres reports it (ParameterStatus, SHOW) into schema names, like
 * SplitIdentifierString: `"$user", public, "My Schema"` → ['$user', 'public', 'My Schema']; unquoted
 * names fold to lower case. Returns null for malformed text.
 */
export function parseSearchPath(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const blank = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  blank();
  if (i === text.length) return out;
  for (;;) {
    blank();
    if (text[i] === '"') {
      let name = '';
      for (i++; ; i++) {
        if (i >= text.length) return null;
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        }
        name += text[i];
      }
      i++;
      out.push(name);
    } else {
      const start = i;
      while (i < text.length && text[i] !== ',' && !/\s/.test(text[i]!)) i++;
      if (i === start) return null;
      out.push(text.slice(start, i).toLowerCase());
    }
    blank();
    if (i === text.length) return out;
    if (text[i] !== ',') return null;
    i++;
  }
}

/** Postgres' default `search_path` (what RESET / SET … DEFAULT restore unless configured otherwise). */
export const DEFAULT_SEARCH_PATH: readonly string[] = ['$user', 'public'];

/** System catalogs: queries touching them always go upstream (catalog emulation is not our job). */
export function isCatalogRelation(schema: string | null, name: string): boolean {
  if (schema === null) return name.startsWith('pg_'); // pg_catalog is searched first; all its relations are pg_*
  return schema === 'pg_catalog' || schema === 'information_schema';
}

/** The pg_mooncake-style control plane is real SQL in upstream Postgres. */
export const CONTROL_SCHEMA = 'mooncake';
