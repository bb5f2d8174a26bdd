// Slot + snapshot + pgoutput stream against a real Postgres: gap/duplicate freedom, DML shapes, TOAST,
// schema re-sends, logical messages, streaming of large transactions, acks, reconnect and backpressure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCdcSource, type CdcSource } from './helpers/cdc.js';
import {
  ChangeStream, ResilientChangeStream, UNCHANGED_TOAST, beginSnapshot, copyTable, createPublication, createSlot,
  dropSlot, formatLsn, parseLsn, openReplicationConnection, openSession, slotState,
  type CdcEvent, type Change, type ChangeStreamOptions, type Lsn,
} from '../src/cdc/index.js';

let source: CdcSource;

before(async () => {
  source = await startCdcSource();
});
after(() => source?.close());

/** records events; waitFor resolves when a predicate over everything so far holds */
class Recorder {
  events: CdcEvent[] = [];
  private waiters: Array<{ pred: () => boolean; resolve: () => void }> = [];
  readonly sink = (ev: CdcEvent): void => {
    this.events.push(ev);
    this.waiters = this.waiters.filter((w) => (w.pred() ? (w.resolve(), false) : true));
  };
  waitFor(pred: (events: CdcEvent[]) => boolean, what: string, ms = 20_000): Promise<void> {
    if (pred(this.events)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms);
      this.waiters.push({ pred: () => pred(this.events), resolve: () => { clearTimeout(t); resolve(); } });
    });
  }
  commits(): Extract<CdcEvent, { kind: 'commit' }>[] {
    return this.events.filter((e): e is Extract<CdcEvent, { kind: 'commit' }> => e.kind === 'commit');
  }
  changes(): Change[] {
    return this.events.flatMap((e) => (e.kind === 'changes' ? e.changes : []));
  }
}

let seq = 0;
/** a fresh table + publication + slot (no snapshot) for one test */
async function setup(ddl: string, table: string): Promise<{ slot: string; pub: string; start: Lsn }> {
  const n = ++seq;
  await source.admin.query(ddl);
  const pub = `pub_${n}`;
  const slot = `slot_${n}`;
  await createPublication(source.admin, pub, [{ schema: 'public', name: table }]);
  const rc = await openReplicationConnection(source.conn);
  try {
    const s = await createSlot(rc, slot, { snapshot: 'nothing' });
    return { slot, pub, start: s.consistentPoint };
  } finally {
    await rc.end();
  }
}

function opts(slot: string, pub: string, extra: Partial<ChangeStreamOptions> = {}): ChangeStreamOptions {
  return { connection: source.conn, slot, publications: [pub], ...extra };
}

async function confirmedFlush(slot: string): Promise<Lsn> {
  return (await slotState(source.admin, slot))!.confirmedFlushLsn!;
}

