// Applying a collapsed run of changes (collapse.ts) to one mirror's DuckDB tables, inside the apply
// connection's open transaction (the caller commits; readers see whole source transactions only).
//
//   removes  → tail rows with that identity are deleted; identities not found in the tail are recorded as
//              pending base deletes (delkeys / delrows) — unless the base is empty or hidden by a TRUNCATE
//   appends  → appender into the tail, each row with the next _lg_rowid and the transaction's commit LSN
//   TRUNCATE → tail and pending deletes emptied; the view hides the base until a flush removes its files
//
// While a flush runs (state.flushCut), tail rows it already wrote that get deleted are remembered in lg_gone
// so its swap can turn them into position deletes against the new file.
// Unchanged-TOAST columns still open after collapsing are read from the mirror view (the pre-run row, tail or
// base) before the removes run, and patched into the appended rows with one UPDATE.
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { UNCHANGED_TOAST, type Lsn, type Value } from '../cdc/index.js';
import { quoteIdent as q } from '../iceberg/index.js';
import { log } from '../log.js';
import { ChunkAppender, chunkable } from './chunk-append.js';
import { appendFn, type AppendFn } from './column-types.js';
import type { Effect, KeyedAppend, KeyedEffect, MultisetEffect } from './collapse.js';
import type { MirrorState } from './mirror-state.js';
import type { MirrorTable } from './mirror-table.js';
import { filterable, keyString, rowKeyString, TailKeyFilter } from './tail-filter.js';
import { UnrepresentableValueError } from './unrepresentable.js';

const log_ = log.child({ mod: 'table' });

/** beyond this many keys appended during one flush its swap reads the tail back for the new filter instead */
const MAX_KEYS_SINCE_CUT = 200_000;

/** per-connection staging tables and append functions of one mirror */
export class ApplyStaging {
  readonly stage: string;
  readonly toastSrc: string;
  readonly toastVal: string;
  readonly hits: string;
  private readonly colAppend: AppendFn[];
  /** column-wise appenders (chunk-append.ts) when every column allows it; null → row appender */
  readonly tailChunks: ChunkAppender | null;
  readonly stageChunks: ChunkAppender | null;

  /** whether the mirror's key can use a tail key filter (see tail-filter.ts) */
  readonly filterable: boolean;

  /**
   * Column-wise appenders kept open between runs, by table: creating one is a DuckDB call of its own (a
   * thread-pool hop) on the path of every group commit, i.e. of every strict read under write load. The
   * applier closes them whenever anything but appends runs on the connection (closeAppenders).
   */
  private readonly kept = new Map<string, DuckDBAppender>();

  constructor(readonly table: MirrorTable) {
    this.filterable = filterable(table);
    const id = table.id;
    this.stage = `lg_stage_${id}`;
    this.toastSrc = `lg_toastsrc_${id}`;
    this.toastVal = `lg_toastval_${id}`;
    this.hits = `lg_hits_${id}`;
    this.colAppend = table.columns.map((c) => appendFn(c));
    const ok = chunkable(table.columns);
    this.tailChunks = ok ? new ChunkAppender(table.columns, 2) : null;
    this.stageChunks = !ok ? null : table.keyed ? new ChunkAppender(table.keyColumns) : new ChunkAppender(table.columns, 2);
  }

