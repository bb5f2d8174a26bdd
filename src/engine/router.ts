// The engine as the wire session sees it (route/local.ts): a byte precheck on mirror names, the classifier's
// verdict, and prepared mirror queries. lakegate's own `SHOW lakegate.*` is answered by the BuiltinRouter.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { BuiltinRouter } from '../route/builtin.js';
import { createMirrorCatalog, effectiveSearchPath, parseSearchPath, type MirrorCatalog, type MirrorRef } from '../route/catalog.js';
import { classify, mirrorReferences, type Classification } from '../route/classify.js';
import { loadParser, parseSql } from '../route/parser.js';
import { PgError, type LocalQuery, type LocalRouter, type PrepareOptions, type Script, type SessionInfo } from '../route/local.js';
import { Precheck } from '../route/precheck.js';
import type { StatementInfo } from '../route/statement.js';
import { abortTransaction, abortingQuery } from './abort-on-error.js';
import { dropMirrorQuery, dropOptions, type DropTarget } from './drop-mirror.js';
import { installFunctions } from './duck-functions.js';
import { connectionPool, type ConnectionPool } from './duckdb.js';
import { pgErrorOf } from './errors.js';
import { cursorCommand, cursorCommandQuery, declareCursor, declaredQueryText } from './cursor.js';
import { awaitMirror, registryState } from './mirror-readiness.js';
import type { MirrorSource } from './mirror-source.js';
import { NewMirrors } from './new-mirrors.js';
import { EngineQuery, MirrorUnavailable, type EngineCore } from './query.js';
import { regclassText } from './relation-info.js';
import { FEATURE_NOT_SUPPORTED } from './translate/errors.js';
import { upstreamStatement } from './upstream-statement.js';

type Obj = Record<string, unknown>;

/** how long a mirror dropped through lakegate is hidden while the table layer still lists it */
const DROPPED_TTL_MS = 60_000;

/** A DROP TABLE statement that names at least one mirror. */
interface DropOfMirror {
  st: StatementInfo;
  targets: DropTarget[];
  /** other statements in the same query string */
  alone: boolean;
}

export interface EngineOptions {
  /** the process' DuckDB (src/engine/duckdb.ts openDuckDB) */
  duckdb: { instance: DuckDBInstance; connect(): Promise<DuckDBConnection>; pool?: ConnectionPool };
  mirrors: MirrorSource;
  /** most rows copied from an ordinary table joined with a mirror (default 1,000,000) */
  maxFetchRows?: number;
  /** how long a query waits for mirrors to catch up with upstream's WAL position (default 10 s; 0 = no wait) */
  freshnessTimeoutMs?: number;
  /** how long a query on a mirror whose initial copy is still running waits for it (default 30 s) */
  readyTimeoutMs?: number;
}

export class EngineRouter implements LocalRouter {
  private readonly builtin = new BuiltinRouter();
  private readonly pre = new Precheck(['lakegate']);
  private catalog: MirrorCatalog = createMirrorCatalog<MirrorRef>([]);
  /** mirrors created through lakegate that the table layer does not serve yet */
  private readonly created = new NewMirrors();
  /** mirrors dropped through lakegate (committed) that the table layer still lists: no longer mirrors */
  private readonly dropped = new Map<string, number>();
  private signature = '';
  /** The mirror list may have changed since the last refresh (set again by a one-second timer after each). */
  private stale = true;
  private temps = 0;

  private constructor(
    private readonly core: EngineCore,
    private readonly readyTimeoutMs: number,
  ) {
    this.refresh();
  }

  static async create(o: EngineOptions): Promise<EngineRouter> {
    await loadParser();
    const c = await o.duckdb.connect();
    const zones = new Map<string, string>();
    try {
      // openDuckDB loaded icu already; after lockDown a LOAD of an unloaded extension would be refused
      await c.run('LOAD icu').catch(() => undefined);
      await installFunctions(c, o.duckdb.instance);
      const r = await c.runAndReadAll('SELECT name FROM pg_timezone_names()');
      for (const [name] of r.getRows()) zones.set(String(name).toLowerCase(), String(name));
    } finally {
      c.closeSync();
    }
    let router: EngineRouter | null = null;
    const core: EngineCore = {
      pool: o.duckdb.pool ?? connectionPool(() => o.duckdb.connect()),
      mirrors: o.mirrors,
      zones,
      maxFetchRows: o.maxFetchRows ?? 1_000_000,
      freshnessTimeoutMs: o.freshnessTimeoutMs ?? 10_000,
      nextTemp: () => `lg_pg_${++router!.temps}`,
      typeCache: new Map(),
      choices: new Map(),
      earlyKept: { rate: 1 },
    };
    router = new EngineRouter(core, o.readyTimeoutMs ?? 30_000);
    return router;
  }

