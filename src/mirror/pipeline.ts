// One run of the mirroring pipeline: slot + publication, mirrors loaded from Iceberg, the change stream into
// the applier, copies of new mirrors, the flush/maintenance scheduler and the ack timer. When anything makes
// DuckDB and Iceberg disagree, the service closes the run and starts a new one — the same path as a restart
// after kill -9, so there is exactly one recovery procedure.
import pg from 'pg';
import {
  createSlot,
  describeTable,
  ensurePublication,
  formatLsn,
  openReplicationConnection,
  openSession,
  ResilientChangeStream,
  slotState,
  UnsupportedTypeError,
  type Lsn,
  type Relation,
  type TypeCatalog,
} from '../cdc/index.js';
import type { SharedDuckDB } from '../engine/duckdb.js';
import { IcebergTable } from '../iceberg/index.js';
import { log } from '../log.js';
import type { Storage } from '../storage/index.js';
import { UnsupportedStorageError, type MirrorStorages } from './storages.js';
import { UnrepresentableValueError } from '../table/unrepresentable.js';
import { loadBase } from '../table/base.js';
import { flushMirror, ROW_COUNT_PROPERTY, type FlushResult } from '../table/flush.js';
import { MirrorStateLostError } from '../table/gate.js';
import { compactMirror, expireSnapshots, removeOrphans, type CompactionResult } from '../table/maintenance.js';
import { MirrorState } from '../table/mirror-state.js';
import { MirrorTable } from '../table/mirror-table.js';
import { Applier, relationFits, type ChangePoint, type LiveMirror } from './applier.js';
import { LsnWaiters } from './lsn-waiters.js';
import { WalBarrier } from './wal-barrier.js';
import { evolveMirror, type SourceColumn } from './schema-evolution.js';
import { copyMirror, type CopyContext } from './copier.js';
import { specFromProperties } from './mirror-spec.js';
import type { MirrorServiceOptions } from './options.js';
import type { MirrorRecord, MirrorRegistry, MirrorRequest } from './registry.js';

const log_ = log.child({ mod: 'mirror' });

export interface PipelineDeps {
  upstream: pg.ClientConfig;
  /** the warehouse, and the storages mirrors' table_config name */
  storages: MirrorStorages;
  duck: SharedDuckDB;
  registry: MirrorRegistry;
  options: MirrorServiceOptions;
  catalog: TypeCatalog;
  /** files being written by running copies (orphan cleanup leaves them alone) */
  inProgressFiles: Set<string>;
  onFatal(e: unknown): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * A strict reader waits for the stream while it is moving (an event within this many ms before the wait, or
 * since the last look); on a still stream it writes a WAL barrier (wal-barrier.ts) at once. The looks back off
 * from this interval to 1 s.
 */
const STREAM_MOVING_MS = 2;

/** registry states the service keeps a mirror for */
const wanted = (r: MirrorRecord) => r.state === 'pending' || r.state === 'copying' || r.state === 'ready';

export class Pipeline {
  readonly applier: Applier;
  private stream: ResilientChangeStream | null = null;
  private running: Promise<void> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private startConfirmed: Lsn = 0n;
  private database = '';
  /** mirrors being copied, by id */
  private copying = new Map<number, Promise<void>>();
  /** mirrors whose files are being deleted */
  private dropping = new Set<number>();
  private copyAbort = new AbortController();
  /** one flush or compaction at a time (one maintenance connection each) */
  private work: Promise<unknown> = Promise.resolve();
  private flushing = new Set<number>();
  private lastMaintenance = Date.now();
  private lastOrphanSweep = 0;
  private lsnWaiters = new LsnWaiters();
  private barrier: WalBarrier;
  records = new Map<number, MirrorRecord>();

  private constructor(
    private readonly d: PipelineDeps,
    private readonly applyConn: Awaited<ReturnType<SharedDuckDB['connect']>>,
    private readonly flushConn: Awaited<ReturnType<SharedDuckDB['connect']>>,
  ) {
    const o = d.options;
    this.barrier = new WalBarrier(d.upstream);
    this.applier = new Applier(applyConn, o, {
      onIncompatibleRelation: (id, rel) => this.onIncompatibleRelation(id, rel),
      onMessage: (prefix, content) => this.onMessage(prefix, content),
      onTxnMessage: (prefix, content) => this.onTxnMessage(prefix, content),
      onFatal: (e) => d.onFatal(e),
      onCommitted: () => this.releaseWaiters(),
      onSettled: () => this.releaseWaiters(),
    });
  }

