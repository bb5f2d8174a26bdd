// The engine as the wire session sees it (route/local.ts): a byte precheck on mirror names, the classifier's
// verdict, and prepared mirror queries. lakegate's own `SHOW lakegate.*` is answered by the BuiltinRouter.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { BuiltinRouter } from '../route/builtin.js';
import { createMirrorCatalog, parseSearchPath, type MirrorCatalog, type MirrorRef } from '../route/catalog.js';
import { classify, type Classification } from '../route/classify.js';
import { loadParser } from '../route/parser.js';
import { PgError, type LocalQuery, type LocalRouter, type SessionInfo } from '../route/local.js';
import { Precheck } from '../route/precheck.js';
import { installFunctions } from './duck-functions.js';
import type { MirrorSource } from './mirror-source.js';
import { EngineQuery, type EngineCore } from './query.js';
import { FEATURE_NOT_SUPPORTED } from './translate/errors.js';

export interface EngineOptions {
  /** the process' DuckDB (src/engine/duckdb.ts openDuckDB) */
  duckdb: { instance: DuckDBInstance; connect(): Promise<DuckDBConnection> };
  mirrors: MirrorSource;
  /** most rows copied from an ordinary table joined with a mirror (default 1,000,000) */
  maxFetchRows?: number;
  /** how long a query waits for mirrors to catch up with upstream's WAL position (default 10 s; 0 = no wait) */
  freshnessTimeoutMs?: number;
}

export class EngineRouter implements LocalRouter {
  private readonly builtin = new BuiltinRouter();
  private readonly pre = new Precheck(['lakegate']);
  private catalog: MirrorCatalog = createMirrorCatalog<MirrorRef>([]);
  private signature = '';
  private refreshedAt = 0;
  private temps = 0;

  private constructor(private readonly core: EngineCore) {
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
      connect: () => o.duckdb.connect(),
      mirrors: o.mirrors,
      zones,
      maxFetchRows: o.maxFetchRows ?? 1_000_000,
      freshnessTimeoutMs: o.freshnessTimeoutMs ?? 10_000,
      nextTemp: () => `lg_pg_${++router!.temps}`,
    };
    router = new EngineRouter(core);
    return router;
  }

  /** Re-reads the mirror list (precheck words and name resolution); cheap when nothing changed. */
  refresh(): void {
    const list = this.core.mirrors.mirrors();
    const sig = list.map((m) => `${m.schema}.${m.name}`).join('\n');
    if (sig === this.signature) return;
    this.signature = sig;
    this.catalog = createMirrorCatalog(list);
    this.pre.set(['lakegate', ...list.map((m) => m.name)]);
  }

  mayBeLocal(buf: Buffer, start: number, end: number): boolean {
    // on every Query/Parse: the mirror list is re-read at most once a second
    const now = Date.now();
    if (now - this.refreshedAt > 1000) {
      this.refreshedAt = now;
      this.refresh();
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
    return this.classify(sql, s).route !== 'upstream';
  }

  async prepare(sql: string, paramTypes: number[], s: SessionInfo): Promise<LocalQuery> {
    if (this.builtin.claims(sql, s)) return this.builtin.prepare(sql, paramTypes, s);
    const c = this.classify(sql, s);
    if (c.route === 'reject') throw new PgError(c.sqlstate, c.message);
    if (c.route === 'upstream') throw new PgError('XX000', 'lakegate: statement is not for the engine');
    if (c.statements.length !== 1) {
      throw new PgError(FEATURE_NOT_SUPPORTED, 'several statements in one query string with a mirror are not supported on lakegate mirrors; send them one at a time');
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
    return EngineQuery.prepare(this.core, this.catalog, c.statements[0]!, sql, paramTypes, s);
  }
}
