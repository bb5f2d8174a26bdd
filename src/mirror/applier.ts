// The change applier: CdcEvents in (one source transaction at a time, in commit order), DuckDB transactions
// out. It is the only writer of the mirrors' DuckDB tables, on one connection; flush, copy completion and
// maintenance run their DuckDB writes through exclusive(), between source transactions.
//
// * A transaction's changes are collapsed per mirror (collapse.ts) and applied in runs of applyBatchRows into
//   an open DuckDB transaction that commits only after the source COMMIT: readers never see half of one.
//   Consecutive small transactions share one DuckDB commit (group commit: until the stream is quiet for
//   groupQuietMs, or for at most groupCommitMs/groupCommitRows); a strict reader's LSN commits its group at once.
// * Skips: a transaction with commit LSN < a mirror's durable LSN is already in its Iceberg snapshot (restart);
//   one with commit LSN < the highest end LSN processed was applied before a reconnect.
// * A table whose mirror is being copied is held (held-changes.ts) from before the copy's consistent point C;
//   on completion, held transactions with commit LSN >= C are replayed and the mirror turns live.
import type { DuckDBConnection } from '@duckdb/node-api';
import { formatLsn, type CdcEvent, type Change, type Lsn, type Relation } from '../cdc/index.js';
import { log } from '../log.js';
import { applyEffect, ApplyStaging } from '../table/apply.js';
import { Collapser } from '../table/collapse.js';
import { rebuildTailFilter } from '../table/tail-filter.js';
import { failpoint } from '../table/failpoint.js';
import type { ApplyGate } from '../table/gate.js';
import type { MirrorState } from '../table/mirror-state.js';
import type { HeldChanges } from './held-changes.js';

const log_ = log.child({ mod: 'apply' });

export interface LiveMirror {
  st: MirrorState;
  staging: ApplyStaging;
  relationOid: number;
}

export interface Hold {
  mirrorId: number;
  relationOid: number;
  /**
   * the copy's consistent point C once known (before: a lower bound of it): held transactions below it are in
   * the copy, and the ack stays at or below it until the copy and the held transactions are durable
   */
  pin: Lsn | null;
  held: HeldChanges;
  /** the newest Relation message seen for the table while held (a copy must match it) */
  relation?: Relation;
  /** the source changed in a way the copy's snapshot predates: copy again */
  stale?: boolean;
}

interface TxnState {
  commitLsn: Lsn;
  skip: boolean;
  /** the transaction's changes per mirror, until its commit hands them to the group */
  changes: Map<number, { live: LiveMirror; list: Change[] }>;
  holds: Set<Hold>;
  /** some of it already went into the group (a huge transaction): it cannot be dropped any more */
  partial: boolean;
}

/** one mirror's share of the group: consecutive committed transactions collapsed together */
interface GroupPart {
  live: LiveMirror;
  c: Collapser;
  /** commit LSN of the newest transaction in it */
  lsn: Lsn;
}

interface Waiter {
  fn: (conn: DuckDBConnection, appliedLsn: Lsn) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface ApplierOptions {
  applyBatchRows: number;
  groupQuietMs: number;
  groupCommitMs: number;
  groupCommitRows: number;
}

export interface ApplierHooks {
  /** a Relation whose columns or identity no longer fit the mirror (the mirror is already held) */
  onIncompatibleRelation(mirrorId: number, relation: Relation): void;
  /** a non-transactional logical message */
  onMessage(prefix: string, content: Buffer, lsn: Lsn): void;
  /**
   * a transactional logical message, in order with the transaction's rows (may call releaseLive). May return
   * a change point: the mirror's changes so far go into the open DuckDB transaction, then `run` changes its
   * shape in that same transaction, before the transaction's later rows.
   */
  onTxnMessage(prefix: string, content: Buffer, commitLsn: Lsn): ChangePoint | void;
  /** the applier cannot continue (DuckDB error, partial transaction lost): rebuild from Iceberg */
  onFatal(e: unknown): void;
  /** committed LSN moved */
  onCommitted(lsn: Lsn): void;
  /** an event (or other queued section) was handled: what is visible may have moved (see idle) */
  onSettled?(): void;
}

export interface ChangePoint {
  mirrorId: number;
  run(conn: DuckDBConnection, live: LiveMirror): Promise<void>;
}

/** the most rows a group committed by its appender alone may hold: one DataChunk (chunk-append.ts) */
const ALONE_MAX_ROWS = 2048;

/** what is left of a step after its synchronous part: nothing, or the rest (which talks to DuckDB) */
type Step = void | Promise<void>;

/** serialises async sections */
class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** hold the lock from now on (the caller knows nothing holds or waits for it); call the result to leave */
  enter(): () => void {
    let leave!: () => void;
    const held = new Promise<void>((r) => (leave = r));
    this.tail = this.tail.then(() => held);
    return leave;
  }
}

