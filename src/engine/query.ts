// One prepared mirror statement. Prepare asks Postgres for the statement's exact RowDescription and parameter
// types (Parse/Describe on the client's connection — this also reports every SQL error as Postgres would) and the
// columns of the relations it reads, then translates it once to refuse unsupported constructs early. Bind reads
// the execution context (now(), settings, privileges, WAL position), translates with the parameter values,
// copies any ordinary tables it joins, and hands a portal over the DuckDB result.
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBType } from '@duckdb/node-api';
import { BIGINT, DECIMAL, DOUBLE, DuckDBTypeId, INTEGER, SMALLINT } from '@duckdb/node-api';
import { effectiveSearchPath, type MirrorCatalog, type MirrorRef } from '../route/catalog.js';
import type { RoutedStatement } from '../route/classify.js';
import { PgError, type LocalPortal, type LocalQuery, type PrepareOptions, type SessionInfo } from '../route/local.js';
import type { FieldDescription } from '../wire/messages/backend.js';
import { pgErrorOf, STALE_CHOICE } from './errors.js';
import { checkTransaction, earlyAccess, recheckTransaction, earlyContextQuery, execContext, readEarlyContext, type EarlyContext, type ExecContext } from './exec-context.js';
import type { MirrorSource } from './mirror-source.js';
import { decodeParams, type BoundParam } from './params.js';
import { fetchPgTable } from './pg-fetch.js';
import { EnginePortal, type PortalPlan } from './portal.js';
import { smallResult } from './result-size.js';
import { copyOptions, copyQueryText, type CopyOptions } from './copy-out.js';
import { readRelationInfo, regclassText, relationInfoQuery, type RelationColumns } from './relation-info.js';
import { columnCodec, outputSettingsFrom, type ColumnCodec } from './results/index.js';
import { constKey, type MirrorRelation, type PgTableUse, type SessionState, type TranslateEnv, type CaseRules } from './translate/context.js';
import { NotSupported, notSupported } from './translate/errors.js';
import { str } from './translate/ex.js';
import { translateSelect, type Translation } from './translate/index.js';
import { localConst, type Const } from './translate/literal.js';
import type { ConnectionPool } from './duckdb.js';
import { duckType, fromOid, numericScale, oidOf, typeName, type PgT } from './translate/pg-type.js';
import type { Obj } from './translate/translator.js';

export interface EngineCore {
  /** reader connections: a query leases one and its portal releases it */
  pool: ConnectionPool;
  mirrors: MirrorSource;
  /** DuckDB's ICU zone names, lower case → DuckDB spelling */
  zones: Map<string, string>;
  maxFetchRows: number;
  freshnessTimeoutMs: number;
  nextTemp(): string;
  /** DuckDB column types of mirror relations (by relation SQL and column list) under MirrorSource.choiceSql's shape token */
  typeCache: Map<string, { shape: string; types: string[] }>;
  /** per MirrorSource.choiceSql: the view and shape it named last (a guess the query itself checks: fusedCheck) */
  choices: Map<string, ChosenView>;
  /** how often lately a simple Query's early snapshot would hold (moving average, 0..1) */
  earlyKept: { rate: number };
}

/** A mirror's columns changed between the first translation and the query's snapshot: bind again. */
class StaleTypes extends Error {}

/** A name the catalog took for a mirror is not served by the table layer, or no view in Postgres any more. */
export class MirrorUnavailable extends Error {
  constructor(readonly ref: MirrorRef) {
    super(`mirror "${ref.schema}.${ref.name}" is not available`);
  }
}

interface MirrorUse {
  ref: MirrorRef;
  sql: string;
  /** MirrorSource.choiceSql: names a cheaper relation equivalent to `sql` at the reader's snapshot (and a shape token) */
  choice: string | null;
  info: RelationColumns;
  /** MirrorSource.sourceOid */
  sourceOid: number | null;
}

interface OtherUse {
  schema: string | null;
  name: string;
  info: RelationColumns;
}

/** what the translator's env is built from */
interface EnvInput {
  dry: boolean;
  params: { t: PgT; value?: Const }[];
  stored: Map<string, string[]>;
  session: SessionState;
  constants: Map<string, Const>;
  /** per mirror key: the relation this bind reads instead of MirrorUse.sql */
  relations?: Map<string, string>;
  /** per mirror key: the columns an earlier pass found the statement reads (MirrorRelation.only) */
  only?: Map<string, Set<string>>;
}

export class EngineQuery implements LocalQuery {
  readonly paramTypes: number[];
  private readonly paramT: PgT[];
  /** PrepareOptions.bindAtOnce: what the first bind uses, read or begun while preparing */
  private early: Early | null = null;