  /** TEMP tables on the apply connection (outside any transaction) */
  async create(conn: DuckDBConnection): Promise<void> {
    const t = this.table;
    const defs = (cols: typeof t.columns) => cols.map((c) => `${q(c.name)} ${c.duckdb}`).join(', ');
    if (t.keyed) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(this.stage)} (${defs(t.keyColumns)})`);
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(this.toastSrc)} (_lg_target BIGINT, _lg_mask VARCHAR, ${defs(t.keyColumns)})`);
    } else {
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(this.stage)} (${defs(t.columns)}, _lg_cnt BIGINT, _lg_grp BIGINT)`);
    }
  }

  async drop(conn: DuckDBConnection): Promise<void> {
    this.closeAppenders();
    for (const n of [this.stage, this.toastSrc, this.toastVal, this.hits]) await conn.run(`DROP TABLE IF EXISTS temp.${q(n)}`);
  }

  /** the kept appender of `table` (created on first use) */
  async appender(conn: DuckDBConnection, table: string, temp: boolean): Promise<DuckDBAppender> {
    const k = keptKey(table, temp);
    let app = this.kept.get(k);
    if (!app) {
      app = await conn.createAppender(table, 'main', temp ? 'temp' : null);
      this.kept.set(k, app);
    }
    return app;
  }

  /** drop one kept appender and whatever it still holds unflushed (after a failed append) */
  discardAppender(table: string, temp: boolean): void {
    const k = keptKey(table, temp);
    const app = this.kept.get(k);
    this.kept.delete(k);
    if (app) closeDiscarding(app);
  }

  /** before anything else runs on the connection: a table may change shape or be replaced under them */
  closeAppenders(): void {
    for (const app of this.kept.values()) closeDiscarding(app);
    this.kept.clear();
  }

  appendValue(app: DuckDBAppender, col: number, v: Value): void {
    this.colAppend[col]!(app, v);
  }
}

export interface ApplyResult {
  appended: number;
  removedFromTail: number;
  pendingDeletes: number;
  toastMisses: number;
}

/** Apply one effect. Returns what changed; `lsn` is the source transaction's commit LSN. */
export async function applyEffect(
  conn: DuckDBConnection,
  st: MirrorState,
  staging: ApplyStaging,
  effect: Effect,
  lsn: Lsn,
): Promise<ApplyResult> {
  const r: ApplyResult = { appended: 0, removedFromTail: 0, pendingDeletes: 0, toastMisses: 0 };
  try {
    if (effect.truncated) await truncate(conn, st, lsn);
    if (effect.kind === 'keyed') await applyKeyed(conn, st, staging, effect, lsn, r);
    else await applyMultiset(conn, st, staging, effect, lsn, r);
  } catch (e) {
    if (e instanceof UnrepresentableValueError) e.mirrorId ??= st.id;
    throw e;
  }
  if (effect.truncated || r.appended || r.removedFromTail || r.pendingDeletes) st.touched(lsn);
  return r;
}

async function truncate(conn: DuckDBConnection, st: MirrorState, lsn: Lsn): Promise<void> {
  const t = st.table;
  for (const name of [t.tail, t.deletes, t.delpos, t.gone]) await conn.run(`DELETE FROM ${q(name)}`);
  st.tailRows = 0;
  if (st.tailKeys) st.tailKeys = new TailKeyFilter();
  st.pendingDeletes = 0;
  st.truncateLsn = lsn;
  await conn.run(t.viewSql(st.base, { truncated: true }));
}

/** can a delete of a row not in the tail hit a base row? */
function baseVisible(st: MirrorState): boolean {
  return st.base.dataFiles.length > 0 && st.truncateLsn === null;
}

async function appendRows<T>(
  conn: DuckDBConnection,
  table: string,
  temp: boolean,
  rows: readonly T[],
  fill: (app: DuckDBAppender, row: T) => void,
): Promise<number> {
  const app = await conn.createAppender(table, 'main', temp ? 'temp' : null);
  try {
    for (const row of rows) {
      fill(app, row);
      app.endRow();
    }
    app.flushSync();
  } finally {
    app.closeSync();
  }
  return rows.length;
}

const keptKey = (table: string, temp: boolean) => `${temp ? 'temp' : 'main'}.${table}`;

/** close an appender without sending what it holds (close() would flush it) */
function closeDiscarding(app: DuckDBAppender): void {
  try {
    app.clear();
    app.closeSync();
  } catch {
    // already closed or broken: nothing of it can reach a table any more
  }
}

/** appendRows through a ChunkAppender, on the staging's kept appender of `table` */
async function appendChunked<T>(
  conn: DuckDBConnection,
  staging: ApplyStaging,
  table: string,
  temp: boolean,
  ca: ChunkAppender,
  rows: readonly T[],
  fill: (ca: ChunkAppender, row: T) => void,
): Promise<number> {
  const app = await staging.appender(conn, table, temp);
  try {
    ca.begin(app);
    for (const row of rows) {
      fill(ca, row);
      ca.endRow();
    }
    ca.finish();
    app.flushSync();
  } catch (e) {
    // rows sent before the failure must not ride along with a later flush
    staging.discardAppender(table, temp);
    throw e;
  }
  return rows.length;
}

async function applyKeyed(
  conn: DuckDBConnection,
  st: MirrorState,
  staging: ApplyStaging,
  e: KeyedEffect,
  lsn: Lsn,
  r: ApplyResult,
): Promise<void> {
  const t = st.table;
  const keyCols = t.spec.key;
  const lsnValue = lsn;

  // rowids first (appends[i] gets first + i): TOAST patches name their target row
  const appends = e.appends;
  const firstRowid = st.nextRowid;
  st.nextRowid += appends.length;
  const toastRows: { a: KeyedAppend; rowid: number }[] = [];
  for (let i = 0; i < appends.length; i++) if (appends[i]!.toastKey !== null) toastRows.push({ a: appends[i]!, rowid: firstRowid + i });
  if (toastRows.length > 0) {
    await appendRows(conn, staging.toastSrc, true, toastRows, (app, { a, rowid }) => {
      app.appendBigInt(BigInt(rowid));
      app.appendVarchar(a.row.map((v) => (v === UNCHANGED_TOAST ? '1' : '0')).join(''));
      a.toastKey!.forEach((v, i) => staging.appendValue(app, keyCols[i]!, v));
    });
    // the pre-run rows, before this run's removes delete them
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${q(staging.toastVal)} AS SELECT s._lg_target, s._lg_mask, ${t.cols('v')} ` +
        `FROM temp.${q(staging.toastSrc)} s JOIN ${q(t.view)} v ON ${t.match('s', 'v')}`,
    );
  }

  if (e.removes.length > 0) {
    if (staging.stageChunks) {
      await appendChunked(conn, staging, staging.stage, true, staging.stageChunks, e.removes, (ca, key) => {
        for (let i = 0; i < key.length; i++) ca.set(i, key[i]!);
      });
    } else {
      await appendRows(conn, staging.stage, true, e.removes, (app, key) => {
        key.forEach((v, i) => staging.appendValue(app, keyCols[i]!, v));
      });
    }
    // none of the keys can be in the tail: no need to probe it
    const filter = st.tailKeys;
    const inTail = st.tailRows > 0 && (!filter || e.removes.some((k) => filter.mayContain(keyString(k))));
    await removeStaged(conn, st, staging, lsnValue, r, e.removes.length, inTail);
  }

  if (appends.length > 0) {
    const n = t.columns.length;
    let rowid = firstRowid;
    r.appended = staging.tailChunks
      ? await appendChunked(conn, staging, t.tail, false, staging.tailChunks, appends, (ca, a) => {
        for (let i = 0; i < n; i++) {
          const v = a.row[i];
          ca.set(i, v === UNCHANGED_TOAST || v === undefined ? null : v);
        }
        ca.setBigint(n, BigInt(rowid++));
        ca.setBigint(n + 1, lsnValue);
      })
      : await appendRows(conn, t.tail, false, appends, (app, a) => {
        for (let i = 0; i < n; i++) {
          const v = a.row[i];
          staging.appendValue(app, i, v === UNCHANGED_TOAST || v === undefined ? null : v);
        }
        app.appendBigInt(BigInt(rowid++));
        app.appendBigInt(lsnValue);
      });
    st.tailRows += r.appended;
    if (st.tailKeys) {
      const since = st.flushCut ? st.keysSinceCut : null;
      for (const a of appends) {
        const k = rowKeyString(a.row, keyCols);
        st.tailKeys.add(k);
        since?.push(k);
      }
      if (since && since.length > MAX_KEYS_SINCE_CUT) st.keysSinceCut = null;
    }
  }

  if (toastRows.length > 0) {
    const used = new Set<number>();
    for (const { a } of toastRows) a.row.forEach((v, i) => v === UNCHANGED_TOAST && used.add(i));
    const sets = [...used].map((i) => {
      const c = q(t.columns[i]!.name);
      return `${c} = CASE WHEN substr(tv._lg_mask, ${i + 1}, 1) = '1' THEN tv.${c} ELSE ${q(t.tail)}.${c} END`;
    });
    const patched = await conn.run(
      `UPDATE ${q(t.tail)} SET ${sets.join(', ')} FROM temp.${q(staging.toastVal)} tv WHERE ${q(t.tail)}._lg_rowid = tv._lg_target`,
    );
    r.toastMisses = toastRows.length - patched.rowsChanged;
    st.toastFilled += patched.rowsChanged;
    if (r.toastMisses > 0) {
      log_.error({ mirror: t.spec.name, rows: r.toastMisses }, 'unchanged TOAST value without a stored row to take it from; left NULL');
    }
    await conn.run(`DELETE FROM temp.${q(staging.toastSrc)}`);
    await conn.run(`DROP TABLE temp.${q(staging.toastVal)}`);
  }
}

