// Restarts and long-running behaviour of the mirror service: stop/start with and without a final flush
// (the slot replays what Iceberg lacks, nothing twice), an upstream restart under a running service
// (reconnect), acks for transactions that touch no mirror (WAL is not pinned), a large transaction applied
// in runs with bounded memory, and a copy while the stream keeps other mirrors fresh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startMirrorService, MemoryRegistry, type MirrorService, type MirrorServiceOptions } from '../src/mirror/index.js';
import type { SharedDuckDB } from '../src/engine/duckdb.js';
import { chRows, currentLsn, duckRows, makeDuck, makeWarehouse, pgRows, viewOf, type Warehouse } from './mirror-helpers.js';

let server: TestPostgres;
let wh: Warehouse;
let duck: SharedDuckDB;
let client: pg.Client;
const registry = new MemoryRegistry();
let svc: MirrorService | null = null;

const options: Partial<MirrorServiceOptions> = { idleFlushMs: 0, flushAgeMs: 3_600_000, flushRows: 1_000_000, tickMs: 50, ackIntervalMs: 100, maintenanceIntervalMs: 0 };

async function start(extra: Partial<MirrorServiceOptions> = {}): Promise<MirrorService> {
  svc = await startMirrorService({
    upstream: { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' },
    storage: wh.storage,
    duckdb: duck,
    registry,
    options: { spillDir: wh.spillDir, ...options, ...extra },
  });
  return svc;
}

before(async () => {
  server = await startPostgres();
  wh = makeWarehouse();
  duck = await makeDuck(wh.dir);
  client = await server.client();
});

after(async () => {
  await svc?.stop();
  await client?.end().catch(() => undefined);
  duck?.close();
  await server?.destroy();
  await wh?.cleanup();
});

async function caughtUp(s: MirrorService): Promise<void> {
  assert.ok(await s.waitForLsn(await currentLsn(client), 30_000), 'mirror did not catch up');
}

const SRC = `SELECT id, v FROM r`;
const DUCK = (v: string) => `SELECT id, v FROM (${v})`;

async function sameAsSource(s: MirrorService, id: number, what: string): Promise<void> {
  await caughtUp(s);
  assert.deepEqual(await duckRows(duck, DUCK(viewOf(s, id))), await pgRows(client, SRC), what);
}

test('stop without flush, restart: the slot replays exactly what Iceberg lacks', async () => {
  await client.query(`CREATE TABLE r (id int PRIMARY KEY, v text)`);
  await client.query(`INSERT INTO r SELECT g, 'v' || g FROM generate_series(1, 100) g`);
  let s = await start({ flushOnStop: false });
  const rec = registry.add({ schema: 'public', name: 'r' });
  await s.waitReady(rec.id);
  await client.query(`UPDATE r SET v = 'a' WHERE id <= 10`);
  await s.flush(rec.id); // durable: copy + first updates
  await client.query(`UPDATE r SET v = 'b' WHERE id <= 5`); // only in the tail
  await client.query(`INSERT INTO r VALUES (500, 'tail-only')`);
  await client.query(`DELETE FROM r WHERE id = 99`);
  await sameAsSource(s, rec.id, 'before stop');
  await s.stop();
  await client.query(`INSERT INTO r VALUES (501, 'while-down')`);
  await client.query(`UPDATE r SET v = 'c' WHERE id = 3`);
  s = await start();
  await s.waitReady(rec.id);
  await sameAsSource(s, rec.id, 'after restart (tail replayed from the slot)');
  const m = s.mirrors().find((x) => x.id === rec.id)!;
  assert.ok(m.tailRows > 0, 'replayed changes are in the tail again');
  await s.flush(rec.id);
  assert.deepEqual(chRows(m.location, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'ClickHouse after replay');
  // a clean stop flushes; the next start has nothing to replay for this mirror
  await client.query(`UPDATE r SET v = 'd' WHERE id = 4`);
  await caughtUp(s);
  await s.stop();
  s = await start();
  await s.waitReady(rec.id);
  assert.equal(s.mirrors().find((x) => x.id === rec.id)!.tailRows, 0);
  await sameAsSource(s, rec.id, 'after a clean restart');
  assert.deepEqual(chRows(m.location, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC));
});

test('upstream restart: the stream reconnects and resumes without loss or duplicates', async () => {
  // PostgreSQL's shutdown waits until the slot confirmed all it sent: an idle stream flushes promptly
  await svc!.stop();
  const s = await start({ idleFlushMs: 300 });
  const id = registry.records.values().next().value!.id;
  await s.waitReady(id);
  await client.query(`UPDATE r SET v = 'before-restart' WHERE id BETWEEN 20 AND 30`);
  await caughtUp(s);
  await client.end();
  await server.stop();
  await server.start();
  client = await server.client();
  await client.query(`INSERT INTO r VALUES (600, 'after upstream restart')`);
  await client.query(`UPDATE r SET v = 'x' WHERE id BETWEEN 25 AND 35`);
  await sameAsSource(s, id, 'after upstream restart');
  await s.flush(id);
  const m = s.mirrors().find((x) => x.id === id)!;
  assert.deepEqual(chRows(m.location, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC));
});

test('transactions that touch no mirror still move the slot (WAL is not pinned)', async () => {
  const s = svc!;
  await client.query(`CREATE TABLE unrelated (x int)`);
  await s.flush(); // nothing unflushed anywhere
  const before = await client.query(`SELECT confirmed_flush_lsn AS l FROM pg_replication_slots WHERE slot_name = 'lakegate'`);
  for (let i = 0; i < 20; i++) await client.query(`INSERT INTO unrelated VALUES ($1)`, [i]);
  const target = await currentLsn(client);
  const deadline = Date.now() + 20_000;
  let confirmed = 0n;
  while (Date.now() < deadline) {
    const r = await client.query(`SELECT confirmed_flush_lsn::text AS l FROM pg_replication_slots WHERE slot_name = 'lakegate'`);
    const [hi, lo] = (r.rows[0].l as string).split('/');
    confirmed = (BigInt('0x' + hi) << 32n) | BigInt('0x' + lo!);
    if (confirmed >= target) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(confirmed >= target, `slot confirmed ${confirmed} < ${target} (was ${before.rows[0].l})`);
});

test('a large transaction is applied in runs and becomes visible at once', async () => {
  await svc!.stop();
  const s = await start({ applyBatchRows: 2_000, groupCommitRows: 2_000 });
  const id = registry.records.values().next().value!.id;
  await s.waitReady(id);
  await client.query(`BEGIN; INSERT INTO r SELECT g, 'big' FROM generate_series(10000, 39999) g; UPDATE r SET v = 'big2' WHERE id % 3 = 0; DELETE FROM r WHERE id % 10 = 1; COMMIT`);
  await sameAsSource(s, id, 'after the large transaction');
  await s.flush(id);
  const m = s.mirrors().find((x) => x.id === id)!;
  assert.deepEqual(chRows(m.location, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC));
});

test('a new mirror is copied while the stream keeps running; its concurrent changes are held and replayed', async () => {
  await svc!.stop();
  const s = await start({ copyFileRows: 20_000, holdMemoryChanges: 4 }); // held changes spill to disk
  process.env.LAKEGATE_DELAYPOINT = 'copy-file:100'; // ≥ 2 s of copy, whatever the machine
  const rid = registry.records.values().next().value!.id;
  await s.waitReady(rid);
  await client.query(`CREATE TABLE big (id int PRIMARY KEY, v int)`);
  await client.query(`INSERT INTO big SELECT g, 0 FROM generate_series(1, 200000) g`);
  const rec = registry.add({ schema: 'public', name: 'big' });
  // change both tables while the copy runs
  let n = 0;
  let sawFreshWhileCopying = false;
  while (!s.mirrorSql(rec.id) && n < 2000) {
    n++;
    await client.query(`UPDATE big SET v = v + 1 WHERE id = $1`, [1 + (n * 7919) % 200000]);
    await client.query(`INSERT INTO big VALUES ($1, -1)`, [1_000_000 + n]);
    await client.query(`UPDATE r SET v = $2 WHERE id = $1`, [1 + (n % 50), `during-copy-${n}`]);
    await caughtUp(s);
    const got = await duckRows(duck, `SELECT v FROM (${viewOf(s, rid)}) WHERE id = ${1 + (n % 50)}`);
    if (!s.mirrorSql(rec.id) && got[0] === JSON.stringify([`during-copy-${n}`])) sawFreshWhileCopying = true;
  }
  await s.waitReady(rec.id, 60_000);
  delete process.env.LAKEGATE_DELAYPOINT;
  assert.ok(n > 0, 'changes were made during the copy');
  await caughtUp(s);
  assert.deepEqual(
    await duckRows(duck, `SELECT id, v FROM (${viewOf(s, rec.id)})`),
    await pgRows(client, `SELECT id, v FROM big`),
    'copied mirror + held changes == source',
  );
  await sameAsSource(s, rid, 'the other mirror');
  assert.ok(sawFreshWhileCopying, 'the other mirror stayed fresh during the copy');
  assert.ok(s.mirrors().find((x) => x.id === rec.id)!.replayedAfterCopy > 0, 'changes made during the copy were held and replayed');
  await s.flush(rec.id);
  const m = s.mirrors().find((x) => x.id === rec.id)!;
  assert.deepEqual(chRows(m.location, `SELECT id, v FROM $TABLE`), await pgRows(client, `SELECT id, v FROM big`));
});

test('a new mirror is offered to readers only once its DuckDB objects are committed', async () => {
  await svc?.stop();
  const s = await start();
  await client.query(`CREATE TABLE joiner (id int PRIMARY KEY, v text)`);
  await client.query(`INSERT INTO joiner SELECT g, 'j' || g FROM generate_series(1, 500) g`);
  process.env.LAKEGATE_DELAYPOINT = 'copy-join:1500'; // a long section between making it live and committing
  try {
    const rec = registry.add({ schema: 'public', name: 'joiner' });
    const deadline = Date.now() + 60_000;
    let sql: string | null = null;
    while (!(sql = s.mirrorSql(rec.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(sql, 'the mirror became available');
    // the first moment it is offered, it answers
    assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${sql})`), await pgRows(client, `SELECT id, v FROM joiner`));
  } finally {
    delete process.env.LAKEGATE_DELAYPOINT;
  }
});
