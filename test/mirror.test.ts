// Mirror service end to end against a real Postgres: copy → stream (inserts, updates incl. changed key,
// deletes, TRUNCATE, unchanged TOAST, key-less duplicates) → tail visible through the view before any flush →
// flush → the Iceberg table read by ClickHouse (chdb) equals the source row for row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startMirrorService, MemoryRegistry, type MirrorService } from '../src/mirror/index.js';
import type { SharedDuckDB } from '../src/engine/duckdb.js';
import { chRows, currentLsn, duckRows, makeDuck, makeWarehouse, pgRows, viewOf, type Warehouse } from './mirror-helpers.js';

let server: TestPostgres;
let wh: Warehouse;
let duck: SharedDuckDB;
let client: pg.Client;
let registry: MemoryRegistry;
let svc: MirrorService;

before(async () => {
  server = await startPostgres();
  wh = makeWarehouse();
  duck = await makeDuck(wh.dir);
  client = await server.client();
  registry = new MemoryRegistry();
  svc = await startMirrorService({
    upstream: { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' },
    storage: wh.storage,
    duckdb: duck,
    registry,
    options: { spillDir: wh.spillDir, flushAgeMs: 3_600_000, flushRows: 1_000_000, tickMs: 50, maintenanceIntervalMs: 0 },
  });
});

after(async () => {
  await svc?.stop();
  await client?.end();
  duck?.close();
  await server?.destroy();
  await wh?.cleanup();
});

/** wait until the mirror reflects everything committed on the source so far */
async function caughtUp(): Promise<void> {
  assert.ok(await svc.waitForLsn(await currentLsn(client), 20_000), 'mirror did not catch up');
}

const SRC_T = `SELECT id, v, (n * 100)::bigint AS n, (extract(epoch from ts) * 1000000)::bigint AS ts FROM t`;
const DUCK_T = (view: string) => `SELECT id, v, (n * 100)::BIGINT, epoch_us(ts) FROM (${view})`;
const CH_T = `SELECT id, v, toInt64(n * 100), toUnixTimestamp64Micro(ts) FROM $TABLE`;

test('keyed table: copy, changes in the tail, flush, read back by ClickHouse', async () => {
  await client.query(`CREATE TABLE t (id int PRIMARY KEY, v text, n numeric(10,2), ts timestamptz)`);
  await client.query(`INSERT INTO t SELECT g, 'v' || g, g * 1.5, '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 200) g`);
  const rec = registry.add({ schema: 'public', name: 't' });
  await svc.waitReady(rec.id, 30_000);
  await caughtUp();
  assert.deepEqual(await duckRows(duck, DUCK_T(viewOf(svc, rec.id))), await pgRows(client, SRC_T), 'after copy');

  // changes land in the tail and are visible before any flush
  await client.query(`INSERT INTO t VALUES (1001, 'new', 1.25, now())`);
  await client.query(`UPDATE t SET v = 'upd' WHERE id BETWEEN 10 AND 20`);
  await client.query(`DELETE FROM t WHERE id BETWEEN 30 AND 40`);
  await client.query(`UPDATE t SET id = id + 5000 WHERE id BETWEEN 50 AND 55`); // changed key
  await client.query(`BEGIN; INSERT INTO t VALUES (2001, 'x', 0, now()); UPDATE t SET v = 'y' WHERE id = 2001; DELETE FROM t WHERE id = 2001; INSERT INTO t VALUES (2001, 'z', 1, now()); COMMIT`);
  await client.query(`UPDATE t SET v = 'tail-upd' WHERE id = 1001`);
  await caughtUp();
  const info = svc.mirrors().find((m) => m.id === rec.id)!;
  assert.ok(info.tailRows > 0, 'changes are in the tail');
  assert.deepEqual(await duckRows(duck, DUCK_T(viewOf(svc, rec.id))), await pgRows(client, SRC_T), 'tail view');

  const [r] = await svc.flush(rec.id);
  assert.ok(r && r.rowsWritten > 0 && r.deletesWritten > 0, 'flush wrote rows and deletes');
  const after = svc.mirrors().find((m) => m.id === rec.id)!;
  assert.equal(after.tailRows, 0);
  assert.equal(after.pendingDeletes, 0);
  assert.deepEqual(await duckRows(duck, DUCK_T(viewOf(svc, rec.id))), await pgRows(client, SRC_T), 'view after flush');
  assert.deepEqual(chRows(after.location, CH_T), await pgRows(client, SRC_T), 'ClickHouse reads the Iceberg table');
  assert.equal(after.baseRows, Number((await client.query('SELECT count(*) AS n FROM t')).rows[0].n));

  // more changes on top of flushed data, a second flush (deletes against flushed files)
  await client.query(`UPDATE t SET v = 'second' WHERE id % 7 = 0`);
  await client.query(`DELETE FROM t WHERE id % 11 = 0`);
  await caughtUp();
  assert.deepEqual(await duckRows(duck, DUCK_T(viewOf(svc, rec.id))), await pgRows(client, SRC_T), 'view before 2nd flush');
  await svc.flush(rec.id);
  assert.deepEqual(chRows(after.location, CH_T), await pgRows(client, SRC_T), 'ClickHouse after 2nd flush');

  // TRUNCATE empties the mirror, rows after it in the same transaction survive
  await client.query(`BEGIN; TRUNCATE t; INSERT INTO t VALUES (1, 'after-truncate', 2, now()); COMMIT`);
  await caughtUp();
  assert.deepEqual(await duckRows(duck, DUCK_T(viewOf(svc, rec.id))), await pgRows(client, SRC_T), 'view after truncate');
  await svc.flush(rec.id);
  assert.deepEqual(chRows(after.location, CH_T), await pgRows(client, SRC_T), 'ClickHouse after truncate');
});