  private constructor(
    private readonly core: EngineCore,
    private readonly session: SessionInfo,
    private readonly catalog: MirrorCatalog,
    private readonly query: unknown,
    private readonly explain: { analyze: boolean } | null,
    private readonly described: FieldDescription[],
    paramTypes: number[],
    private readonly mirrorUses: Map<string, MirrorUse>,
    private readonly otherUses: Map<string, OtherUse>,
    private readonly collation: { codePoint: boolean; caseRules: CaseRules; turkicCase: boolean },
    private readonly copy: CopyOptions | null = null,
  ) {
    this.paramTypes = paramTypes;
    this.paramT = paramTypes.map((o) => {
      const t = fromOid(o);
      if (!t) throw new NotSupported(`parameters of type OID ${o}`);
      return t;
    });
  }

  static async prepare(
    core: EngineCore,
    catalog: MirrorCatalog,
    stmt: RoutedStatement,
    sql: string,
    paramTypes: number[],
    session: SessionInfo,
    options: PrepareOptions = {},
  ): Promise<EngineQuery> {
    let query: unknown = stmt.stmt;
    let explain: { analyze: boolean } | null = null;
    let copy: CopyOptions | null = null;
    let describeSql = sql;
    if (stmt.copyTo) {
      const cs = (stmt.stmt as Obj).CopyStmt as Obj;
      copy = copyOptions(cs);
      if (cs.query) {
        query = cs.query;
        describeSql = copyQueryText(stmt.text) ?? notSupported('this COPY statement');
      } else {
        // COPY mirror [(cols)] TO STDOUT reads like SELECT cols FROM mirror
        const rv = cs.relation as Obj;
        const cols = ((cs.attlist as Obj[] | undefined) ?? []).map((a) => (a.String as Obj).sval as string);
        const target = (fields: Obj[]) => ({ ResTarget: { val: { ColumnRef: { fields } } } });
        query = {
          SelectStmt: {
            targetList: cols.length ? cols.map((c) => target([{ String: { sval: c } }])) : [target([{ A_Star: {} }])],
            fromClause: [{ RangeVar: rv }],
            op: 'SETOP_NONE',
            limitOption: 'LIMIT_OPTION_DEFAULT',
          },
        };
        const q = (x: string) => `"${x.replace(/"/g, '""')}"`;
        describeSql = `SELECT ${cols.length ? cols.map(q).join(', ') : '*'} FROM ${rv.schemaname ? q(rv.schemaname as string) + '.' : ''}${q(rv.relname as string)}`;
      }
    }
    if (stmt.explain) {
      const e = (stmt.stmt as Obj).ExplainStmt as Obj;
      for (const o of (e.options as Obj[] | undefined) ?? []) {
        const name = ((o.DefElem as Obj).defname as string).toLowerCase();
        if (name !== 'analyze') notSupported(`EXPLAIN option ${name.toUpperCase()}`);
      }
      query = e.query;
      explain = stmt.explain;
    }
    if (stmt.queryType !== 'SelectStmt' && !copy) notSupported(`${stmt.queryType.replace(/Stmt$/, '')} on mirrors`);
    const up = session.upstream;
    // Postgres checks the SQL and tells the result shape (never executed: the mirror view would refuse to run)
    // COPY (query): Postgres checks the statement itself; COPY mirror TO reads the mirror like its source table
    // (Postgres would refuse a COPY from the view), checked through the equivalent SELECT
    if (copy && describeSql !== sql && (stmt.stmt as Obj).CopyStmt && ((stmt.stmt as Obj).CopyStmt as Obj).query) await up.describe(sql, paramTypes);
    const names: string[] = [];
    const mirrorKeys: string[] = [];
    const seen = new Set<string>();
    for (const m of stmt.mirrors) {
      const k = `${m.mirror.schema}.${m.mirror.name}`;
      if (seen.has(k)) continue;
      seen.add(k);
      mirrorKeys.push(k);
      names.push(regclassText(m.mirror.schema, m.mirror.name));
    }
    const otherKeys: { schema: string | null; name: string }[] = [];
    const seenO = new Set<string>();
    for (const o of stmt.others) {
      const k = `${o.schema ?? ''}.${o.name}`;
      if (seenO.has(k)) continue;
      seenO.add(k);
      otherKeys.push(o);
      names.push(regclassText(o.schema, o.name));
    }
    // a simple Query: its DuckDB snapshot is begun while Postgres answers (kept or dropped below). A query that
    // can check views chosen before in its own DuckDB call (bindOn: guessChoices) begins it only while such
    // snapshots are being kept (no freshness wait needed): a dropped one is a DuckDB call for nothing.
    const refs = mirrorKeys.map((k) => stmt.mirrors.find((x) => `${x.mirror.schema}.${x.mirror.name}` === k)!.mirror);
    const guessable = !explain && !copy && smallResult(query) && refs.every((m) => core.choices.has(core.mirrors.choiceSql?.(m) ?? ''));
    const visible = core.mirrors.visibleLsn?.() ?? null;
    const snapshot = options.bindAtOnce && (!guessable || core.earlyKept.rate >= 0.5) ? beginSnapshot(core, refs) : null;
    let handedOver = false;
    try {
      // one round trip: the Describe, the relations' columns and, for a bind that follows at once, its context
      const mirrorNames = names.slice(0, mirrorKeys.length);
      const lsn = typeof core.mirrors.waitForLsn === 'function';
      const sources = refs.map((m) => core.mirrors.sourceOid?.(m) ?? null);
      const queries = [relationInfoQuery(names), ...(options.bindAtOnce ? [earlyContextQuery(mirrorNames, sources, lsn)] : [])];
      const { described: d, results } = await up.describeThenQueries(describeSql, paramTypes, queries);
      const fields = d.fields ?? [];
      const info = readRelationInfo(results[0]!, names);
      const mirrorUses = new Map<string, MirrorUse>();
      mirrorKeys.forEach((k, i) => {
        const m = refs[i]!;
        const ri = info.relations[i];
        if (!ri) throw new PgError('42P01', `relation "${m.name}" does not exist`);
        const rel = core.mirrors.relationSql(m);
        // not served (any more), or dropped and its name reused before the table layer noticed: the router asks
        // the registry what the name is now
        if (!rel || ri.relkind !== 'v') throw new MirrorUnavailable(m);
        mirrorUses.set(k, { ref: m, sql: rel, choice: core.mirrors.choiceSql?.(m) ?? null, info: ri, sourceOid: sources[i] ?? null });
      });
      const otherUses = new Map<string, OtherUse>();
      otherKeys.forEach((o, j) => {
        const ri = info.relations[mirrorKeys.length + j];
        if (!ri) throw new PgError('42P01', `relation "${o.name}" does not exist`);
        otherUses.set(`${o.schema ?? ''}.${o.name}`, { schema: o.schema, name: o.name, info: ri });
      });
      const q = new EngineQuery(core, session, catalog, query, explain, fields, d.paramTypes, mirrorUses, otherUses, {
        codePoint: info.codePointCollation,
        caseRules: info.caseRules,
        turkicCase: info.turkicCase,
      }, copy);
      // translate once now so unsupported SQL is refused at Parse, like Postgres' own errors (a simple Query
      // is bound at once: its bind translates it, with the same refusals, before anything is sent)
      if (!options.bindAtOnce) {
        const tr = q.translate({
          dry: true,
          params: q.paramT.map((t) => ({ t })),
          stored: new Map(),
          session: q.sessionState(session.params.get('TimeZone') ?? 'UTC', session.params.get('DateStyle') ?? 'ISO, MDY', null),
          constants: new Map(),
        }).translation;
        if (!explain) q.checkTypes(tr);
      }
      if (options.bindAtOnce) {
        const ctx = readEarlyContext(results[1]!.rows[0]!, mirrorNames);
        const needWait = ctx.base.lsn !== null && !!core.mirrors.waitForLsn && core.freshnessTimeoutMs > 0;
        // the snapshot begun before Postgres answered holds when the mirrors showed that WAL position already
        // then, and it chose between the views the query reads now
        const holds = !needWait || (visible !== null && visible >= ctx.base.lsn!);
        core.earlyKept.rate = 0.8 * core.earlyKept.rate + (holds ? 0.2 : 0);
        const keep = snapshot !== null && holds && [...mirrorUses].every(([k, m]) => snapshot.choices.get(k)?.choice === m.choice);
        // else the wait for the mirrors to reach upstream's WAL position overlaps with the rest of the work
        const wait = !keep && needWait ? core.mirrors.waitForLsn!(ctx.base.lsn!, core.freshnessTimeoutMs) : null;
        wait?.catch(() => undefined);
        const waitStart = performance.now();
        let waitEnd = 0;
        const ended = () => (waitEnd = performance.now());
        wait?.then(ended, ended);
        q.early = { ctx, wait, waitStart, waitEnd: () => waitEnd, snapshot: keep ? snapshot!.ready : null };
        if (keep) handedOver = true;
      }
      return q;
    } finally {
      if (snapshot && !handedOver) discardSnapshot(core, snapshot);
    }
  }

