// Strict freshness: waitForLsn(upstream WAL insert position) resolves only once every transaction committed
// before it is visible in the mirror's view. The group-commit thresholds are set so high here that only a
// waiting reader can make the applier commit; and a wait whose LSN lies past anything the walsender can send
// (WAL of an unfinished transaction on an idle server) still returns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { MirrorService } from '../src/mirror/index.js';
import { currentLsn, duckRows, pgRows, startControlFixture, viewOf, waitFor, type ControlFixture } from './mirror-helpers.js';

let fx: ControlFixture;
let svc: MirrorService;
let a: pg.Client;
let b: pg.Client;
let c: pg.Client;

before(async () => {
  fx = await startControlFixture();
  svc = await fx.startSvc({ groupCommitMs: 3_600_000, groupCommitRows: 1_000_000_000 });
  a = await fx.server.client();
  b = await fx.server.client();
  c = await fx.server.client();
  await a.query(`CREATE TABLE ev (id int PRIMARY KEY, v text)`);
  await a.query(`CREATE TABLE other (id int PRIMARY KEY)`);
  await a.query(`CALL mooncake.create_table('ev_iceberg', 'ev')`);
  await waitFor('mirror ready', async () => svc.mirrors().some((m) => m.name === 'public.ev_iceberg'));
});

after(async () => {
  for (const x of [a, b, c]) await x?.end().catch(() => undefined);
  await fx?.close(svc);
});

const SRC = `SELECT id, v FROM ev`;
const mirrorRows = () => duckRows(fx.duck, `SELECT id, v FROM (${viewOf(svc, 'public.ev_iceberg')})`);

test('a commit on one connection is visible to a strict wait from another, with group commit off', async () => {
  for (let i = 1; i <= 5; i++) {
    await a.query(`INSERT INTO ev VALUES ($1, 'one')`, [i]);
    // a transaction of two statements: both rows or none
    await a.query(`BEGIN`);
    await a.query(`INSERT INTO ev VALUES ($1, 'two')`, [100 + i]);
    await a.query(`UPDATE ev SET v = 'two-updated' WHERE id = $1`, [i]);
    await a.query(`COMMIT`);
    assert.equal(await svc.waitForLsn(await currentLsn(b), 10_000), true, `wait ${i} returned false`);
    assert.deepEqual(await mirrorRows(), await pgRows(a, SRC), `after commit ${i}`);
  }
});

test('a wait for the LSN of transactions that touched no mirror returns', async () => {
  await a.query(`INSERT INTO other VALUES (1)`);
  assert.equal(await svc.waitForLsn(await currentLsn(b), 5_000), true);
  // WAL of an unfinished transaction lies past the insert position of a committed one: the walsender cannot
  // send or report it until something flushes the WAL
  await c.query(`BEGIN`);
  await c.query(`INSERT INTO other SELECT g FROM generate_series(2, 50) g`);
  try {
    assert.equal(await svc.waitForLsn(await currentLsn(b), 5_000), true);
  } finally {
    await c.query(`ROLLBACK`);
  }
  // and a mirrored change after them is still seen
  await a.query(`INSERT INTO ev VALUES (1000, 'after')`);
  assert.equal(await svc.waitForLsn(await currentLsn(b), 10_000), true);
  assert.deepEqual(await mirrorRows(), await pgRows(a, SRC));
});

test('concurrent waiters for different positions are all released', async () => {
  const waits: Promise<boolean>[] = [];
  for (let i = 0; i < 10; i++) {
    await a.query(`INSERT INTO ev VALUES ($1, 'c')`, [2000 + i]);
    waits.push(svc.waitForLsn(await currentLsn(b), 10_000));
  }
  assert.deepEqual(await Promise.all(waits), Array(10).fill(true));
  assert.deepEqual(await mirrorRows(), await pgRows(a, SRC));
});

test('a waiter arriving while a large transaction streams in is released at its commit, and the stream keeps flowing', { timeout: 120_000 }, async () => {
  const tail = () => svc.mirrors().find((m) => m.name === 'public.ev_iceberg')!.tailRows;
  for (let round = 0; round < 2; round++) {
    const base = 10_000 + round * 1_000_000;
    // committed but not visible yet: nobody waited for it and the group-commit thresholds are out of reach
    await a.query(`INSERT INTO ev VALUES ($1, 'small')`, [base]);
    const lsn = await currentLsn(b);
    const before = tail();
    // a transaction applied in several runs (applyBatchRows): wait for the group before it while it is half in
    const big = c.query(`INSERT INTO ev SELECT g, repeat('x', 100) FROM generate_series($1::int, $2::int) g`, [base + 1, base + 100_000]);
    while (tail() < before + 20_000) await new Promise((r) => setTimeout(r, 1));
    assert.equal(await svc.waitForLsn(lsn, 60_000), true, `round ${round}`);
    await big;
    assert.equal(await svc.waitForLsn(await currentLsn(b), 60_000), true, `round ${round}, after the large transaction`);
    assert.deepEqual(await mirrorRows(), await pgRows(a, SRC), `round ${round}`);
  }
});