  static async start(d: PipelineDeps): Promise<Pipeline> {
    const applyConn = await d.duck.connect();
    const flushConn = await d.duck.connect();
    const p = new Pipeline(d, applyConn, flushConn);
    try {
      await p.init();
    } catch (e) {
      await p.close({ flush: false });
      throw e;
    }
    return p;
  }

  private get o(): MirrorServiceOptions {
    return this.d.options;
  }

  private async init(): Promise<void> {
    const session = await openSession(this.d.upstream);
    let newSlot = false;
    try {
      this.database = (await session.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
      await ensurePublication(session, this.o.publication);
      let slot = await slotState(session, this.o.slot);
      if (!slot) {
        const repl = await openReplicationConnection(this.d.upstream);
        try {
          await createSlot(repl, this.o.slot, { snapshot: 'nothing' });
        } finally {
          await repl.end().catch(() => undefined);
        }
        slot = await slotState(session, this.o.slot);
        newSlot = true;
        log_.info({ slot: this.o.slot }, 'created replication slot');
      }
      this.startConfirmed = slot?.confirmedFlushLsn ?? 0n;

      // mirrors with an Iceberg snapshot come back from it; the rest are copied
      const toCopy: MirrorRecord[] = [];
      for (const rec of await this.d.registry.list()) {
        if (rec.state === 'dropping') {
          this.dropping.add(rec.id);
          void this.dropMirror(rec.id, rec).finally(() => this.dropping.delete(rec.id));
          continue;
        }
        if (!wanted(rec)) continue;
        this.records.set(rec.id, rec);
        const st = newSlot ? null : await this.loadMirror(session, rec);
        if (!st) toCopy.push(rec);
      }
      for (const rec of toCopy) this.startCopy(rec);
    } finally {
      await session.end().catch(() => undefined);
    }

    this.stream = new ResilientChangeStream({
      connection: this.d.upstream,
      slot: this.o.slot,
      publications: [this.o.publication],
      catalog: this.d.catalog,
      binary: true,
      messages: true,
      statusIntervalMs: Math.max(1000, this.o.ackIntervalMs),
      onServerPosition: () => this.releaseWaiters(),
    });
    this.running = this.stream.run(() => this.ackLsn(), this.applier.sink).catch((e) => this.d.onFatal(e));
    this.timers.push(setInterval(() => this.ack(), this.o.ackIntervalMs));
    this.timers.push(setInterval(() => this.tick(), this.o.tickMs));
    for (const t of this.timers) t.unref();
    log_.info({ slot: this.o.slot, from: formatLsn(this.startConfirmed), mirrors: this.records.size }, 'mirror pipeline started');
  }

  /** A mirror whose Iceberg table has a snapshot and still matches its source: make it live. */
  private async loadMirror(session: pg.Client, rec: MirrorRecord): Promise<MirrorState | null> {
    let storage: Storage;
    try {
      storage = this.storageOf(rec);
    } catch {
      return null; // the copy attempt reports why
    }
    const location = this.locationOf(rec);
    if (!(await IcebergTable.exists(storage, location))) return null;
    const table = await IcebergTable.load(storage, location);
    const snap = table.currentSnapshot;
    if (!snap) return null;
    const spec = await specFromProperties(table.properties, this.d.catalog, session);
    if (!spec || spec.id !== rec.id) return null;
    // the source must still look like the mirror (else: copy again)
    try {
      const desc = await describeTable(session, rec.source);
      const rel: Relation = { tag: 'relation', relationOid: desc.relationOid, schema: desc.schema, name: desc.name, replicaIdentity: desc.replicaIdentity, columns: desc.columns };
      const mt = new MirrorTable(spec);
      // a v3 table's deletion vectors are materialised through DuckDB; not on the flush connection, which a
      // running flush may be using
      const vc = table.formatVersion >= 3 ? await this.d.duck.connect() : undefined;
      const base = await loadBase(table, vc).finally(() => vc?.closeSync());
      const rowCount = Number(snap.summary[ROW_COUNT_PROPERTY] ?? '0');
      const st = new MirrorState(mt, table, base, rowCount);
      if (desc.relationOid !== spec.relationOid || !relationFits(st, rel)) {
        log_.warn({ mirror: rec.id }, 'source table changed while stopped; copying again');
        return null;
      }
      await this.applier.exclusive(async (conn) => {
        for (const sql of mt.dropSql()) await conn.run(sql);
        for (const sql of mt.createSql()) await conn.run(sql);
        await conn.run(mt.viewSql(base));
        await this.applier.addLive(conn, st, spec.relationOid);
      });
      await this.d.registry.setState(rec.id, 'ready');
      log_.info({ mirror: spec.name, flushLsn: formatLsn(base.flushLsn), rows: rowCount, files: base.dataFiles.length }, 'mirror loaded');
      return st;
    } catch (e) {
      log_.warn({ mirror: rec.id, err: (e as Error).message }, 'mirror could not be loaded; copying again');
      return null;
    }
  }

  /** the storage of a mirror's Iceberg table (throws UnsupportedStorageError for a table_config lakegate cannot use) */
  storageOf(rec: MirrorRecord): Storage {
    return this.d.storages.of(rec);
  }

  locationOf(rec: MirrorRecord): string {
    const storage = this.storageOf(rec);
    if (rec.location) return storage.uri(rec.location);
    const part = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
    return storage.uri(`${part(this.database)}/${part(rec.name.schema)}/${part(rec.name.name)}`);
  }

  // ---- copies -----------------------------------------------------------------------------------------------

  private startCopy(rec: MirrorRecord): void {
    if (this.copying.has(rec.id) || this.closed) return;
    const ctx: CopyContext = {
      upstream: this.d.upstream,
      storage: this.d.storages.warehouse,
      duck: this.d.duck,
      applier: this.applier,
      catalog: this.d.catalog,
      options: this.o,
      locationOf: (r) => this.locationOf(r),
    };
    const run = async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        if (!this.records.has(rec.id)) return;
        try {
          await this.d.registry.setState(rec.id, 'copying');
          const cur = this.records.get(rec.id) ?? rec;
          const res = await copyMirror({ ...ctx, storage: this.storageOf(cur) }, cur, { signal: this.copyAbort.signal, inProgress: this.d.inProgressFiles });
          if (this.closed) return;
          if (!this.records.has(rec.id)) {
            await this.dropMirror(rec.id, rec).finally(() => this.dropping.delete(rec.id));
            return;
          }
          if (!rec.location) await this.d.registry.setLocation?.(rec.id, res.st.iceberg.location);
          await this.reportProgress(res.st);
          await this.d.registry.setState(rec.id, 'ready');
          // a drop seen by reconcile during the awaits above left this copy to finish the job
          if (!this.records.has(rec.id)) await this.dropMirror(rec.id, rec).finally(() => this.dropping.delete(rec.id));
          return;
        } catch (e) {
          if (this.closed) return;
          const msg = (e as Error).message;
          const permanent =
            e instanceof UnsupportedTypeError ||
            e instanceof UnsupportedStorageError ||
            e instanceof UnrepresentableValueError ||
            /does not exist|not supported|no binary codec/i.test(msg);
          log_.error({ mirror: rec.id, err: msg, attempt, permanent }, 'copy failed');
          await this.d.registry.setState(rec.id, permanent ? 'failed' : 'copying', msg).catch(() => undefined);
          if (permanent) return;
          await sleep(Math.min(60_000, this.o.copyRetryMs * 2 ** Math.min(attempt, 4)));
        }
      }
    };
    const p = run().finally(() => this.copying.delete(rec.id));
    this.copying.set(rec.id, p);
  }