  fields(): FieldDescription[] | null {
    // COPY answers Describe with NoData
    if (this.copy) return null;
    return this.described.map((f) => ({ ...f, format: 0 }));
  }

  private sessionState(tz: string, dateStyle: string, now: bigint | null): SessionState {
    return {
      timeZone: this.core.zones.get(tz.toLowerCase()) ?? null,
      dateStyle,
      now,
      codePointCollation: this.collation.codePoint,
      caseRules: this.collation.caseRules,
      turkicCase: this.collation.turkicCase,
      user: this.session.user,
      database: this.session.database,
    };
  }

  /** one translation; returns it with the constants Postgres still has to read and the per-statement relations */
  private translate(input: EnvInput): {
    translation: Translation;
    needed: { t: PgT; text: string }[];
    mirrors: MirrorRelation[];
    mirrorRefs: MirrorRef[];
    tables: PgTableUse[];
  } {
    const needed = new Map<string, { t: PgT; text: string }>();
    const mirrors = new Map<string, MirrorRelation>();
    const tables = new Map<string, PgTableUse>();
    const path = effectiveSearchPath(searchPathOf(this.session), { oracle: this.session.oracle, user: this.session.user });
    const env: TranslateEnv = {
      dry: input.dry,
      zones: this.core.zones,
      params: input.params,
      session: input.session,
      mirror: (schema, name) => {
        const ref = this.catalog.resolve(schema, name, path);
        if (!ref) return null;
        const k = `${ref.schema}.${ref.name}`;
        const use = this.mirrorUses.get(k);
        if (!use) return null;
        let m = mirrors.get(k);
        if (!m) {
          const stored = input.stored.get(k);
          m = {
            sql: input.relations?.get(k) ?? use.sql,
            columns: use.info.columns.map((c) => ({
              name: c.name,
              t: c.t,
              ...(c.t.n === 'unknown' ? { unsupported: `reading column ${c.name} (type OID ${c.typeOid})` } : {}),
            })),
            stored: use.info.columns.map((c, i) => stored?.[i] ?? storedGuess(c.t)),
            used: new Set(),
            read: false,
            ...(input.only?.has(k) ? { only: input.only.get(k)! } : {}),
          };
          mirrors.set(k, m);
        }
        return m;
      },
      pgTable: (schema, name) => {
        const k = `${schema ?? ''}.${name}`;
        const use = this.otherUses.get(k);
        if (!use) return null;
        let p = tables.get(k);
        if (!p) {
          p = {
            schema,
            name,
            columns: use.info.columns.map((c) => ({
              name: c.name,
              t: c.t,
              ...(c.t.n === 'unknown' ? { unsupported: `reading column ${c.name} (type OID ${c.typeOid})` } : {}),
            })),
            temp: this.core.nextTemp(),
            used: new Set(),
            refs: 0,
            filters: [],
          };
          tables.set(k, p);
        }
        return p;
      },
      constant: (t, text) => input.constants.get(constKey(t, text)),
      needConstant: (t, text) => needed.set(constKey(t, text), { t, text }),
    };
    const translation = translateSelect(this.query, env);
    const mirrorRefs = [...mirrors.keys()].map((k) => this.mirrorUses.get(k)!.ref);
    return { translation, needed: [...needed.values()], mirrors: [...mirrors.values()], mirrorRefs, tables: [...tables.values()] };
  }