  /** Re-reads the mirror list (precheck words and name resolution); cheap when nothing changed. */
  refresh(): void {
    const listed = this.core.mirrors.mirrors();
    const now = Date.now();
    for (const [k, at] of this.dropped) {
      if (now - at > DROPPED_TTL_MS || !listed.some((m) => `${m.schema}.${m.name}` === k)) this.dropped.delete(k);
    }
    const list = this.dropped.size === 0 ? listed : listed.filter((m) => !this.dropped.has(`${m.schema}.${m.name}`));
    this.created.prune(list);
    const fresh = this.created.names();
    const sig = list.map((m) => `${m.schema}.${m.name}`).join('\n') + '\n\n' + fresh.join('\n');
    if (sig === this.signature) return;
    this.signature = sig;
    const live = createMirrorCatalog(list);
    this.catalog = fresh.length === 0 ? live : {
      resolve: (schema, name, path) => live.resolve(schema, name, path) ?? this.created.resolve(schema, name, path),
    };
    // `mooncake`: create_table calls are looked at on their way upstream (new-mirrors.ts)
    this.pre.set(['lakegate', 'mooncake', ...list.map((m) => m.name), ...fresh]);
  }

  mayBeLocal(buf: Buffer, start: number, end: number): boolean {
    // on every Query/Parse: the mirror list is re-read at most once a second; a timer instead of a clock
    // read per statement (the clock is a measurable part of a passthrough statement's cost)
    if (this.stale) {
      this.stale = false;
      this.refresh();
      setTimeout(() => (this.stale = true), 1000).unref();
    }
    return this.pre.test(buf, start, end);
  }

  private classify(sql: string, s: SessionInfo): Classification {
    this.refresh();
    const raw = s.params.get('search_path');
    const searchPath = (raw !== undefined ? parseSearchPath(raw) : null) ?? ['$user', 'public'];
    return classify(sql, { catalog: this.catalog, searchPath, oracle: s.oracle, user: s.user });
  }

  claims(sql: string, s: SessionInfo): boolean {
    if (this.builtin.claims(sql, s)) return true;
    if (cursorCommand(sql, s)) return true;
    const c = this.classify(sql, s);
    if (c.route !== 'upstream') return true;
    if (c.reason === 'drop-mirror' && this.dropOfMirror(sql, s)) return true;
    if (c.reason === 'control-plane' || c.reason === 'drop-mirror') this.observe(sql, s);
    return false;
  }

  /**
   * A claimed simple Query string of several statements (classify allows only reads and session statements
   * beside mirror queries). Postgres runs such a string in one implicit transaction; lakegate opens a
   * transaction block for it when the client is outside one, so its statements share now(), and an error
   * rolls back its SETs. Transaction control inside the string is accepted where that block and Postgres'
   * agree: a leading BEGIN (no block of lakegate's then), and a trailing COMMIT/ROLLBACK.
   */
  script(sql: string, s: SessionInfo): Script | null {
    const c = this.classify(sql, s);
    if (c.route !== 'engine' || c.statements.length < 2) return null;
    if (s.oracle) throw new PgError(FEATURE_NOT_SUPPORTED, 'mirror queries in Oracle compatibility mode are not supported on lakegate mirrors');
    const last = c.statements.length - 1;
    const kindOf = (i: number) => {
      const st = c.statements[i]!;
      if (st.queryType !== 'TransactionStmt') return null;
      const t = (st.stmt as unknown as Record<string, { kind?: string; chain?: boolean }>).TransactionStmt!;
      return t.chain ? 'chain' : (t.kind ?? '');
    };
    const opensAt0 = s.txStatus === 'I' && (kindOf(0) === 'TRANS_STMT_BEGIN' || kindOf(0) === 'TRANS_STMT_START');
    for (let i = 0; i <= last; i++) {
      const k = kindOf(i);
      if (k === null || (i === 0 && opensAt0)) continue;
      const ends = k === 'TRANS_STMT_COMMIT' || k === 'TRANS_STMT_ROLLBACK';
      if (i === last && ends && (s.txStatus !== 'I' || opensAt0)) continue;
      throw new PgError(
        FEATURE_NOT_SUPPORTED,
        `${c.statements[i]!.text.trim().split(/\s+/)[0]!.toUpperCase()} at this place in a query string with a mirror query is not supported on lakegate mirrors; send it as a query of its own`,
      );
    }
    const statements = c.statements.map((st) => ({ text: st.text, offset: [...sql.slice(0, st.start)].length }));
    return { statements, wrap: s.txStatus === 'I' && !opensAt0 };
  }

