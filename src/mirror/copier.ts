// Initial copy (and resync) of one mirror while the stream keeps running for every other mirror:
//
//  1. REPLICA IDENTITY FULL if the source has no usable key; ALTER PUBLICATION … ADD TABLE.
//  2. hold the table's stream changes (applier), then CREATE_REPLICATION_SLOT … TEMPORARY (SNAPSHOT 'export')
//     → consistent point C + snapshot; a REPEATABLE READ session imports the snapshot, the walsender closes
//     (the temporary slot goes with it). Stream transactions with commit LSN < C are in the snapshot.
//  3. binary COPY in that snapshot → DuckDB staging → Parquet files every copyFileRows rows.
//  4. one Iceberg commit with every file (a resync also removes all old files), summary flush-lsn = C.
//  5. between source transactions: DuckDB tables + view, held transactions with commit LSN >= C replayed,
//     mirror live. A crash before 4 leaves orphans only (the next start copies again); after 4 the snapshot
//     says C and the slot (whose ack never passed C meanwhile) replays the rest.
import type pg from 'pg';
import {
  createSlot,
  beginSnapshot,
  copyTable,
  formatLsn,
  openReplicationConnection,
  openSession,
  publicationTables,
  addPublicationTables,
  type Lsn,
  type TypeCatalog,
} from '../cdc/index.js';
import { IcebergTable } from '../iceberg/index.js';
import { log } from '../log.js';
import type { Storage } from '../storage/index.js';
import type { SharedDuckDB } from '../engine/duckdb.js';
import { flushSummary, loadBase } from '../table/base.js';
import { mirrorColumn } from '../table/column-types.js';
import { delaypoint, failpoint } from '../table/failpoint.js';
import { ROW_COUNT_PROPERTY } from '../table/flush.js';
import { copyIntoIceberg } from '../table/initial-copy.js';
import { MirrorState } from '../table/mirror-state.js';
import { MirrorTable, type MirrorSpec } from '../table/mirror-table.js';
import { relationFits, type Applier, type Hold } from './applier.js';
import { HeldChanges } from './held-changes.js';
import { ensureReplicaIdentity, icebergSchema, mirrorKey, schemaChangesFor, sourceIdentity, specProperties } from './mirror-spec.js';
import type { MirrorServiceOptions } from './options.js';
import type { MirrorRecord } from './registry.js';

const log_ = log.child({ mod: 'copy' });

export interface CopyContext {
  upstream: pg.ClientConfig;
  storage: Storage;
  duck: SharedDuckDB;
  applier: Applier;
  catalog: TypeCatalog;
  options: MirrorServiceOptions;
  /** Iceberg location of a mirror */
  locationOf(rec: MirrorRecord): string;
}

export interface CopyResult {
  st: MirrorState;
  rows: number;
  files: number;
  consistentPoint: Lsn;
  ms: number;
}

/** Copy `rec` from a fresh snapshot into its Iceberg table and make it live. */
export interface CopyControl {
  /** aborts the copy (pipeline closing) */
  signal?: AbortSignal;
  /** files written but not committed yet are listed here while the copy runs */
  inProgress?: Set<string>;
}