  /** our idea of each output column's type must be Postgres' (else the translation misunderstood something) */
  private checkTypes(tr: Translation): void {
    if (tr.cols.length !== this.described.length) {
      notSupported(`this select list (lakegate sees ${tr.cols.length} columns, Postgres ${this.described.length})`);
    }
    tr.cols.forEach((c, i) => {
      const f = this.described[i]!;
      const mine = oidOf(c.ex.t);
      if (mine !== f.typeOid) {
        const pg = fromOid(f.typeOid);
        notSupported(`result column "${f.name}" of type ${pg ? typeName(pg) : 'OID ' + f.typeOid} (lakegate would compute ${typeName(c.ex.t)})`);
      }
    });
  }

  async bind(params: (Buffer | null)[], paramFormats: number[], resultFormats: number[]): Promise<LocalPortal> {
    let early = this.early;
    this.early = null;
    const bound = decodeParams(this.paramT, params, paramFormats);
    for (let attempt = 0; ; attempt++) {
      const begun = early?.snapshot ? await early.snapshot.catch(() => null) : null;
      const conn = begun?.conn ?? (await this.core.pool.lease());
      const e0 = early;
      early = null;
      try {
        return await this.bindOn(conn, bound, resultFormats, e0, begun?.chosen ?? null);
      } catch (e) {
        this.core.pool.release(conn);
        if (e instanceof StaleTypes && attempt < 2) continue;
        throw pgErrorOf(e);
      }
    }
  }