async function until(pred: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('exported snapshot: a row committed right after slot creation is in the stream, not in the copy', async () => {
  await source.admin.query(`CREATE TABLE snap (id int PRIMARY KEY, v text);
    INSERT INTO snap SELECT g, 'r' || g FROM generate_series(1, 1000) g`);
  await createPublication(source.admin, 'snap_pub', [{ schema: 'public', name: 'snap' }]);
  const rc = await openReplicationConnection(source.conn);
  const copier = await openSession(source.conn);
  const rec = new Recorder();
  let stream: ChangeStream | undefined;
  try {
    const slot = await createSlot(rc, 'snap_slot');
    assert.ok(slot.snapshotName);
    await source.admin.query(`INSERT INTO snap VALUES (1001, 'after')`);
    await source.admin.query(`UPDATE snap SET v = 'changed' WHERE id = 1`);

    await beginSnapshot(copier, slot.snapshotName);
    const copy = await copyTable(copier, { schema: 'public', name: 'snap' }, { batchRows: 300 });
    const ids = new Set<number>();
    let v1: unknown;
    for await (const batch of copy.batches) {
      assert.ok(batch.length <= 300);
      for (const row of batch) {
        ids.add(row[0] as number);
        if (row[0] === 1) v1 = row[1];
      }
    }
    await copier.query('COMMIT');
    assert.equal(ids.size, 1000);
    assert.ok(!ids.has(1001), 'row inserted after slot creation must not be in the copy');
    assert.equal(v1, 'r1', 'copy sees the pre-slot version');

    // reuse the slot's walsender connection for streaming, as the snapshot is no longer needed
    stream = new ChangeStream(opts('snap_slot', 'snap_pub', { client: rc }));
    await stream.start(slot.consistentPoint, rec.sink);
    await rec.waitFor(() => rec.commits().length >= 2, 'two transactions');
    const ch = rec.changes();
    assert.equal(ch.length, 2);
    assert.ok(ch[0]!.kind === 'insert' && ch[0]!.new[0] === 1001 && ch[0]!.new[1] === 'after');
    assert.ok(ch[1]!.kind === 'update' && ch[1]!.new[0] === 1 && ch[1]!.new[1] === 'changed');
  } finally {
    await stream?.stop();
    await copier.end().catch(() => {});
    await rc.end().catch(() => {});
  }
});

test('update/delete under REPLICA IDENTITY DEFAULT and FULL, truncate, transactional and plain messages', async () => {
  const { slot, pub, start } = await setup(`CREATE TABLE dml (id int PRIMARY KEY, a text, b int)`, 'dml');
  const rec = new Recorder();
  const stream = new ChangeStream(opts(slot, pub));
  try {
    await stream.start(start, rec.sink);
    await source.admin.query(`INSERT INTO dml VALUES (1, 'one', 10), (2, 'two', 20), (3, 'three', 30)`);
    await source.admin.query(`UPDATE dml SET a = 'uno' WHERE id = 1`); // default identity, key unchanged: no old image
    await source.admin.query(`UPDATE dml SET id = 20 WHERE id = 2`); // key changed: old key only
    await source.admin.query(`DELETE FROM dml WHERE id = 3`); // key only
    await source.admin.query(`ALTER TABLE dml REPLICA IDENTITY FULL`);
    await source.admin.query(`UPDATE dml SET b = 11 WHERE id = 1`);
    await source.admin.query(`DELETE FROM dml WHERE id = 20`);
    await source.admin.query(`BEGIN; SELECT pg_logical_emit_message(true, 'ddl', 'ALTER something');
      INSERT INTO dml VALUES (4, 'four', 40); COMMIT`);
    await source.admin.query(`SELECT pg_logical_emit_message(false, 'ping', '\\x00ff'::bytea)`);
    await source.admin.query(`TRUNCATE dml`);
    await rec.waitFor(() => rec.commits().length >= 8, '8 transactions');

    const ch = rec.changes();
    const [ins, , , upd1, upd2, del1, upd3, del2, msg, ins4, trunc] = ch;
    assert.equal(ch.length, 11);
    assert.ok(ins!.kind === 'insert');
    assert.deepStrictEqual(ins.new, [1, 'one', 10]);
    assert.ok(upd1!.kind === 'update');
    assert.equal(upd1.oldKind, null);
    assert.equal(upd1.old, null);
    assert.deepStrictEqual(upd1.new, [1, 'uno', 10]);
    assert.ok(upd2!.kind === 'update');
    assert.equal(upd2.oldKind, 'key');
    assert.deepStrictEqual(upd2.old, [2, null, null]);
    assert.deepStrictEqual(upd2.new, [20, 'two', 20]);
    assert.ok(del1!.kind === 'delete');
    assert.equal(del1.oldKind, 'key');
    assert.deepStrictEqual(del1.old, [3, null, null]);
    assert.ok(upd3!.kind === 'update');
    assert.equal(upd3.oldKind, 'full');
    assert.deepStrictEqual(upd3.old, [1, 'uno', 10]);
    assert.deepStrictEqual(upd3.new, [1, 'uno', 11]);
    assert.equal(upd3.relation.replicaIdentity, 'full');
    assert.ok(del2!.kind === 'delete');
    assert.equal(del2.oldKind, 'full');
    assert.deepStrictEqual(del2.old, [20, 'two', 20]);
    assert.ok(msg!.kind === 'message');
    assert.equal(msg.prefix, 'ddl');
    assert.equal(msg.content.toString(), 'ALTER something');
    assert.ok(ins4!.kind === 'insert' && ins4.xid === msg.xid, 'message and row share the transaction');
    assert.ok(trunc!.kind === 'truncate');
    assert.deepStrictEqual(trunc.relations.map((r) => r.name), ['dml']);
    assert.equal(trunc.cascade, false);

    const plain = rec.events.find((e) => e.kind === 'message');
    assert.ok(plain && plain.kind === 'message');
    assert.equal(plain.prefix, 'ping');
    assert.deepStrictEqual(plain.content, Buffer.from([0x00, 0xff]));
    // identity change re-sent the relation
    const rels = rec.events.filter((e) => e.kind === 'relation');
    const idents = rels.map((r) => r.kind === 'relation' && r.relation.replicaIdentity);
    // pgoutput re-sends a relation after any relcache invalidation, so 'default' may come more than once:
    // what matters is one or more 'default' images, then only 'full' ones after the identity change
    const firstFull = idents.indexOf('full');
    assert.ok(firstFull > 0, `relations: ${idents.join(',')}`);
    assert.ok(idents.slice(0, firstFull).every((i) => i === 'default') && idents.slice(firstFull).every((i) => i === 'full'), `relations: ${idents.join(',')}`);
    // every transaction is begin … commit with matching xids, in order
    let open: number | undefined;
    for (const e of rec.events) {
      if (e.kind === 'begin') { assert.equal(open, undefined); open = e.xid; }
      if (e.kind === 'changes') assert.equal(e.xid, open);
      if (e.kind === 'commit') { assert.equal(e.xid, open); open = undefined; }
    }
  } finally {
    await stream.stop();
    await dropSlot(source.admin, slot);
  }
});

test('unchanged TOAST values arrive as UNCHANGED_TOAST, not null; ADD COLUMN re-sends the relation', async () => {
  const { slot, pub, start } = await setup(
    `CREATE TABLE toasty (id int PRIMARY KEY, big text, n int, gone text);
     ALTER TABLE toasty ALTER COLUMN big SET STORAGE EXTERNAL`, 'toasty');
  const big = 'x'.repeat(20_000);
  const rec = new Recorder();
  const stream = new ChangeStream(opts(slot, pub));
  try {
    await stream.start(start, rec.sink);
    await source.admin.query(`INSERT INTO toasty VALUES (1, $1, 1, NULL)`, [big]);
    await source.admin.query(`UPDATE toasty SET n = 2 WHERE id = 1`);
    await source.admin.query(`UPDATE toasty SET big = NULL, n = 3 WHERE id = 1`);
    await source.admin.query(`ALTER TABLE toasty DROP COLUMN gone, ADD COLUMN extra int DEFAULT 7`);
    await source.admin.query(`INSERT INTO toasty (id, big, n) VALUES (2, 'small', 1)`);
    await source.admin.query(`ALTER TABLE toasty REPLICA IDENTITY FULL`);
    await source.admin.query(`UPDATE toasty SET big = $1 WHERE id = 2`, [big]);
    await source.admin.query(`UPDATE toasty SET n = 5 WHERE id = 2`);
    await rec.waitFor(() => rec.commits().length >= 6, '6 transactions');

    const ch = rec.changes();
    assert.ok(ch[0]!.kind === 'insert' && ch[0]!.new[1] === big);
    assert.ok(ch[1]!.kind === 'update');
    assert.equal(ch[1].new[1], UNCHANGED_TOAST);
    assert.notEqual(ch[1].new[1], null);
    assert.equal(ch[1].new[2], 2);
    assert.ok(ch[2]!.kind === 'update');
    assert.equal(ch[2].new[1], null, 'a real NULL stays null');

    const rels = rec.events.filter((e): e is Extract<CdcEvent, { kind: 'relation' }> => e.kind === 'relation');
    assert.deepStrictEqual(rels[0]!.relation.columns.map((c) => c.name), ['id', 'big', 'n', 'gone']);
    assert.deepStrictEqual(rels[1]!.relation.columns.map((c) => c.name), ['id', 'big', 'n', 'extra']);
    assert.ok(ch[3]!.kind === 'insert');
    assert.deepStrictEqual(ch[3].new, [2, 'small', 1, 7]);
    assert.equal(ch[3].relation, rels[1]!.relation);
    // under FULL the old image carries the detoasted value, the new one still says "unchanged"
    assert.ok(ch[5]!.kind === 'update');
    assert.equal(ch[5].oldKind, 'full');
    assert.equal(ch[5].old![1], big);
    assert.equal(ch[5].new[1], UNCHANGED_TOAST);
    assert.equal(ch[5].new[2], 5);
  } finally {
    await stream.stop();
    await dropSlot(source.admin, slot);
  }
});

test('streaming of a large transaction (logical_decoding_work_mem=64kB), incl. an aborted subtransaction', async () => {
  const { slot, pub, start } = await setup(`CREATE TABLE big (id int PRIMARY KEY, pad text)`, 'big');
  const rec = new Recorder();
  const stream = new ChangeStream(opts(slot, pub, {
    streaming: true,
    connection: { ...source.conn, options: '-c logical_decoding_work_mem=64kB' },
    maxBatchRows: 500,
  }));
  try {
    await stream.start(start, rec.sink);
    await source.admin.query(`INSERT INTO big VALUES (0, 'small')`);
    // Transactions already aborted when the walsender reads them are skipped (PG 17+), so each abort is issued
    // only after we have seen the changes it voids arrive streamed.
    const streamedXids = (): Set<number> => new Set(rec.events.flatMap((e) => (e.kind === 'changes' && e.streamed ? e.changes.map((c) => c.xid) : [])));
    const tx = await source.pgs.client();
    try {
      await tx.query(`BEGIN`);
      await tx.query(`INSERT INTO big SELECT g, repeat('p', 50) FROM generate_series(1, 3000) g`);
      await rec.waitFor(() => streamedXids().size === 1, 'first streamed block');
      const top = [...streamedXids()][0]!;
      await tx.query(`SAVEPOINT s1`);
      await tx.query(`INSERT INTO big SELECT g, repeat('q', 50) FROM generate_series(3001, 6000) g`);
      await rec.waitFor(() => streamedXids().size === 2, 'subtransaction changes streamed');
      assert.ok(streamedXids().has(top));
      await tx.query(`ROLLBACK TO SAVEPOINT s1`);
      await tx.query(`INSERT INTO big SELECT g, repeat('r', 50) FROM generate_series(6001, 9000) g`);
      await tx.query(`COMMIT`);
      await rec.waitFor(() => rec.commits().some((c) => c.xid === top), 'big commit');
      await tx.query(`BEGIN`);
      await tx.query(`INSERT INTO big SELECT g, repeat('z', 50) FROM generate_series(10001, 14000) g`);
      // (after ROLLBACK TO the savepoint lives on as a new subtransaction, so count streamed begins here)
      await rec.waitFor((evs) => evs.filter((e) => e.kind === 'begin' && e.streamed).length === 2, 'doomed transaction streamed');
      await tx.query(`ROLLBACK`);
    } finally {
      await tx.end();
    }
    await source.admin.query(`INSERT INTO big VALUES (-1, 'last')`);
    await rec.waitFor(() => rec.changes().some((c) => c.kind === 'insert' && c.new[0] === -1), 'last insert');

    const streamedBegins = rec.events.filter((e): e is Extract<CdcEvent, { kind: 'begin' }> => e.kind === 'begin' && e.streamed);
    assert.ok(streamedBegins.length >= 1, 'the big transaction was streamed');
    const bigXid = streamedBegins[0]!.xid;
    assert.ok(rec.events.some((e) => e.kind === 'changes' && e.streamed && e.xid === bigXid));
    // apply like a consumer: per toplevel xid, drop a subtransaction's changes on its abort
    const pending = new Map<number, Change[]>();
    const applied = new Set<number>();
    for (const e of rec.events) {
      if (e.kind === 'changes') {
        if (!pending.has(e.xid)) pending.set(e.xid, []);
        pending.get(e.xid)!.push(...e.changes);
      } else if (e.kind === 'abort') {
        const list = pending.get(e.xid) ?? [];
        pending.set(e.xid, e.subXid === e.xid ? [] : list.filter((c) => c.xid !== e.subXid));
      } else if (e.kind === 'commit') {
        for (const c of pending.get(e.xid) ?? []) if (c.kind === 'insert') applied.add(c.new[0] as number);
        pending.delete(e.xid);
      }
    }
    const expected = new Set([0, -1]);
    for (let i = 1; i <= 3000; i++) expected.add(i);
    for (let i = 6001; i <= 9000; i++) expected.add(i);
    assert.equal(applied.size, expected.size);
    for (const id of expected) assert.ok(applied.has(id), `row ${id} applied`);
    const aborts = rec.events.filter((e) => e.kind === 'abort');
    assert.ok(aborts.some((e) => e.kind === 'abort' && e.xid === bigXid && e.subXid !== bigXid), 'subtransaction abort streamed');
    assert.ok(aborts.some((e) => e.kind === 'abort' && e.subXid === e.xid && e.xid !== bigXid), 'whole-transaction abort streamed');
    const bigCommit = rec.commits().find((c) => c.xid === bigXid);
    assert.ok(bigCommit?.streamed && bigCommit.endLsn > 0n);
    // batches respect maxBatchRows
    for (const e of rec.events) if (e.kind === 'changes') assert.ok(e.changes.length <= 500);
  } finally {
    await stream.stop();
    await dropSlot(source.admin, slot);
  }
});

test('confirmed_flush_lsn moves only on ack(); reconnect resumes from the acked LSN', async () => {
  const { slot, pub, start } = await setup(`CREATE TABLE acks (id int PRIMARY KEY)`, 'acks');
  const rec = new Recorder();
  const errors: Error[] = [];
  const rs = new ResilientChangeStream({ ...opts(slot, pub, { statusIntervalMs: 100 }), minDelayMs: 100, onError: (e) => errors.push(e) });
  let durable = start;
  const running = rs.run(() => durable, rec.sink);
  try {
    await until(async () => (await slotState(source.admin, slot))!.active, 'slot active');
    await source.admin.query(`INSERT INTO acks VALUES (1)`);
    await rec.waitFor(() => rec.commits().length >= 1, 'txn A');
    const a = rec.commits()[0]!;
    // several status intervals and keepalive replies pass: the slot must not move past unacked data
    await new Promise((r) => setTimeout(r, 600));
    assert.ok((await confirmedFlush(slot)) < a.commitLsn, 'not confirmed before ack');
    durable = a.endLsn;
    rs.ack(a.endLsn);
    await until(async () => (await confirmedFlush(slot)) === a.endLsn, `confirmed_flush = ${formatLsn(a.endLsn)}`);

    await source.admin.query(`INSERT INTO acks VALUES (2)`);
    await rec.waitFor(() => rec.commits().length >= 2, 'txn B');
    const b = rec.commits()[1]!;
    await new Promise((r) => setTimeout(r, 300));
    // idle keepalives may have moved it past A (WAL without published changes), never up to B
    const mid = await confirmedFlush(slot);
    assert.ok(mid >= a.endLsn && mid < b.commitLsn, 'B received but not acked');

    // kill the walsender: the loop reconnects from A's end and B arrives again; A does not
    await source.admin.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1`, [slot]);
    await rec.waitFor(() => rec.commits().length >= 3, 'B redelivered');
    assert.ok(rec.events.some((e) => e.kind === 'reconnect' && e.startLsn === a.endLsn));
    assert.deepStrictEqual(rec.commits().map((c) => c.endLsn), [a.endLsn, b.endLsn, b.endLsn]);
    const ids = rec.changes().map((c) => (c.kind === 'insert' ? c.new[0] : null));
    assert.deepStrictEqual(ids, [1, 2, 2]);
    assert.ok(errors.length >= 1);
    rs.ack(b.endLsn);
    await until(async () => (await confirmedFlush(slot)) >= b.endLsn, 'B confirmed');

    // everything received is acked: WAL of unpublished tables must not stay pinned (keepalive walEnd is acked)
    await source.admin.query(`CREATE TABLE acks_other (id int); INSERT INTO acks_other SELECT generate_series(1, 1000)`);
    const after = parseLsn((await source.admin.query(`SELECT pg_current_wal_insert_lsn()::text AS l`)).rows[0].l);
    await until(async () => (await confirmedFlush(slot)) > b.endLsn, 'idle keepalive advanced the slot');
    assert.ok((await confirmedFlush(slot)) <= after);
    assert.equal(rec.commits().length, 3, 'the unpublished transactions sent nothing');
  } finally {
    await rs.stop();
    await running;
    await dropSlot(source.admin, slot, { force: true });
  }
});

test('backpressure: a slow async consumer is awaited in order and the socket is paused', async () => {
  const { slot, pub, start } = await setup(`CREATE TABLE slow (id int PRIMARY KEY, pad text)`, 'slow');
  const seen: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let commits = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const stream = new ChangeStream(opts(slot, pub, { maxBatchRows: 200 }));
  try {
    await stream.start(start, async (ev) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      if (ev.kind === 'changes') for (const c of ev.changes) if (c.kind === 'insert') seen.push(c.new[0] as number);
      if (ev.kind === 'commit' && ++commits === 5) resolveDone();
      inFlight--;
    });
    for (let t = 0; t < 5; t++) {
      await source.admin.query(`INSERT INTO slow SELECT g, repeat('x', 100) FROM generate_series(${t * 2000 + 1}, ${(t + 1) * 2000}) g`);
    }
    await done;
    assert.equal(maxInFlight, 1, 'handler calls never overlap');
    assert.equal(seen.length, 10_000);
    for (let i = 0; i < seen.length; i++) assert.equal(seen[i], i + 1);
    assert.ok(stream.stats.pauses > 0);
  } finally {
    await stream.stop();
    await dropSlot(source.admin, slot);
  }
});

test('a consumer error ends the stream with that error and nothing is acked', async () => {
  const { slot, pub, start } = await setup(`CREATE TABLE boom (id int PRIMARY KEY)`, 'boom');
  const stream = new ChangeStream(opts(slot, pub));
  try {
    await stream.start(start, async (ev) => {
      if (ev.kind === 'changes') throw new Error('apply failed');
    });
    const before = (await source.admin.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l as string;
    await source.admin.query(`INSERT INTO boom VALUES (1)`);
    await assert.rejects(stream.finished, /apply failed/);
    assert.ok((await confirmedFlush(slot)) <= parseLsn(before), 'the failed transaction is not confirmed');
    await until(async () => !(await slotState(source.admin, slot))!.active, 'walsender gone');
  } finally {
    await stream.stop();
    await dropSlot(source.admin, slot, { force: true });
  }
});