  private onIncompatibleRelation(id: number, _rel: Relation): void {
    const rec = this.records.get(id);
    if (rec) this.startCopy(rec);
  }

  /**
   * Control-plane messages written in the source transaction: a changed column list (alter_table) becomes a
   * change point that evolves the mirror in place at that point of the stream (evolve); a partition attached
   * with rows that never were in the WAL means the mirror must be copied again from a snapshot after this
   * transaction. (Detached, dropped or truncated partitions keep the mirror's rows.)
   */
  private onTxnMessage(prefix: string, content: Buffer): ChangePoint | void {
    if (prefix !== 'mooncake') return;
    let m: { kind?: string; mirror_id?: number; created?: boolean; columns?: SourceColumn[] };
    try {
      m = JSON.parse(content.toString('utf8'));
    } catch {
      return;
    }
    const id = Number(m.mirror_id);
    const live = [...this.applier.live.values()].find((l) => l.st.id === id);
    if (!live) {
      // a copy under way started from a snapshot before this change: make it start over
      if (m.kind === 'alter_table' || (m.kind === 'partition_attached' && m.created === false)) {
        for (const h of this.applier.holds.values()) if (h.mirrorId === id) h.stale = true;
      }
      return;
    }
    let resync = false;
    if (m.kind === 'alter_table' && Array.isArray(m.columns)) {
      const cols = live.st.table.spec.columns;
      // generated columns are not published; compare what the stream carries
      const changed = m.columns.length !== cols.length ||
        m.columns.some((c, i) => c.name !== cols[i]!.name || Number(c.type_oid) !== cols[i]!.typeOid || Number(c.typmod) !== cols[i]!.typmod);
      if (!changed) return;
      const next = m.columns;
      return { mirrorId: id, run: (conn, l) => this.evolve(conn, l, next) };
    } else if (m.kind === 'partition_attached' && m.created === false) {
      resync = true;
      log_.warn({ mirror: id }, 'a partition with existing rows was attached; copying the mirror again');
    }
    if (!resync) return;
    this.applier.releaseLive(id);
    const rec = this.records.get(id);
    if (rec) this.startCopy(rec);
  }