  /** the views each mirror's chooser named last, when all are known and their column types are cached */
  private guessChoices(): Chosen | null {
    const out: Chosen = new Map();
    for (const [k, m] of this.mirrorUses) {
      const c = m.choice !== null ? this.core.choices.get(m.choice) : undefined;
      if (!c || this.core.typeCache.get(typeKey(m))?.shape !== c.shape) return null;
      out.set(k, c);
    }
    return out;
  }

  /** `early`: from prepare (PrepareOptions.bindAtOnce); `begun`: the snapshot begun then on `conn` (its choices) */
  private async bindOn(conn: DuckDBConnection, bound: BoundParam[], resultFormats: number[], early: Early | null, begun: Chosen | null): Promise<LocalPortal> {
    const up = this.session.upstream;
    const checked = [...this.mirrorUses.values()].map((m) => ({
      regclass: regclassText(m.ref.schema, m.ref.name),
      name: m.ref.name,
      sourceOid: m.sourceOid,
    }));
    if (early) checkTransaction(early.ctx.base.txn, this.session.txStatus, checked);
    // the DuckDB types each mirror relation stores its columns in (checked against the shape token below)
    const stored = new Map<string, string[]>();
    try {
      for (const [k, m] of this.mirrorUses) {
        const cached = m.choice !== null ? this.core.typeCache.get(typeKey(m)) : undefined;
        stored.set(k, cached ? cached.types : await storedTypes(conn, m));
      }
    } catch (e) {
      if (!early && this.session.txStatus === 'T') await recheckTransaction(up, this.session.txStatus, checked);
      throw e;
    }
    const params = bound.map((b) => {
      if ('value' in b) return { t: b.t, value: b.value };
      const local = localConst(b.t, b.text);
      if (local) return { t: b.t, value: local };
      return { t: b.t, text: b.text };
    });
    const paramsNow = (ctx: Map<string, Const>) =>
      params.map((p) => ('value' in p ? p : { t: p.t, value: ctx.get(constKey(p.t, p.text!)) }));
    const tz = this.session.params.get('TimeZone') ?? 'UTC';
    const ds = this.session.params.get('DateStyle') ?? 'ISO, MDY';
    // first pass: which columns are read, which constants Postgres must read
    const first = this.translate({ dry: true, params: paramsNow(new Map()), stored, session: this.sessionState(tz, ds, 0n), constants: new Map() });
    const wantConstants = [...first.needed, ...params.filter((p) => !('value' in p)).map((p) => ({ t: p.t, text: (p as { text: string }).text }))];
    const access = first.mirrors.map((m, i) => ({
      regclass: regclassText(first.mirrorRefs[i]!.schema, first.mirrorRefs[i]!.name),
      name: first.mirrorRefs[i]!.name,
      columns: [...m.used],
      sourceOid: this.mirrorUses.get(`${first.mirrorRefs[i]!.schema}.${first.mirrorRefs[i]!.name}`)?.sourceOid ?? null,
    }));
    let ctx: ExecContext;
    let waiting: Promise<boolean> | null = null;
    if (early && wantConstants.length === 0) {
      earlyAccess(early.ctx, access);
      ctx = { ...early.ctx.base, constants: new Map() };
      waiting = early.wait;
    } else {
      // constants only Postgres can read travel in the context query, so the early one does not do
      ctx = await execContext(up, { mirrors: access, constants: dedupe(wantConstants), lsn: typeof this.core.mirrors.waitForLsn === 'function' });
      checkTransaction(ctx.txn, this.session.txStatus, access);
      // a newer WAL position than the one the begun snapshot was kept for
      if (begun) await conn.run('ROLLBACK');
      begun = null;
    }
    // reported as the whole time the mirrors took to reach the query's WAL position, from when that was read
    // (the query may have done other work meanwhile: this is the most the wait can have added)
    this.session.freshnessWaitMs = 0;
    if (!begun && ctx.lsn !== null && this.core.mirrors.waitForLsn && this.core.freshnessTimeoutMs > 0) {
      const t0 = waiting ? early!.waitStart : performance.now();
      const ok = await (waiting ?? this.core.mirrors.waitForLsn(ctx.lsn, this.core.freshnessTimeoutMs));
      this.session.freshnessWaitMs = (waiting ? early!.waitEnd() : performance.now()) - t0;
      if (!ok) {
        throw new PgError('55000', 'lakegate: mirror has not caught up with upstream', 'ERROR', `Changes up to the current WAL position were not applied within ${this.core.freshnessTimeoutMs} ms.`);
      }
    }
    // one DuckDB snapshot from here on, taken after the wait: the choice of each mirror's reader view holds
    // for the query. A small result read in one call can take the views chosen last time and check them in
    // the same call and snapshot (fusedCheck), instead of a DuckDB call of its own before the query; when the
    // guess was stale (the chooser's answer changed, rare) the check fails and the portal chooses again and
    // reruns (refresh below).
    const small = smallResult(this.query);
    const guessed = !begun && !this.explain && !this.copy && small && first.tables.length === 0 && !first.translation.jsSort
      ? this.guessChoices()
      : null;
    const chosen = begun ?? guessed ?? (await beginAndChoose(conn, this.mirrorUses, this.core.choices));
    const relations = new Map<string, string>();
    for (const [k, c] of chosen) {
      relations.set(k, c.relation);
      const m = this.mirrorUses.get(k)!;
      const cached = this.core.typeCache.get(typeKey(m));
      if (cached?.shape === c.shape && sameList(cached.types, stored.get(k)!)) continue;
      const types = await storedTypes(conn, m);
      this.core.typeCache.set(typeKey(m), { shape: c.shape, types });
      if (!sameList(types, stored.get(k)!)) throw new StaleTypes();
    }
    // final pass with the real transaction time, settings, constants and relations
    const finalInput = {
      dry: false,
      params: paramsNow(ctx.constants),
      stored,
      session: this.sessionState(ctx.settings.TimeZone, ctx.settings.DateStyle, ctx.now),
      constants: ctx.constants,
      relations,
      only: new Map(first.mirrors.map((m, i) => [`${first.mirrorRefs[i]!.schema}.${first.mirrorRefs[i]!.name}`, m.used])),
    };
    const final = this.translate(finalInput);
    if (final.needed.length > 0) throw new PgError('XX000', 'lakegate: a constant could not be converted');
    const tr = final.translation;
    let fused: PortalPlan['fused'] = null;
    if (guessed) {
      if (final.tables.length > 0 || tr.jsSort) {
        // not a one-call query after all: choose now, and translate again if the guess was not it
        const now = await beginAndChoose(conn, this.mirrorUses, this.core.choices);
        if (![...now].every(([k, c]) => guessed.get(k)?.name === c.name && guessed.get(k)?.shape === c.shape)) throw new StaleTypes();
      } else {
        fused = {
          // run returns the first statement's result (the query) and fails when any statement fails
          statements: (sql) => `BEGIN TRANSACTION; ${sql}; ${[...guessed].map(([k, c]) => fusedCheck(this.mirrorUses.get(k)!.choice!, c)).join('; ')}`,
          refresh: async () => {
            // the failed check aborted the transaction: a new snapshot, the views it names
            await conn.run('ROLLBACK');
            const now = await beginAndChoose(conn, this.mirrorUses, this.core.choices);
            for (const [k, c] of now) {
              if (guessed.get(k)?.shape !== c.shape) {
                throw new PgError('40001', 'could not serialize access due to a concurrent change of a mirror\'s columns', 'ERROR', undefined, 'Run the statement again.');
              }
            }
            return this.translate({ ...finalInput, relations: new Map([...now].map(([k, c]) => [k, c.relation])) }).translation.sql;
          },
        };
      }
    }
    if (!this.explain) this.checkTypes(tr);
    for (const t of final.tables) await fetchPgTable(up, conn, t, this.core.maxFetchRows);
    const settings = outputSettingsFrom({
      DateStyle: ctx.settings.DateStyle,
      TimeZone: ctx.settings.TimeZone,
      IntervalStyle: ctx.settings.IntervalStyle,
      extra_float_digits: ctx.settings.extra_float_digits,
      bytea_output: ctx.settings.bytea_output,
    });
    const nres = this.described.length;
    const formats: (0 | 1)[] = Array.from({ length: nres }, (_, i) => {
      const f = resultFormats.length === 0 ? 0 : resultFormats.length === 1 ? resultFormats[0]! : resultFormats[i] ?? 0;
      if (f !== 0 && f !== 1) throw new PgError('22023', `unsupported format code: ${f}`);
      return f as 0 | 1;
    });
    const out = this.described.map((f, i) => ({ ...f, format: formats[i]! }));
    const codecsFor = (typeOf: (i: number) => DuckDBType): ColumnCodec[] =>
      tr.cols.map((c, i) => {
        const f = this.described[i]!;
        if (c.ex.v) return columnCodec(varDuckType(c.ex.t), { oid: f.typeOid, typmod: f.typeMod ?? -1 });
        const duck = typeOf(i);
        checkDuckType(c.ex.t, c.ex.scale, duck, f.name);
        return columnCodec(duck, { oid: f.typeOid, typmod: f.typeMod ?? -1 });
      });
    let codecs: ColumnCodec[] | null = null;
    let prepared: DuckDBPreparedStatement | null = null;
    if (this.explain) {
      codecs = [];
    } else if (!tr.jsSort && !small) {
      // streamed: DuckDB streams only a prepared statement; its types are checked now
      const ps = await conn.prepare(tr.sql);
      prepared = ps;
      codecs = codecsFor((i) => ps.columnType(i));
    }
    const plan: PortalPlan = {
      sql: tr.sql,
      prepared,
      cols: tr.cols,
      codecs,
      codecsFor,
      formats,
      settings,
      hidden: tr.hidden,
      jsSort: tr.jsSort,
      explain: this.explain,
      copy: this.copy ? { options: this.copy, names: this.described.map((f) => f.name) } : null,
      fused,
    };
    return new EnginePortal(conn, plan, this.copy ? null : out, (c) => this.core.pool.release(c));
  }
}