  /** A create_table call on its way upstream: its mirror is a mirror from now on (new-mirrors.ts). */
  private observe(sql: string, s: SessionInfo): void {
    const parsed = parseSql(sql, s.oracle);
    if (!parsed.ok) return;
    let noted = false;
    for (const st of parsed.statements) if (this.created.observe(st)) noted = true;
    if (noted) this.refresh();
  }

  /** DROP TABLE naming a mirror (DROP VIEW of one goes upstream: the control plane's trigger handles it). */
  private dropOfMirror(sql: string, s: SessionInfo): DropOfMirror | null {
    // Oracle-mode sessions keep IvorySQL's own answer (the rewrite is PL/pgSQL); CALL mooncake.drop_table works there
    if (s.oracle) return null;
    const parsed = parseSql(sql, s.oracle);
    if (!parsed.ok) return null;
    const raw = s.params.get('search_path');
    const path = effectiveSearchPath((raw !== undefined ? parseSearchPath(raw) : null) ?? ['$user', 'public'], { oracle: s.oracle, user: s.user });
    for (const st of parsed.statements) {
      if (st.queryType !== 'DropStmt' || st.explain) continue;
      if (((st.stmt as Obj).DropStmt as Obj).removeType !== 'OBJECT_TABLE') continue;
      const targets = st.drops.map((d) => ({ written: d, mirror: this.catalog.resolve(d.schema, d.name, path) }));
      if (targets.some((t) => t.mirror)) return { st, targets, alone: parsed.statements.length === 1 };
    }
    return null;
  }

  async prepare(sql: string, paramTypes: number[], s: SessionInfo, options: PrepareOptions = {}): Promise<LocalQuery> {
    if (this.builtin.claims(sql, s)) return this.builtin.prepare(sql, paramTypes, s);
    try {
      const cmd = cursorCommand(sql, s);
      if (cmd) return abortingQuery(cursorCommandQuery(cmd, s), s);
      return abortingQuery(await this.prepareClaimed(sql, paramTypes, s, options), s);
    } catch (e) {
      const err = pgErrorOf(e);
      await abortTransaction(s, err);
      throw err;
    }
  }