export async function copyMirror(ctx: CopyContext, rec: MirrorRecord, control: CopyControl = {}): Promise<CopyResult> {
  const started = Date.now();
  const o = ctx.options;
  const session = await openSession(ctx.upstream);
  let repl: pg.Client | null = null;
  let hold: Hold | null = null;
  const written: string[] = [];
  let committed = false;
  const copyConn = await ctx.duck.connect();
  try {
    // 1
    let ident = await sourceIdentity(session, rec.source);
    if (await ensureReplicaIdentity(session, rec.source, ident)) {
      log_.info({ mirror: rec.id, source: rec.source }, 'set REPLICA IDENTITY FULL on a source without a key');
      ident = await sourceIdentity(session, rec.source);
    }
    const published = await publicationTables(session, o.publication);
    if (!published.some((t) => t.schema === rec.source.schema && t.name === rec.source.name)) {
      await addPublicationTables(session, o.publication, [rec.source]);
    }

    // 2
    const previous = ctx.applier.holds.get(rec.id);
    if (previous) await previous.held.close();
    // until the slot reports C, pin the ack at what is already applied (≤ C): a transaction streamed while the
    // slot is being created may belong after C, and the ack must not pass it before the copy is durable
    hold = {
      mirrorId: rec.id,
      relationOid: ident.relationOid,
      pin: ctx.applier.committedEnd,
      held: new HeldChanges(o.spillDir, `m${rec.id}`, o.holdMemoryChanges),
    };
    ctx.applier.holds.set(rec.id, hold);
    repl = await openReplicationConnection(ctx.upstream);
    const slot = await createSlot(repl, `lakegate_copy_${rec.id}_${process.pid}`, { temporary: true, snapshot: 'export' });
    hold.pin = slot.consistentPoint;
    await beginSnapshot(session, slot.snapshotName!);
    await repl.end().catch(() => undefined);
    repl = null;
    const C = slot.consistentPoint;
    const estimate = await session.query<{ n: string }>(
      `SELECT greatest(c.reltuples, 0)::int8 AS n FROM pg_catalog.pg_class c WHERE c.oid = $1`, [ident.relationOid]);
    const expected = Number(estimate.rows[0]?.n ?? 0);
    log_.info({ mirror: rec.id, source: rec.source, consistentPoint: formatLsn(C), estimatedRows: expected }, 'copy started');

    // 3
    const copy = await copyTable(session, rec.source, { catalog: ctx.catalog, batchRows: 4096, columnar: true });
    const columns = copy.columns.map((c) => mirrorColumn(ctx.catalog, c));
    const spec: MirrorSpec = {
      id: rec.id,
      name: `${rec.name.schema}.${rec.name.name}`,
      source: rec.source,
      relationOid: ident.relationOid,
      columns,
      key: mirrorKey(copy.columns, ident),
    };
    const mt = new MirrorTable(spec);
    const table = await openIcebergTable(ctx, rec, spec);
    let lastLog = Date.now();
    const { files, rows } = await copyIntoIceberg(copyConn, mt, table, copy.batches, {
      fileRows: o.copyFileRows,
      written,
      connect: () => ctx.duck.connect(),
      onProgress: async (p) => {
        for (const f of written) control.inProgress?.add(f);
        control.signal?.throwIfAborted();
        failpoint('mid-copy');
        await delaypoint('copy-file');
        const now = Date.now();
        if (now - lastLog < 2000) return;
        lastLog = now;
        const secs = (now - started) / 1000;
        const rate = p.rows / Math.max(secs, 0.001);
        const eta = expected > p.rows ? Math.round((expected - p.rows) / Math.max(rate, 1)) : 0;
        log_.info({ mirror: rec.id, rows: p.rows, files: p.files, rowsPerSec: Math.round(rate), etaSec: eta }, 'copy progress');
      },
    });
    await session.query('COMMIT');

    // 4 (not once the pipeline that started the copy is closing: a newer run copies again)
    control.signal?.throwIfAborted();
    const old = await table.planScan();
    await table.commit({
      addDataFiles: files,
      removeDataFiles: old.dataFiles.map((f) => f.path),
      removeDeleteFiles: old.deleteFiles.map((f) => f.path),
      operation: old.dataFiles.length > 0 ? 'overwrite' : 'append',
      summary: { ...flushSummary(C), [ROW_COUNT_PROPERTY]: String(rows), 'lakegate.copy': 'true' },
    });
    committed = true;
    failpoint('after-copy-commit');

    // 5
    const base = await loadBase(table, copyConn);
    const st = new MirrorState(mt, table, base, rows);
    const h = hold;
    const replayed = await ctx.applier.exclusive(async (conn) => {
      // a schema change that arrived while copying: this copy is already stale
      if (h.stale || (h.relation && !relationFits(st, h.relation))) throw new Error('source table changed during the copy; copying again');
      for (const sql of mt.dropSql()) await conn.run(sql);
      for (const sql of mt.createSql()) await conn.run(sql);
      await conn.run(mt.viewSql(base));
      const live = await ctx.applier.addLive(conn, st, ident.relationOid);
      await delaypoint('copy-join');
      const relation = { tag: 'relation' as const, relationOid: ident.relationOid, schema: rec.source.schema, name: rec.source.name,
        replicaIdentity: copy.table.replicaIdentity, columns: copy.columns };
      const n = await ctx.applier.replayHold(live, h, relation);
      ctx.applier.holds.delete(rec.id);
      return n;
    });
    await h.held.close();
    hold = null;
    st.replayedAfterCopy = replayed;
    const ms = Date.now() - started;
    log_.info({ mirror: rec.id, rows, files: files.length, replayedTxns: replayed, ms, rowsPerSec: Math.round(rows / Math.max(ms / 1000, 0.001)) }, 'copy done');
    return { st, rows, files: files.length, consistentPoint: C, ms };
  } catch (e) {
    if (hold) {
      if (ctx.applier.holds.get(hold.mirrorId) === hold) ctx.applier.holds.delete(hold.mirrorId);
      await hold.held.close();
    }
    if (!committed) for (const f of written) await ctx.storage.delete(f).catch(() => undefined);
    throw e;
  } finally {
    for (const f of written) control.inProgress?.delete(f);
    copyConn.closeSync();
    if (repl) await repl.end().catch(() => undefined);
    await session.end().catch(() => undefined);
  }
}

/** the mirror's Iceberg table: created, or (resync) loaded and brought to the new columns */
async function openIcebergTable(ctx: CopyContext, rec: MirrorRecord, spec: MirrorSpec): Promise<IcebergTable> {
  const location = ctx.locationOf(rec);
  if (!(await IcebergTable.exists(ctx.storage, location))) {
    return IcebergTable.create(ctx.storage, location, icebergSchema(spec), {
      properties: specProperties(spec),
      // table_config.iceberg.deletion_vectors: format v3, deletes as deletion vectors
      formatVersion: rec.tableConfig?.iceberg?.deletion_vectors === true ? 3 : 2,
    });
  }
  const table = await IcebergTable.load(ctx.storage, location);
  const changes = schemaChangesFor(table.schema, spec);
  if (changes) await table.updateSchema(changes);
  await table.setProperties(specProperties(spec));
  return table;
}