function dedupe(xs: { t: PgT; text: string }[]): { t: PgT; text: string }[] {
  const m = new Map<string, { t: PgT; text: string }>();
  for (const x of xs) m.set(constKey(x.t, x.text), x);
  return [...m.values()];
}

function searchPathOf(s: SessionInfo): string[] {
  const raw = s.params.get('search_path');
  if (!raw) return ['$user', 'public'];
  const parts: string[] = [];
  for (const p of raw.split(',')) {
    const t = p.trim();
    if (t.startsWith('"') && t.endsWith('"')) parts.push(t.slice(1, -1).replace(/""/g, '"'));
    else if (t) parts.push(t.toLowerCase());
  }
  return parts;
}

/** the DuckDB type the table layer stores a column of type t in (column-types.ts) */
function storedGuess(t: PgT): string {
  if (t.arr) return `${storedGuess({ ...t, arr: false })}[]`;
  switch (t.n) {
    case 'int2':
      return 'INTEGER';
    case 'numeric':
      return numericScale(t) === null ? 'VARCHAR' : duckType(t);
    case 'interval':
    case 'json':
    case 'jsonb':
    case 'unknown':
      return 'VARCHAR';
    default:
      try {
        return duckType(t);
      } catch {
        return 'VARCHAR';
      }
  }
}