/** the staged identities (lg_stage_<id>) leave the tail, or become pending base deletes */
async function removeStaged(
  conn: DuckDBConnection,
  st: MirrorState,
  staging: ApplyStaging,
  lsn: bigint,
  r: ApplyResult,
  staged: number,
  probeTail: boolean,
): Promise<void> {
  const t = st.table;
  const stage = `temp.${q(staging.stage)}`;
  if (probeTail) {
    if (st.flushCut) {
      st.goneWritten = true;
      await conn.run(
        `INSERT INTO ${q(t.gone)} SELECT t._lg_rowid, ${lsn} FROM ${q(t.tail)} t SEMI JOIN ${stage} s ON ${t.match('t', 's')} ` +
          `WHERE t._lg_rowid <= ${st.flushCut.rowid}`,
      );
    }
    if (baseVisible(st)) {
      const ins = await conn.run(
        `INSERT INTO ${q(t.delkeys)} SELECT ${t.cols('s', t.keyColumns)}, ${lsn} FROM ${stage} s ` +
          `ANTI JOIN ${q(t.tail)} t ON ${t.match('s', 't')}`,
      );
      r.pendingDeletes = ins.rowsChanged;
    }
    const del = await conn.run(`DELETE FROM ${q(t.tail)} t USING ${stage} s WHERE ${t.match('t', 's')}`);
    r.removedFromTail = del.rowsChanged;
    st.tailRows -= del.rowsChanged;
  } else if (baseVisible(st)) {
    await conn.run(`INSERT INTO ${q(t.delkeys)} SELECT ${t.cols('s', t.keyColumns)}, ${lsn} FROM ${stage} s`);
    r.pendingDeletes = staged;
  }
  st.pendingDeletes += r.pendingDeletes;
  await conn.run(`DELETE FROM ${stage}`);
}