  /** an alter_table change point: evolve the mirror in place, or fail it, or (rarely) copy it again */
  private async evolve(conn: Parameters<ChangePoint['run']>[0], live: LiveMirror, next: SourceColumn[]): Promise<void> {
    const id = live.st.id;
    const r = await evolveMirror(conn, live, next, { upstream: this.d.upstream, catalog: this.d.catalog });
    if (r.kind === 'done') return;
    this.applier.releaseLive(id);
    if (r.kind === 'failed') {
      log_.error({ mirror: id, reason: r.reason }, 'source schema change cannot be mirrored; mirror failed');
      await this.d.registry.setState(id, 'failed', r.reason).catch((err) => log_.error({ err }, 'cannot mark mirror failed'));
      return;
    }
    log_.warn({ mirror: id, reason: r.reason }, 'source schema change needs a fresh copy; resyncing mirror');
    const rec = this.records.get(id);
    if (rec) this.startCopy(rec);
  }

  // ---- registry changes -------------------------------------------------------------------------------------

  async reconcile(): Promise<void> {
    if (this.closed) return;
    const now = new Map((await this.d.registry.list()).map((r) => [r.id, r]));
    for (const [id, rec] of now) {
      if (wanted(rec)) {
        const known = this.records.has(id);
        this.records.set(id, rec);
        if (!known) this.startCopy(rec);
      } else if (rec.state === 'dropping' && !this.dropping.has(id)) {
        const old = this.records.get(id) ?? rec;
        this.records.delete(id);
        this.dropping.add(id);
        // a running copy notices the missing record and drops what it made
        if (!this.copying.has(id)) await this.dropMirror(id, old).finally(() => this.dropping.delete(id));
      } else if (rec.state === 'failed' && this.records.has(id)) {
        this.records.delete(id);
        await this.demote(id);
      }
    }
    for (const [id, rec] of this.records) {
      if (!now.has(id)) {
        this.records.delete(id);
        if (!this.copying.has(id)) await this.dropMirror(id, rec);
      }
    }
  }

  /** stop mirroring (the source is gone): DuckDB objects go, Iceberg files stay */
  private async demote(id: number): Promise<void> {
    await this.enqueue(async () => undefined);
    await this.applier.exclusive(async (conn) => {
      const l = this.applier.removeLive(id);
      if (l) {
        for (const sql of l.st.table.dropSql()) await conn.run(sql);
        await l.staging.drop(conn);
      }
    });
  }