/** a mirror's reader view at a snapshot: its name, quoted (relation), and the shape token of the views */
interface ChosenView {
  name: string;
  relation: string;
  shape: string;
}

type Chosen = Map<string, ChosenView>;

/** a statement that fails unless the mirror's chooser (its choiceSql) still names `c` at this snapshot */
function fusedCheck(choice: string, c: ChosenView): string {
  return `SELECT CASE WHEN relation IS DISTINCT FROM ${str(c.name)} OR shape IS DISTINCT FROM ${str(c.shape)} ` +
    `THEN error(${str(STALE_CHOICE)}) END FROM (${choice}) AS lg_check`;
}

/** read (or begun) while a statement bound at once was prepared */
interface Early {
  ctx: EarlyContext;
  /** the freshness wait for ctx's WAL position, started then; null when none is needed */
  wait: Promise<boolean> | null;
  /** performance.now() when it started, and when it ended (0 while it has not) */
  waitStart: number;
  waitEnd: () => number;
  /** a DuckDB connection whose transaction already sees that position, with its choices */
  snapshot: Promise<{ conn: DuckDBConnection; chosen: Chosen }> | null;
}

interface Snapshot {
  choices: Map<string, { choice: string | null }>;
  ready: Promise<{ conn: DuckDBConnection; chosen: Chosen }>;
}

/** a connection with its transaction begun and the mirrors' views chosen (beginAndChoose), ahead of time */
function beginSnapshot(core: EngineCore, mirrors: MirrorRef[]): Snapshot {
  const choices = new Map(mirrors.map((m) => [`${m.schema}.${m.name}`, { choice: core.mirrors.choiceSql?.(m) ?? null }]));
  const ready = (async () => {
    const conn = await core.pool.lease();
    try {
      return { conn, chosen: await beginAndChoose(conn, choices, core.choices) };
    } catch (e) {
      core.pool.release(conn);
      throw e;
    }
  })();
  ready.catch(() => undefined);
  return { choices, ready };
}

function discardSnapshot(core: EngineCore, s: Snapshot): void {
  void s.ready.then(({ conn }) => core.pool.release(conn), () => undefined);
}

/**
 * Opens the connection's transaction and, per mirror with a choice, reads the relation to read at its
 * snapshot (quoted) and the shape token. One DuckDB call.
 */