async function applyMultiset(
  conn: DuckDBConnection,
  st: MirrorState,
  staging: ApplyStaging,
  e: MultisetEffect,
  lsn: Lsn,
  r: ApplyResult,
): Promise<void> {
  const t = st.table;
  const lsnValue = lsn;
  const n = t.columns.length;
  if (e.removes.length > 0) {
    const stage = `temp.${q(staging.stage)}`;
    let grp = 0;
    if (staging.stageChunks) {
      await appendChunked(conn, staging, staging.stage, true, staging.stageChunks, e.removes, (ca, x) => {
        for (let i = 0; i < n; i++) ca.set(i, x.row[i]!);
        ca.setBigint(n, BigInt(x.count));
        ca.setBigint(n + 1, BigInt(grp++));
      });
    } else {
      await appendRows(conn, staging.stage, true, e.removes, (app, x) => {
        for (let i = 0; i < n; i++) staging.appendValue(app, i, x.row[i]!);
        app.appendBigInt(BigInt(x.count));
        app.appendBigInt(BigInt(grp++));
      });
    }
    const wanted = e.removes.reduce((a, x) => a + x.count, 0);
    let fromTail = 0;
    if (st.tailRows > 0) {
      // which tail rows go: for each staged row, up to _lg_cnt equal tail rows (oldest first)
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE ${q(staging.hits)} AS SELECT _lg_rowid, _lg_grp FROM (` +
          `SELECT t._lg_rowid, s._lg_grp, s._lg_cnt, row_number() OVER (PARTITION BY s._lg_grp ORDER BY t._lg_rowid) AS rn ` +
          `FROM ${q(t.tail)} t JOIN ${stage} s ON ${t.match('t', 's')}) WHERE rn <= _lg_cnt`,
      );
      const hits = `temp.${q(staging.hits)}`;
      if (st.flushCut) {
        st.goneWritten = true;
        await conn.run(`INSERT INTO ${q(t.gone)} SELECT _lg_rowid, ${lsnValue} FROM ${hits} WHERE _lg_rowid <= ${st.flushCut.rowid}`);
      }
      const del = await conn.run(`DELETE FROM ${q(t.tail)} WHERE _lg_rowid IN (SELECT _lg_rowid FROM ${hits})`);
      fromTail = del.rowsChanged;
      st.tailRows -= fromTail;
      if (baseVisible(st) && fromTail < wanted) {
        const ins = await conn.run(
          `INSERT INTO ${q(t.delrows)} SELECT ${t.cols('s')}, s._lg_cnt - coalesce(h.n, 0), ${lsnValue} FROM ${stage} s ` +
            `LEFT JOIN (SELECT _lg_grp, count(*) AS n FROM ${hits} GROUP BY _lg_grp) h ON h._lg_grp = s._lg_grp ` +
            `WHERE s._lg_cnt > coalesce(h.n, 0)`,
        );
        r.pendingDeletes = ins.rowsChanged;
      }
      await conn.run(`DROP TABLE ${hits}`);
    } else if (baseVisible(st)) {
      const ins = await conn.run(`INSERT INTO ${q(t.delrows)} SELECT ${t.cols('s')}, s._lg_cnt, ${lsnValue} FROM ${stage} s`);
      r.pendingDeletes = ins.rowsChanged;
    }
    r.removedFromTail = fromTail;
    st.pendingDeletes += r.pendingDeletes;
    await conn.run(`DELETE FROM ${stage}`);
  }
  if (e.appends.length > 0) {
    r.appended = staging.tailChunks
      ? await appendChunked(conn, staging, t.tail, false, staging.tailChunks, e.appends, (ca, row) => {
        for (let i = 0; i < n; i++) ca.set(i, row[i]!);
        ca.setBigint(n, BigInt(st.nextRowid++));
        ca.setBigint(n + 1, lsnValue);
      })
      : await appendRows(conn, t.tail, false, e.appends, (app, row) => {
        for (let i = 0; i < n; i++) staging.appendValue(app, i, row[i]!);
        app.appendBigInt(BigInt(st.nextRowid++));
        app.appendBigInt(lsnValue);
      });
    st.tailRows += r.appended;
  }
}