  private async dropMirror(id: number, rec: MirrorRecord): Promise<void> {
    const live = [...this.applier.live.values()].find((l) => l.st.id === id);
    // after any flush or compaction of it that is under way
    await this.enqueue(async () => undefined);
    await this.applier.exclusive(async (conn) => {
      const l = this.applier.removeLive(id);
      if (l) {
        for (const sql of l.st.table.dropSql()) await conn.run(sql);
        await l.staging.drop(conn);
      }
    });
    const session = await openSession(this.d.upstream);
    try {
      const stillUsed = [...this.records.values()].some((r) => r.source.schema === rec.source.schema && r.source.name === rec.source.name);
      if (!stillUsed) {
        await session.query(`ALTER PUBLICATION "${this.o.publication.replace(/"/g, '""')}" DROP TABLE "${rec.source.schema.replace(/"/g, '""')}"."${rec.source.name.replace(/"/g, '""')}"`).catch(() => undefined);
      }
    } finally {
      await session.end().catch(() => undefined);
    }
    let storage: Storage | null = live?.st.iceberg.storage ?? null;
    let location = live?.st.iceberg.location ?? null;
    try {
      storage ??= this.storageOf(rec);
      location ??= this.locationOf(rec);
    } catch {
      // a storage lakegate could not use holds no files of this mirror
    }
    const objects = storage && location ? await storage.list(location + '/').catch(() => []) : [];
    for (const o of objects) await storage!.delete(o.uri).catch(() => undefined);
    await this.d.registry.forget?.(id).catch((e) => log_.warn({ mirror: id, err: (e as Error).message }, 'could not forget a dropped mirror'));
    log_.info({ mirror: id, files: objects.length }, 'mirror dropped');
  }

  // ---- flush, maintenance, ack ------------------------------------------------------------------------------