async function beginAndChoose(conn: DuckDBConnection, uses: Map<string, { choice: string | null }>, remember?: Map<string, ChosenView>): Promise<Chosen> {
  const out: Chosen = new Map();
  const withChoice = [...uses].filter(([, m]) => m.choice !== null);
  if (withChoice.length === 0) {
    await conn.run('BEGIN TRANSACTION');
    return out;
  }
  const one = withChoice.length === 1 ? withChoice[0]![1].choice! : null;
  const select = one ?? `SELECT * FROM ${withChoice.map(([, m], i) => `(${m.choice}) AS lg_c${i}`).join(' CROSS JOIN ')}`;
  // run materialises the one row: read it synchronously (runAndReadAll would fetch it in two more async calls)
  const r = await conn.run(`BEGIN TRANSACTION; ${select}`);
  const row = r.chunkCount > 0 ? r.getChunk(0).getRows()[0] : undefined;
  if (!row) throw new PgError('XX000', 'lakegate: a mirror view chooser returned no row');
  withChoice.forEach(([k, m], i) => {
    const name = row[2 * i];
    if (typeof name !== 'string') return;
    const c = { name, relation: `"${name.replace(/"/g, '""')}"`, shape: String(row[2 * i + 1]) };
    out.set(k, c);
    remember?.set(m.choice!, c);
  });
  return out;
}

/** types are cached in the order of the columns Postgres lists for the mirror */
function typeKey(m: MirrorUse): string {
  return [m.sql, ...m.info.columns.map((c) => c.name)].join('\0');
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** column types of a mirror relation as DuckDB stores them, in the mirror view's column order */
async function storedTypes(conn: DuckDBConnection, m: MirrorUse): Promise<string[]> {
  const ps = await conn.prepare(`SELECT * FROM ${m.sql} LIMIT 0`);
  const byName = new Map<string, string>();
  for (let i = 0; i < ps.columnCount; i++) byName.set(ps.columnName(i), ps.columnType(i).toString());
  return m.info.columns.map((c) => {
    const s = byName.get(c.name);
    if (s === undefined) throw new PgError('XX000', `lakegate: mirror "${m.ref.name}" has no column "${c.name}" in DuckDB`);
    return s;
  });
}

function varDuckType(t: PgT): DuckDBType {
  switch (t.n) {
    case 'float8':
      return DOUBLE;
    case 'int2':
      return SMALLINT;
    case 'int4':
      return INTEGER;
    case 'int8':
      return BIGINT;
    default:
      return DECIMAL(38, 0);
  }
}

const INT_IDS = new Set([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT,
]);

/** The DuckDB result type must hold the Postgres value exactly (a last guard against translation slips). */
function checkDuckType(t: PgT, scale: number | null, duck: DuckDBType, name: string): void {
  const bad = (): never => notSupported(`result column "${name}" (DuckDB computes ${duck.toString()} for ${typeName(t)})`);
  let d = duck;
  if (t.arr) {
    if (d.typeId !== DuckDBTypeId.LIST) bad();
    d = (d as { valueType: DuckDBType }).valueType;
  }
  const id = d.typeId;
  switch (t.n) {
    case 'int2':
    case 'int4':
    case 'int8':
      if (!INT_IDS.has(id)) bad();
      return;
    case 'numeric':
      if (scale === null) {
        if (id !== DuckDBTypeId.VARCHAR) bad();
        return;
      }
      if (id === DuckDBTypeId.DECIMAL) {
        if ((d as { scale: number }).scale !== scale) bad();
        return;
      }
      if (INT_IDS.has(id) && scale === 0) return;
      return bad();
    case 'float4':
      if (id !== DuckDBTypeId.FLOAT) bad();
      return;
    case 'float8':
      if (id !== DuckDBTypeId.DOUBLE && id !== DuckDBTypeId.FLOAT) bad();
      return;
    case 'bool':
      if (id !== DuckDBTypeId.BOOLEAN) bad();
      return;
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'json':
    case 'jsonb':
    case 'unknown':
      if (id !== DuckDBTypeId.VARCHAR) bad();
      return;
    case 'date':
      if (id !== DuckDBTypeId.DATE) bad();
      return;
    case 'time':
      if (id !== DuckDBTypeId.TIME) bad();
      return;
    case 'timestamp':
      if (id !== DuckDBTypeId.TIMESTAMP) bad();
      return;
    case 'timestamptz':
      if (id !== DuckDBTypeId.TIMESTAMP_TZ) bad();
      return;
    case 'interval':
      if (id !== DuckDBTypeId.INTERVAL) bad();
      return;
    case 'uuid':
      if (id !== DuckDBTypeId.UUID) bad();
      return;
    case 'bytea':
      if (id !== DuckDBTypeId.BLOB) bad();
      return;
  }
}