export class Applier implements ApplyGate {
  /** live mirrors by mirror id (a source table may have several mirrors) */
  readonly live = new Map<number, LiveMirror>();
  /** mirrors made live by the exclusive section now running: offered to readers once it commits */
  private joining: LiveMirror[] = [];

  /** the live mirrors readers may query: their DuckDB tables and views are committed */
  readable(): LiveMirror[] {
    return [...this.live.values()].filter((l) => !this.joining.includes(l));
  }
  /** mirrors being copied, by mirror id */
  readonly holds = new Map<number, Hold>();
  private byRelation = new Map<number, LiveMirror[]>();
  /** end LSN of the last processed transaction whose effects are committed in DuckDB */
  committedEnd: Lsn = 0n;
  /** end LSN of the last processed transaction (maybe still in the open DuckDB transaction) */
  private processedEnd: Lsn = 0n;
  private txn: TxnState | null = null;
  /** collapsed changes of the group not yet written to DuckDB */
  private pending = new Map<number, GroupPart>();
  private groupOpen = false;
  private groupRows = 0;
  private groupStarted = 0;
  private timer: NodeJS.Timeout | null = null;
  private waiters: Waiter[] = [];
  /** the lowest LSN a strict reader waits for: the group holding it commits at once, not on its timer */
  private wanted: Lsn | null = null;
  private commitRequested = false;
  private readonly lock = new Lock();
  private failed: unknown = null;
  private closed = false;
  stats = { txns: 0, skipped: 0, changes: 0, commits: 0 };

  constructor(readonly conn: DuckDBConnection, private readonly o: ApplierOptions, private readonly hooks: ApplierHooks) {}

  /** sink events, group commits and exclusive sections queued or running (not idle while > 0) */
  private queued = 0;
  /** Date.now() of the last event from the stream */
  lastEventMs = Date.now();

  /**
   * The stream sink. With nothing queued the event is handled at once, and only a part that talks to DuckDB
   * (a group commit, a huge transaction's run) returns a promise: the stream keeps its synchronous path for
   * the begin/changes/commit of small transactions instead of a lock hop and a socket pause per message.
   */
  readonly sink = (e: CdcEvent): Step => {
    this.lastEventMs = Date.now();
    if (this.queued > 0) return this.run(async () => this.handle(e));
    this.queued++;
    // sections queued while the step runs (a reader's commit request, exclusive work) wait for all of it
    const leave = this.lock.enter();
    const rest = this.handle(e);
    if (!rest) {
      this.settled(leave);
      return;
    }
    return rest.finally(() => this.settled(leave));
  };

  private settled(leave: () => void): void {
    leave();
    this.queued--;
    this.hooks.onSettled?.();
  }