  private async prepareClaimed(sql: string, paramTypes: number[], s: SessionInfo, options: PrepareOptions, retry = true): Promise<LocalQuery> {
    let c = this.classify(sql, s);
    if (c.route === 'reject') throw new PgError(c.sqlstate, c.message);
    if (c.route === 'upstream') {
      const drop = c.reason === 'drop-mirror' ? this.dropOfMirror(sql, s) : null;
      if (drop) return this.prepareDrop(drop, s);
      throw new PgError('XX000', 'lakegate: statement is not for the engine');
    }
    if (c.statements.length !== 1) {
      // a simple Query of several statements runs as a script (script()); Parse takes one statement
      if (options.bindAtOnce) throw new PgError('XX000', 'lakegate: a query string of several statements reached prepare');
      throw new PgError('42601', 'cannot insert multiple commands into a prepared statement');
    }
    if (s.oracle) throw new PgError(FEATURE_NOT_SUPPORTED, 'mirror queries in Oracle compatibility mode are not supported on lakegate mirrors');
    // the parser reads string literals with standard_conforming_strings on; results are sent as UTF-8
    if ((s.params.get('standard_conforming_strings') ?? 'on').toLowerCase() === 'off') {
      throw new PgError(FEATURE_NOT_SUPPORTED, 'standard_conforming_strings = off is not supported on lakegate mirrors');
    }
    const enc = (s.params.get('client_encoding') ?? 'UTF8').toUpperCase().replace(/[-_]/g, '');
    if (enc !== 'UTF8' && enc !== 'UNICODE') {
      throw new PgError(FEATURE_NOT_SUPPORTED, `client_encoding ${s.params.get('client_encoding')} is not supported on lakegate mirrors (use UTF8)`);
    }
    // a mirror created a moment ago: wait for its initial copy, then resolve the names again
    let waited = false;
    for (const ref of mirrorReferences(c)) {
      if (this.core.mirrors.relationSql(ref.mirror) !== null) continue;
      if (!(await this.awaitServed(ref.schema, ref.name, s))) return this.postgresAnswers(sql, paramTypes, s);
      waited = true;
    }
    if (waited) {
      this.refresh();
      c = this.classify(sql, s);
      if (c.route !== 'engine') return this.prepareClaimed(sql, paramTypes, s, options, false);
    }
    try {
      const st = c.statements[0]!;
      if (st.queryType === 'DeclareCursorStmt') {
        // DECLARE … CURSOR FOR <query on a mirror>: the query is prepared from its own text
        const decl = (st.stmt as unknown as Record<string, Record<string, unknown>>).DeclareCursorStmt!;
        const text = declaredQueryText(sql, decl, s.oracle);
        if (text === null) throw new PgError(FEATURE_NOT_SUPPORTED, 'this DECLARE … CURSOR is not supported on lakegate mirrors');
        const inner = await EngineQuery.prepare(this.core, this.catalog, { ...st, stmt: decl.query as typeof st.stmt, queryType: 'SelectStmt' }, text, [], s);
        return declareCursor(decl, s, inner);
      }
      return await EngineQuery.prepare(this.core, this.catalog, st, sql, paramTypes, s, options);
    } catch (e) {
      if (!(e instanceof MirrorUnavailable)) throw e;
      // dropped (or its name reused) since it was resolved, or not served after all
      if (!(await this.awaitServed(e.ref.schema, e.ref.name, s)) || !retry) return this.postgresAnswers(sql, paramTypes, s);
      this.refresh();
      return this.prepareClaimed(sql, paramTypes, s, options, false);
    }
  }

  /**
   * Waits until the table layer serves the mirror the name stands for (mirror-readiness.ts); false when the
   * registry says it is no mirror (or there is no such relation), so Postgres should answer.
   */
  private async awaitServed(schema: string | null, name: string, s: SessionInfo): Promise<boolean> {
    const st = await awaitMirror(s.upstream, this.core.mirrors, regclassText(schema, name), s.txStatus !== 'I', this.readyTimeoutMs);
    if (st.kind === 'mirror') return true;
    this.created.forget(name);
    this.refresh();
    return false;
  }

  /** The catalog took an ordinary relation for a mirror (its name was just reused): Postgres answers. */
  private async postgresAnswers(sql: string, paramTypes: number[], s: SessionInfo): Promise<LocalQuery> {
    const d = await s.upstream.describe(sql, paramTypes);
    return upstreamStatement({ paramTypes: d.paramTypes, fields: d.fields, run: (params) => s.upstream.query(sql, params) });
  }

  private async prepareDrop(drop: DropOfMirror, s: SessionInfo): Promise<LocalQuery> {
    if (!drop.alone) {
      throw new PgError(FEATURE_NOT_SUPPORTED, 'DROP TABLE of a mirror cannot be combined with other statements in one query string; send it on its own');
    }
    const targets: DropTarget[] = [];
    for (const t of drop.targets) {
      if (t.mirror && this.core.mirrors.relationSql(t.mirror) === null) {
        // noted at create_table but not served yet: only the registry knows whether it is a mirror
        const st = await registryState(s.upstream, regclassText(t.written.schema, t.written.name));
        if (st.kind !== 'mirror') {
          targets.push({ written: t.written, mirror: null });
          continue;
        }
      }
      targets.push(t);
    }
    return dropMirrorQuery(s.upstream, targets, dropOptions((drop.st.stmt as Obj).DropStmt as Obj), () => {
      // committed (no transaction block): the names stop being mirrors now, not when the table layer notices
      if (s.txStatus !== 'I') return;
      for (const t of targets) if (t.mirror) this.dropped.set(`${t.mirror.schema}.${t.mirror.name}`, Date.now());
      this.refresh();
    });
  }
}