  /** serialise flush/compaction work on the maintenance connection */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.work.then(fn, fn);
    this.work = p.catch(() => undefined);
    return p;
  }

  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    let total = 0;
    let largest: LiveMirror | null = null;
    for (const l of this.applier.live.values()) {
      const st = l.st;
      total += st.tailRows;
      if (!st.dirty || this.flushing.has(st.id)) continue;
      if (!largest || st.tailRows > largest.st.tailRows) largest = l;
      const size = st.tailRows + st.pendingDeletes;
      const idle = this.o.idleFlushMs > 0 && this.applier.idle && now - this.applier.lastEventMs >= this.o.idleFlushMs;
      if (size >= this.o.flushRows || now - (st.dirtySinceMs ?? now) >= this.o.flushAgeMs || idle) void this.flush(st).catch(() => undefined);
    }
    if (total > this.o.maxTailRows && largest) void this.flush(largest.st).catch(() => undefined);
    if (this.o.maintenanceIntervalMs > 0 && now - this.lastMaintenance >= this.o.maintenanceIntervalMs) {
      this.lastMaintenance = now;
      void this.maintainAll(false).catch((e) => log_.warn({ err: (e as Error).message }, 'maintenance failed'));
    }
  }

  /** flush one mirror now (queued behind other flush/maintenance work) */
  flush(st: MirrorState): Promise<FlushResult | null> {
    this.flushing.add(st.id);
    return this.enqueue(async () => {
      try {
        if (this.closed || !this.isLive(st)) return null;
        const r = await flushMirror(this.applier, this.flushConn, st, () => this.isLive(st));
        if (r) {
          await this.reportProgress(st);
          this.ack();
        }
        return r;
      } catch (e) {
        if (e instanceof MirrorStateLostError) this.d.onFatal(e);
        else log_.error({ mirror: st.table.spec.name, err: (e as Error).message }, 'flush failed');
        throw e;
      } finally {
        this.flushing.delete(st.id);
      }
    });
  }

  private isLive(st: MirrorState): boolean {
    for (const l of this.applier.live.values()) if (l.st === st) return true;
    return false;
  }

  async flushAll(): Promise<FlushResult[]> {
    const out: FlushResult[] = [];
    for (const l of [...this.applier.live.values()]) {
      const r = await this.flush(l.st);
      if (r) out.push(r);
    }
    return out;
  }

  /** compaction, snapshot expiry and orphan removal of every live mirror (or one) */
  async maintainAll(force: boolean, only?: MirrorState, mode: 'auto' | 'data' | 'full' = force ? 'data' : 'auto'): Promise<CompactionResult[]> {
    const out: CompactionResult[] = [];
    const sweepOrphans = force || Date.now() - this.lastOrphanSweep >= this.o.orphanAgeMs / 4;
    if (sweepOrphans) this.lastOrphanSweep = Date.now();
    for (const l of [...this.applier.live.values()]) {
      const st = l.st;
      if (only && st !== only) continue;
      const r = await this.enqueue(async () => {
        if (this.closed || !this.isLive(st)) return null;
        // table_config mooncake.skip_data_compaction: background maintenance leaves the data files alone
        const skipCompaction = !force && this.records.get(st.id)?.tableConfig?.mooncake?.skip_data_compaction === true;
        try {
          const c = skipCompaction ? null : await compactMirror(this.applier, this.flushConn, st, {
            minFiles: this.o.compactMinFiles,
            bigFileRows: this.o.copyFileRows,
            targetBytes: this.o.compactTargetBytes,
            deletedRatio: this.o.rewriteDeletedRatio,
            mode,
          }, () => this.isLive(st));
          await expireSnapshots(st, force ? 0 : this.o.snapshotRetentionMs);
          if (sweepOrphans) await removeOrphans(st, this.o.orphanAgeMs, this.d.inProgressFiles);
          if (c) await this.reportProgress(st);
          return c;
        } catch (e) {
          if (e instanceof MirrorStateLostError) this.d.onFatal(e);
          throw e;
        }
      });
      if (r) out.push(r);
    }
    return out;
  }

  private async reportProgress(st: MirrorState, catalog = true): Promise<void> {
    const reg = this.d.registry;
    const table = st.iceberg;
    try {
      await reg.setProgress(st.id, {
        commitLsn: this.applier.committedEnd > st.durableLsn ? this.applier.committedEnd : st.durableLsn,
        flushLsn: st.durableLsn,
        rowCount: st.baseRows,
        dataFiles: st.base.dataFiles.length,
        snapshotId: st.base.snapshotId,
        metadataLocation: table.metadataUri,
      });
      const rec = this.records.get(st.id);
      if (catalog && reg.upsertIcebergCatalog && rec) {
        const prev = table.metadata['metadata-log'].at(-1)?.['metadata-file'] ?? null;
        await reg.upsertIcebergCatalog({ namespace: rec.name.schema, name: rec.name.name, metadataLocation: table.metadataUri, previousMetadataLocation: prev });
      }
    } catch (e) {
      log_.warn({ mirror: st.id, err: (e as Error).message }, 'registry progress update failed');
    }
  }

  /**
   * The slot may confirm up to here: everything committed in DuckDB, but not past the oldest durable LSN of a
   * mirror with unflushed changes, nor past the consistent point of a copy whose held changes are not yet in.
   */
  ackLsn(): Lsn {
    let ack = this.applier.committedEnd;
    for (const l of this.applier.live.values()) if (l.st.dirty && l.st.durableLsn < ack) ack = l.st.durableLsn;
    for (const h of this.applier.holds.values()) if (h.pin !== null && h.pin < ack) ack = h.pin;
    return ack > this.startConfirmed ? ack : this.startConfirmed;
  }

  private progressRunning = false;

  private ack(): void {
    if (this.closed) return;
    this.stream?.ack(this.ackLsn());
    // commit_lsn moves for every mirror with every processed transaction, not only for changed ones
    if (this.progressRunning) return;
    this.progressRunning = true;
    void (async () => {
      for (const l of [...this.applier.live.values()]) await this.reportProgress(l.st, false);
    })().finally(() => {
      this.progressRunning = false;
    });
  }

  /** the server's WAL position as last reported (data or keepalive) */
  private get receivedLsn(): Lsn {
    return this.stream?.stream?.receivedLsn ?? 0n;
  }

  /**
   * highest LSN known to be reflected in DuckDB: the last committed group, or — when everything received is
   * committed — the server's reported position (what lies between touched no mirror)
   */
  visibleLsn(): Lsn {
    let lsn = this.applier.committedEnd;
    const received = this.receivedLsn;
    if (this.applier.idle && received > lsn) lsn = received;
    return lsn;
  }

  private releaseWaiters(): void {
    if (this.lsnWaiters.size === 0) return;
    this.lsnWaiters.release(this.visibleLsn());
    const low = this.lsnWaiters.lowest();
    if (low !== null) this.applier.want(low, this.receivedLsn);
  }

  async waitForLsn(lsn: Lsn, timeoutMs: number): Promise<boolean> {
    if (this.visibleLsn() >= lsn) return true;
    if (this.closed) return false;
    const done = this.lsnWaiters.add(lsn, timeoutMs);
    this.applier.want(lsn, this.receivedLsn);
    void this.nudge(lsn, done);
    return done;
  }

  /** while a waiter is pending and nothing up to its LSN comes in, write WAL barriers (backing off) */
  private async nudge(lsn: Lsn, done: Promise<boolean>): Promise<void> {
    let settled = false;
    void done.then(() => (settled = true));
    // The position a reader waits for is often past the last record the walsender will send anything for
    // (hint-bit page images, empty transactions, other databases' work): a still stream would not bring it.
    // Only a stream that is moving (events arriving, under write load) is left to catch up by itself.
    let since = Date.now() - STREAM_MOVING_MS;
    for (let delay = 0; ; delay = Math.min(Math.max(2 * delay, STREAM_MOVING_MS), 1000)) {
      if (delay > 0) await sleep(delay);
      if (settled || this.closed) return;
      const moving = this.applier.lastEventMs >= since;
      since = Date.now();
      if (this.receivedLsn < lsn && !moving) await this.barrier.emit();
    }
  }

  // ---- requests ---------------------------------------------------------------------------------------------

  private onMessage(prefix: string, content: Buffer): void {
    if (prefix !== 'mooncake') return;
    let req: MirrorRequest;
    try {
      req = JSON.parse(content.toString('utf8')) as MirrorRequest;
    } catch {
      log_.warn({ content: content.toString('utf8').slice(0, 200) }, 'unparsable mooncake request');
      return;
    }
    void this.answer(req);
  }

  private findLive(ref: number | string): MirrorState | null {
    for (const l of this.applier.live.values()) {
      const s = l.st.table.spec;
      if (typeof ref === 'number' || /^\d+$/.test(String(ref))) {
        if (s.id === Number(ref)) return l.st;
      } else if (s.name === ref || s.name.split('.').slice(1).join('.') === ref) {
        return l.st;
      }
    }
    return null;
  }

  private async answer(req: MirrorRequest): Promise<void> {
    const reg = this.d.registry;
    try {
      const ref = (req.mirror_id as number | undefined) ?? req.mirror;
      // a mirror still being copied answers once its copy is in
      let st = this.findLive(ref);
      for (let waited = 0; !st && waited < 120_000 && !this.closed && this.copying.size > 0; waited += 50) {
        await sleep(50);
        st = this.findLive(ref);
      }
      if (!st) throw new Error(`mirror ${String(req.mirror)} is not ready`);
      if (req.kind === 'create_snapshot') {
        await this.flush(st);
      } else if (req.kind === 'optimize' || req.kind === 'optimize_table') {
        await this.flush(st);
        await this.maintainAll(true, st, req.mode === 'full' ? 'full' : 'data');
      } else {
        throw new Error(`unknown request kind ${req.kind}`);
      }
      await reg.writeRequestResult(req.id, { ok: true, lsn: st.durableLsn, snapshotId: st.base.snapshotId });
    } catch (e) {
      await reg.writeRequestResult(req.id, { ok: false, message: (e as Error).message }).catch(() => undefined);
    }
  }

  // ---- shutdown ---------------------------------------------------------------------------------------------

  async close(o: { flush: boolean }): Promise<void> {
    if (o.flush && !this.closed) {
      await this.flushAll().catch((e) => log_.warn({ err: (e as Error).message }, 'final flush failed'));
    }
    this.closed = true;
    this.lsnWaiters.cancelAll();
    this.copyAbort.abort();
    for (const t of this.timers) clearInterval(t);
    if (this.stream) {
      this.stream.ack(this.ackLsn());
      await this.stream.stop().catch(() => undefined);
    }
    await this.running?.catch(() => undefined);
    await this.applier.close();
    await this.barrier.close();
    await Promise.allSettled([...this.copying.values()]);
    await this.work.catch(() => undefined);
    for (const h of this.applier.holds.values()) await h.held.close();
    // DuckDB objects of this run go; the next run (or process) rebuilds them from Iceberg + the slot
    const conn = this.applyConn;
    for (const l of this.applier.live.values()) {
      for (const sql of l.st.table.dropSql()) await conn.run(sql).catch(() => undefined);
      await l.staging.drop(conn).catch(() => undefined);
    }
    this.applyConn.closeSync();
    this.flushConn.closeSync();
  }

  /** mirrors readers may query (their DuckDB objects are committed) */
  mirrors(): LiveMirror[] {
    return this.applier.readable();
  }

  copyingIds(): number[] {
    return [...this.copying.keys()];
  }
}
