// The routing decision: does this SQL string touch a mirror, and if so can the engine answer it?
// Called by the wire session after its byte-level precheck fired. Synchronous; await loadParser() once.
import type { Node, ParseResult } from 'libpg-query';
import {
  CONTROL_SCHEMA,
  DEFAULT_SEARCH_PATH,
  effectiveSearchPath,
  isCatalogRelation,
  type MirrorCatalog,
  type MirrorRef,
} from './catalog.js';
import { parseSql } from './parser.js';
import type { RelationUse } from './relations.js';
import type { Access, QualifiedName, StatementInfo } from './statement.js';

export interface ClassifyContext<M extends MirrorRef = MirrorRef> {
  catalog: MirrorCatalog<M>;
  /** the session's search_path as a list of schema names (may contain '$user') */
  searchPath: readonly string[];
  /** IvorySQL Oracle-mode session (ivorysql.md): Oracle identifier rules, Oracle-only syntax goes upstream */
  oracle: boolean;
  /** session user, for '$user' in the search path */
  user?: string;
}

export type UpstreamReason =
  | 'empty' // nothing but comments / semicolons
  | 'unparseable' // the PG grammar rejects it; upstream gives the real error
  | 'oracle-syntax' // Oracle-mode SQL the PG grammar rejects or misreads (:name binds, q'[…]')
  | 'no-mirror'
  | 'catalog' // reads pg_catalog / information_schema
  | 'control-plane' // mooncake.* relations or CALL mooncake.*
  | 'session' // BEGIN/COMMIT/SET/SHOW only
  | 'definition' // CREATE VIEW / FUNCTION over a mirror: stored, not run
  | 'drop-mirror'; // DROP of a mirror: upstream's event trigger handles it

/** One mirror reference in the SQL; `start`/`end` cover the (qualified) name, the alias follows. */
export interface MirrorReference<M extends MirrorRef = MirrorRef> {
  mirror: M;
  /** schema as written (null when unqualified), folded */
  schema: string | null;
  name: string;
  alias: string | null;
  /** what column references qualify with: the alias, else the relation name */
  refName: string;
  only: boolean;
  /** UTF-16 span of the name in the original SQL (-1 if unknown); subtract the statement's start for
   *  a position inside `text` */
  start: number;
  end: number;
}

export interface RoutedStatement<M extends MirrorRef = MirrorRef> {
  index: number;
  /** engine: reads mirrors; upstream: forward (reads of ordinary tables, BEGIN/COMMIT/SET/SHOW) */
  route: 'engine' | 'upstream';
  nodeType: string;
  queryType: string;
  access: Access;
  /** the statement's original text and its UTF-16 span in the full SQL */
  text: string;
  start: number;
  end: number;
  /** text the parser saw (Oracle mode: quoted identifiers case-interchanged; same length as `text`) */
  parsedText: string;
  /** parsed statement node, read-only */
  stmt: Node;
  explain: { analyze: boolean } | null;
  /** COPY … TO STDOUT of a mirror or a query over one */
  copyTo: boolean;
  mirrors: MirrorReference<M>[];
  /** ordinary relations the statement reads besides mirrors (a mixed join needs them from upstream) */
  others: QualifiedName[];
}

export type Classification<M extends MirrorRef = MirrorRef> =
  | { route: 'upstream'; reason: UpstreamReason; detail?: string; droppedMirrors: M[] }
  | { route: 'engine'; statements: RoutedStatement<M>[]; mirrors: M[]; explain: boolean; ast: ParseResult }
  | { route: 'reject'; sqlstate: string; message: string; statement: number };

type Decision<M extends MirrorRef> =
  | { route: 'engine'; mirrors: MirrorReference<M>[]; others: QualifiedName[] }
  | { route: 'upstream'; reason: UpstreamReason; dropped: M[]; others: QualifiedName[] }
  | { route: 'reject'; message: string; others?: undefined };

const FEATURE_NOT_SUPPORTED = '0A000';

export function classify<M extends MirrorRef>(sql: string, ctx: ClassifyContext<M>): Classification<M> {
  if (!/\S/.test(sql)) return { route: 'upstream', reason: 'empty', droppedMirrors: [] }; // libpg_query throws on ''
  const parsed = parseSql(sql, ctx.oracle);
  if (!parsed.ok) return { route: 'upstream', reason: parsed.reason, detail: parsed.detail, droppedMirrors: [] };
  if (parsed.statements.length === 0) return { route: 'upstream', reason: 'empty', droppedMirrors: [] };

  let path = effectiveSearchPath(ctx.searchPath, ctx);
  const decisions: Decision<M>[] = [];
  for (const st of parsed.statements) {
    const d = decide(st, ctx.catalog, path);
    if (d.route === 'reject') {
      return { route: 'reject', sqlstate: FEATURE_NOT_SUPPORTED, message: d.message, statement: decisions.length };
    }
    decisions.push(d);
    // later statements of the same string resolve names with the new path
    if (st.searchPath) path = effectiveSearchPath(st.searchPath === 'default' ? DEFAULT_SEARCH_PATH : st.searchPath, ctx);
  }

  const statements = parsed.statements;
  const engine = decisions.flatMap((d, i) => (d.route === 'engine' ? [i] : []));
  if (engine.length === 0) return upstreamOf(decisions);

  if (statements.length > 1) {
    // Mirror reads are answered outside the upstream transaction, so they could not see a write made
    // earlier in the same implicit transaction, and a later failure could not roll back what the
    // client already received. Only harmless neighbours are allowed.
    const bad = statements.findIndex((s) => s.access !== 'read' && s.access !== 'session');
    if (bad >= 0) {
      const first = decisions[engine[0]!] as Extract<Decision<M>, { route: 'engine' }>;
      return {
        route: 'reject',
        sqlstate: FEATURE_NOT_SUPPORTED,
        statement: bad,
        message:
          `cannot mix ${statements[bad]!.command} with a query on mirror ${quoteName(first.mirrors[0]!.mirror)} ` +
          'in one query string; send them as separate queries',
      };
    }
  }

  const routed: RoutedStatement<M>[] = statements.map((s, i) => {
    const d = decisions[i]!;
    return {
      index: i,
      route: d.route === 'engine' ? 'engine' : 'upstream',
      nodeType: s.nodeType,
      queryType: s.queryType,
      access: s.access,
      text: sql.slice(s.start, s.end),
      start: s.start,
      end: s.end,
      parsedText: parsed.parsedText.slice(s.start, s.end),
      stmt: s.stmt,
      explain: s.explain,
      copyTo: s.copy !== null && !s.copy.from,
      mirrors: d.route === 'engine' ? d.mirrors : [],
      others: d.others ?? [],
    };
  });
  const mirrors = [...new Set(routed.flatMap((r) => r.mirrors.map((m) => m.mirror)))];
  return { route: 'engine', statements: routed, mirrors, explain: routed.some((r) => r.explain !== null), ast: parsed.ast };
}