  /** under the lock, counted as work in progress (a group half written is not "idle") */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++;
    return this.lock.run(fn).finally(() => {
      this.queued--;
      this.hooks.onSettled?.();
    });
  }

  get inTransaction(): boolean {
    return this.txn !== null;
  }

  /** nothing received is left unprocessed or uncommitted */
  get idle(): boolean {
    return this.queued === 0 && this.txn === null && !this.groupOpen && this.pending.size === 0;
  }

  /** one event, under the lock; never throws (a failure fails the applier) */
  private handle(e: CdcEvent): Step {
    if (this.failed || this.closed) return;
    try {
      const rest = this.dispatch(e);
      return rest ? rest.catch((err: unknown) => this.fail(err)) : undefined;
    } catch (err) {
      this.fail(err);
    }
  }

  private dispatch(e: CdcEvent): Step {
    switch (e.kind) {
      case 'begin':
        this.txn = { commitLsn: e.finalLsn, skip: e.finalLsn < this.processedEnd, changes: new Map(), holds: new Set(), partial: false };
        if (this.txn.skip) this.stats.skipped++;
        return;
      case 'relation':
        this.onRelation(e.relation);
        return;
      case 'changes':
        if (!this.txn || this.txn.skip) return;
        this.stats.changes += e.changes.length;
        return this.route(this.txn, e.changes, 0);
      case 'commit':
        return this.onCommit(e.commitLsn, e.endLsn);
      case 'message':
        this.hooks.onMessage(e.prefix, e.content, e.lsn);
        return;
      case 'reconnect':
        return this.onReconnect();
      default:
        return; // origin, abort (never streamed here)
    }
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = err;
    this.closeAppenders();
    log_.error({ err }, 'apply failed; mirrors will be rebuilt from Iceberg');
    if (this.groupOpen) void this.conn.run('ROLLBACK').catch(() => undefined);
    this.groupOpen = false;
    this.pending.clear();
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.hooks.onFatal(err);
  }

  private onRelation(rel: Relation): void {
    for (const h of this.holds.values()) if (h.relationOid === rel.relationOid) h.relation = rel;
    for (const live of [...(this.byRelation.get(rel.relationOid) ?? [])]) {
      if (relationFits(live.st, rel)) continue;
      log_.warn({ mirror: live.st.table.spec.name, relation: `${rel.schema}.${rel.name}` }, 'source columns or identity changed; resyncing mirror');
      this.releaseLive(live.st.id);
      this.hooks.onIncompatibleRelation(live.st.id, rel);
    }
  }

  /** stop applying to a mirror at once (its DuckDB objects stay until a copy replaces them) */
  releaseLive(mirrorId: number): LiveMirror | null {
    this.txn?.changes.delete(mirrorId);
    this.pending.delete(mirrorId);
    return this.removeLive(mirrorId);
  }

  /** route changes[from..] to the transaction's per-mirror lists */
  private route(txn: TxnState, changes: Change[], from: number): Step {
    for (let i = from; i < changes.length; i++) {
      const c = changes[i]!;
      if (c.kind === 'message') {
        const point = this.hooks.onTxnMessage(c.prefix, c.content, txn.commitLsn);
        if (point) return this.changePoint(txn, point).then(() => this.route(txn, changes, i + 1));
        continue;
      }
      if (c.kind === 'truncate') {
        for (const rel of c.relations) this.routeOne(txn, rel.relationOid, c);
      } else {
        this.routeOne(txn, c.relation.relationOid, c);
      }
    }
    for (const t of txn.changes.values()) if (t.list.length >= this.o.applyBatchRows) return this.applyRuns(txn);
  }

  /** a huge transaction goes to DuckDB in runs (inside the open transaction), bounding JS memory */
  private async applyRuns(txn: TxnState): Promise<void> {
    for (const [id, t] of txn.changes) {
      if (t.list.length >= this.o.applyBatchRows) {
        txn.partial = true;
        this.toGroup(id, t.live, t.list, txn.commitLsn);
        t.list = [];
        await this.applyPart(id);
      }
    }
  }

  /** settle a mirror's changes so far into the open DuckDB transaction, then change its shape there */
  private async changePoint(txn: TxnState, point: ChangePoint): Promise<void> {
    const live = this.live.get(point.mirrorId);
    if (!live) return;
    const t = txn.changes.get(point.mirrorId);
    if (t && t.list.length > 0) {
      txn.partial = true;
      this.toGroup(point.mirrorId, live, t.list, txn.commitLsn);
      t.list = [];
    }
    await this.applyPart(point.mirrorId);
    await this.begin();
    this.closeAppenders();
    await point.run(this.conn, live);
    live.st.touched(txn.commitLsn);
  }

  private routeOne(txn: TxnState, oid: number, c: Change): void {
    for (const live of this.byRelation.get(oid) ?? []) {
      if (txn.commitLsn < live.st.durableLsn) continue;
      let t = txn.changes.get(live.st.id);
      if (!t) txn.changes.set(live.st.id, (t = { live, list: [] }));
      t.list.push(c);
    }
    if (this.holds.size === 0) return;
    for (const hold of this.holds.values()) {
      if (hold.relationOid !== oid || (hold.pin !== null && txn.commitLsn < hold.pin)) continue;
      hold.held.add(c);
      txn.holds.add(hold);
    }
  }

  /** hand a transaction's changes to the group's collapser of that mirror */
  private toGroup(id: number, live: LiveMirror, list: Change[], lsn: Lsn): void {
    if (list.length === 0) return;
    let part = this.pending.get(id);
    if (!part) {
      if (this.pending.size === 0 && !this.groupOpen) this.groupStarted = Date.now();
      this.pending.set(id, (part = { live, c: new Collapser(live.st.table), lsn }));
    }
    for (const c of list) part.c.add(c);
    if (lsn > part.lsn) part.lsn = lsn;
    this.groupRows += list.length;
  }

  private async begin(): Promise<void> {
    if (this.groupOpen) return;
    await this.conn.run('BEGIN TRANSACTION');
    this.groupOpen = true;
  }

  /** write one mirror's pending part into the open DuckDB transaction */
  private async applyPart(id: number): Promise<void> {
    const part = this.pending.get(id);
    if (!part) return;
    this.pending.delete(id);
    if (part.c.empty) return;
    await this.begin();
    await applyEffect(this.conn, part.live.st, part.live.staging, part.c.take(), part.lsn);
  }

  private onCommit(commitLsn: Lsn, endLsn: Lsn): Step {
    const txn = this.txn;
    this.txn = null;
    if (!txn || txn.skip) return this.afterCommit(endLsn);
    for (const [id, t] of txn.changes) this.toGroup(id, t.live, t.list, commitLsn);
    const applied = (): Step => {
      failpoint('mid-apply');
      this.stats.txns++;
      return this.afterCommit(endLsn);
    };
    if (txn.holds.size === 0) return applied();
    return (async () => {
      for (const h of txn.holds) await h.held.commit(commitLsn, endLsn);
      await applied();
    })();
  }

  /** a source transaction is in the group: commit the group now, or later */
  private afterCommit(endLsn: Lsn): Step {
    if (endLsn > this.processedEnd) this.processedEnd = endLsn;
    if (!this.groupOpen && this.pending.size === 0) {
      this.setCommitted(this.processedEnd);
    } else if (
      this.waiters.length > 0 ||
      (this.wanted !== null && this.processedEnd >= this.wanted) ||
      this.groupRows >= this.o.groupCommitRows ||
      Date.now() - this.groupStarted >= this.o.groupCommitMs
    ) {
      return this.commitThenWaiters();
    } else {
      for (const part of this.pending.values()) if (part.c.size >= this.o.applyBatchRows) return this.applyBigParts();
      this.scheduleGroupCommit();
    }
    if (this.waiters.length > 0) return this.runWaiters();
  }

  private async commitThenWaiters(): Promise<void> {
    await this.commitGroup();
    if (this.waiters.length > 0) await this.runWaiters();
  }

  private async applyBigParts(): Promise<void> {
    for (const [id, part] of [...this.pending]) if (part.c.size >= this.o.applyBatchRows) await this.applyPart(id);
    this.scheduleGroupCommit();
    if (this.waiters.length > 0) await this.runWaiters();
  }

  private async onReconnect(): Promise<void> {
    const txn = this.txn;
    this.txn = null;
    for (const h of this.holds.values()) h.held.discardCurrent();
    if (txn?.partial) throw new Error('replication reconnected in the middle of a partly applied transaction');
    await this.commitGroup();
    if (this.waiters.length > 0) await this.runWaiters();
  }

  private scheduleGroupCommit(): void {
    if (this.timer) return;
    const due = Math.min(this.groupStarted + this.o.groupCommitMs, this.lastEventMs + this.o.groupQuietMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      // still busy: more transactions can share the commit
      if (now - this.lastEventMs < this.o.groupQuietMs && now - this.groupStarted < this.o.groupCommitMs) {
        this.scheduleGroupCommit();
        return;
      }
      void this.run(async () => {
        if (this.failed || this.closed || this.txn || (!this.groupOpen && this.pending.size === 0)) return;
        try {
          await this.commitGroup();
        } catch (err) {
          this.fail(err);
        }
      });
    }, Math.max(1, due - Date.now()));
  }

  private async commitGroup(): Promise<void> {
    if (await this.commitInsertsAlone()) {
      this.stats.commits++;
    } else {
      for (const id of [...this.pending.keys()]) await this.applyPart(id);
    }
    this.groupRows = 0;
    if (this.groupOpen) {
      await this.conn.run('COMMIT');
      this.groupOpen = false;
      this.stats.commits++;
    }
    this.setCommitted(this.processedEnd);
  }

  /**
   * A group that is one mirror's inserts, few enough for one DataChunk, goes in without BEGIN and COMMIT: the
   * appender's flush is one statement that DuckDB commits as a whole, and a failure before it sends nothing
   * (the chunk is sent whole). Saves two round trips on the path of every strict read under insert load.
   * False (nothing done) for any other group.
   */
  private async commitInsertsAlone(): Promise<boolean> {
    if (this.groupOpen || this.pending.size !== 1) return false;
    const [id, part] = this.pending.entries().next().value as [number, GroupPart];
    const rows = part.c.insertsOnly;
    if (rows === null || rows === 0 || rows > ALONE_MAX_ROWS || !part.live.staging.tailChunks) return false;
    this.pending.delete(id);
    await applyEffect(this.conn, part.live.st, part.live.staging, part.c.take(), part.lsn);
    return true;
  }

  /**
   * A reader waits until everything up to `lsn` is visible. When that is already processed (or the server's
   * position `serverLsn` says nothing up to it is still coming), the open group commits now instead of on
   * its timer; otherwise the commit that reaches `lsn` commits the group at once.
   */
  want(lsn: Lsn, serverLsn: Lsn): void {
    if (lsn <= this.committedEnd) return;
    if (this.wanted === null || lsn < this.wanted) this.wanted = lsn;
    // inside a source transaction its commit decides (see onCommit); a section queued now could only find it
    // still open and be queued again by the next wake-up, starving the socket that would finish it
    if (this.commitRequested || this.txn || this.failed || this.closed || (!this.groupOpen && this.pending.size === 0)) return;
    if (this.processedEnd < lsn && serverLsn < lsn) return;
    this.commitRequested = true;
    void this.run(async () => {
      this.commitRequested = false;
      if (this.failed || this.closed || this.txn || (!this.groupOpen && this.pending.size === 0)) return;
      try {
        await this.commitGroup();
      } catch (err) {
        this.fail(err);
      }
    });
  }

  private setCommitted(lsn: Lsn): void {
    if (lsn <= this.committedEnd) return;
    this.committedEnd = lsn;
    if (this.wanted !== null && lsn >= this.wanted) this.wanted = null;
    this.hooks.onCommitted(lsn);
  }

  /** ApplyGate: run between source transactions in a DuckDB transaction of its own */
  exclusive<T>(fn: (conn: DuckDBConnection, appliedLsn: Lsn) => Promise<T>): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.closed) return Promise.reject(new Error('applier closed'));
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({ fn: fn as Waiter['fn'], resolve: resolve as Waiter['resolve'], reject });
      void this.run(async () => {
        if (this.txn === null && !this.failed) await this.runWaiters();
      });
    });
  }

  private async runWaiters(): Promise<void> {
    try {
      await this.commitGroup();
    } catch (err) {
      this.fail(err);
      return;
    }
    while (this.waiters.length > 0) {
      const w = this.waiters.shift()!;
      try {
        await this.conn.run('BEGIN TRANSACTION');
      } catch (err) {
        w.reject(err);
        this.fail(err);
        return;
      }
      this.closeAppenders();
      try {
        const r = await w.fn(this.conn, this.committedEnd);
        await this.conn.run('COMMIT');
        w.resolve(r);
      } catch (err) {
        await this.conn.run('ROLLBACK').catch(() => undefined);
        // their tables went with the rollback
        for (const l of this.joining) if (this.live.get(l.st.id) === l) this.removeLive(l.st.id);
        w.reject(err);
      } finally {
        this.joining = [];
      }
    }
  }

  // ---- mirrors joining and leaving (call inside exclusive) ------------------------------------------------

  /** make a mirror live; its DuckDB tables must exist */
  async addLive(conn: DuckDBConnection, st: MirrorState, relationOid: number): Promise<LiveMirror> {
    const staging = new ApplyStaging(st.table);
    await staging.create(conn);
    if (staging.filterable) st.tailKeys = await rebuildTailFilter(conn, st.table, st.tailRows);
    const live: LiveMirror = { st, staging, relationOid };
    this.removeLive(st.id);
    this.live.set(st.id, live);
    this.joining.push(live);
    this.byRelation.set(relationOid, [...(this.byRelation.get(relationOid) ?? []), live]);
    return live;
  }

  /** replay a hold's transactions into a live mirror (inside exclusive, after addLive) */
  async replayHold(live: LiveMirror, hold: Hold, relation: Relation): Promise<number> {
    let n = 0;
    for await (const t of hold.held.replay(relation)) {
      if (hold.pin !== null && t.commitLsn < hold.pin) continue;
      if (t.commitLsn < live.st.durableLsn) continue;
      const c = new Collapser(live.st.table);
      for (const ch of t.changes) c.add(ch);
      await applyEffect(this.conn, live.st, live.staging, c.take(), t.commitLsn);
      n++;
    }
    return n;
  }

  /** appends are all that ran since the appenders were opened; anything else may reshape their tables */
  private closeAppenders(): void {
    for (const l of this.live.values()) l.staging.closeAppenders();
  }

  removeLive(mirrorId: number): LiveMirror | null {
    const l = this.live.get(mirrorId);
    if (!l) return null;
    l.staging.closeAppenders();
    this.live.delete(mirrorId);
    const rest = (this.byRelation.get(l.relationOid) ?? []).filter((x) => x !== l);
    if (rest.length) this.byRelation.set(l.relationOid, rest);
    else this.byRelation.delete(l.relationOid);
    return l;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.lock.run(async () => {
      if (!this.failed && !this.txn) await this.commitGroup().catch(() => undefined);
      else if (this.groupOpen) await this.conn.run('ROLLBACK').catch(() => undefined);
      this.groupOpen = false;
      this.pending.clear();
      this.closeAppenders();
    });
    for (const w of this.waiters.splice(0)) w.reject(new Error('applier closed'));
  }

  describe(): string {
    return `committed ${formatLsn(this.committedEnd)}, ${this.live.size} live, ${this.holds.size} held`;
  }
}

/** Do a Relation's columns and replica identity still fit the mirror built from the table? */
export function relationFits(st: MirrorState, rel: Relation): boolean {
  const cols = st.table.spec.columns;
  if (rel.columns.length !== cols.length) return false;
  for (let i = 0; i < cols.length; i++) {
    const a = cols[i]!;
    const b = rel.columns[i]!;
    if (a.name !== b.name || a.typeOid !== b.typeOid || a.typmod !== b.typmod) return false;
  }
  if (rel.replicaIdentity === 'full') return true; // old rows are whole: any mirror identity can be matched
  if (!st.table.keyed) return false;
  // old keys arrive with the replica identity's columns: they must include the mirror's key
  return st.table.spec.key.every((i) => rel.columns[i]!.isKey);
}