/** All mirror references of an engine-routed classification, in statement and text order. */
export function mirrorReferences<M extends MirrorRef>(
  c: Extract<Classification<M>, { route: 'engine' }>,
): Array<MirrorReference<M> & { statement: number }> {
  return c.statements.flatMap((s) => s.mirrors.map((m) => ({ ...m, statement: s.index })));
}

function decide<M extends MirrorRef>(st: StatementInfo, catalog: MirrorCatalog<M>, path: readonly string[]): Decision<M> {
  const mirrors: MirrorReference<M>[] = [];
  const others: QualifiedName[] = [];
  let catalogRead = false;
  let controlRead = st.controlCall;
  for (const u of st.uses) {
    if (u.usage === 'create') continue; // a new name; PG reports any clash itself
    const m = catalog.resolve(u.schema, u.name, path);
    if (!m) {
      if (u.usage !== 'read') continue;
      if (isCatalogRelation(u.schema, u.name)) catalogRead = true;
      else if (u.schema === CONTROL_SCHEMA) controlRead = true;
      others.push({ schema: u.schema, name: u.name });
      continue;
    }
    switch (u.usage) {
      case 'write':
        return reject(`${st.command} cannot modify mirror ${quoteName(m)}: mirrors are read-only copies kept by replication; change the source table instead`);
      case 'ddl':
        return reject(`${st.command} on mirror ${quoteName(m)} is not supported: a mirror follows its source table`);
      case 'meta':
        continue;
      case 'read':
        if (u.locked) return reject(`cannot lock rows of mirror ${quoteName(m)} (FOR UPDATE/SHARE): mirrors are read-only`);
        mirrors.push(reference(u, m));
    }
  }
  const dropped = st.drops.flatMap((d) => {
    const m = catalog.resolve(d.schema, d.name, path);
    return m ? [m] : [];
  });

  if (mirrors.length === 0) {
    const reason: UpstreamReason =
      dropped.length > 0 ? 'drop-mirror'
      : controlRead ? 'control-plane'
      : catalogRead ? 'catalog'
      : st.access === 'session' ? 'session'
      : 'no-mirror';
    return { route: 'upstream', reason, dropped, others };
  }
  const first = quoteName(mirrors[0]!.mirror);
  // the engine cannot lock rows, neither of the mirror nor of an upstream table joined to it
  if (st.locking) return reject(`FOR UPDATE/SHARE cannot be used in a query on mirror ${first}`);
  switch (st.access) {
    case 'read':
      if (st.copy && !st.copy.stdio) return reject(`COPY of mirror ${first} to a server file or program is not supported; use COPY … TO STDOUT`);
      if (controlRead) return { route: 'upstream', reason: 'control-plane', dropped, others };
      if (catalogRead) return { route: 'upstream', reason: 'catalog', dropped, others };
      return { route: 'engine', mirrors, others };
    case 'definition':
      return { route: 'upstream', reason: 'definition', dropped, others };
    case 'write':
      return reject(`${st.command} cannot read mirror ${first}: mirrors serve read-only queries; run the query on its own`);
    default:
      return reject(`${st.command} over mirror ${first} is not supported`);
  }
}

function reference<M extends MirrorRef>(u: RelationUse, m: M): MirrorReference<M> {
  return { mirror: m, schema: u.schema, name: u.name, alias: u.alias, refName: u.alias ?? u.name, only: u.only, start: u.start, end: u.end };
}

function reject(message: string): { route: 'reject'; message: string } {
  return { route: 'reject', message };
}

function upstreamOf<M extends MirrorRef>(decisions: Decision<M>[]): Classification<M> {
  const ups = decisions as Array<Extract<Decision<M>, { route: 'upstream' }>>;
  const droppedMirrors = [...new Set(ups.flatMap((d) => d.dropped))];
  // the most telling reason of any statement
  const order: UpstreamReason[] = ['drop-mirror', 'definition', 'control-plane', 'catalog', 'no-mirror', 'session'];
  const reason = order.find((r) => ups.some((d) => d.reason === r)) ?? 'no-mirror';
  return { route: 'upstream', reason, droppedMirrors };
}

function quoteName(m: MirrorRef): string {
  return `"${m.schema}.${m.name}"`;
}
