// Mirror service end to end against a real Postgres: copy → stream (inserts, updates incl. changed key,
// deletes, TRUNCATE, unchanged TOAST, key-less duplicates) → tail visible through the view before any flush →
// flush → the Iceberg table read by ClickHouse (chdb) equals the source row for row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { utimesSync } from 'node:fs';
import type pg from 'pg';
import type { TestPostgres } from './helpers/postgres.js';
import type { MemoryRegistry, MirrorService } from '../src/mirror/index.js';
import { IcebergTable } from '../src/iceberg/index.js';
import type { SharedDuckDB } from '../src/engine/duckdb.js';
import { chRows, currentLsn, duckRows, pgRows, startMemoryFixture, viewOf, type MemoryFixture, type Warehouse } from './mirror-helpers.js';

let server: TestPostgres;
let wh: Warehouse;
let duck: SharedDuckDB;
let client: pg.Client;
let registry: MemoryRegistry;
let svc: MirrorService;

let fx: MemoryFixture;

before(async () => {
  fx = await startMemoryFixture();
  ({ server, wh, duck, client, registry, svc } = fx);
});

after(async () => {
  await fx?.close();
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

test('table without a key: REPLICA IDENTITY FULL, duplicates deleted and updated one for one', async () => {
  await client.query(`CREATE TABLE nk (a int, b text)`);
  await client.query(`INSERT INTO nk SELECT g % 5, 'b' || (g % 3) FROM generate_series(1, 60) g`);
  const rec = registry.add({ schema: 'public', name: 'nk' });
  await svc.waitReady(rec.id, 30_000);
  const ident = await client.query(`SELECT relreplident FROM pg_class WHERE oid = 'nk'::regclass`);
  assert.equal(ident.rows[0].relreplident, 'f');
  const SRC = `SELECT a, b FROM nk`;
  const DUCK = (v: string) => `SELECT a, b FROM (${v})`;
  const CH = `SELECT a, b FROM $TABLE`;
  const check = async (what: string) => {
    await caughtUp();
    assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), await pgRows(client, SRC), what);
  };
  await check('after copy');
  // one of several identical rows, in the base
  await client.query(`DELETE FROM nk WHERE ctid = (SELECT ctid FROM nk WHERE a = 1 AND b = 'b1' LIMIT 1)`);
  await client.query(`UPDATE nk SET b = 'changed' WHERE ctid = (SELECT ctid FROM nk WHERE a = 2 AND b = 'b2' LIMIT 1)`);
  // duplicates in the tail, then one of them deleted
  await client.query(`INSERT INTO nk VALUES (9, 'dup'), (9, 'dup'), (9, 'dup')`);
  await client.query(`DELETE FROM nk WHERE ctid = (SELECT ctid FROM nk WHERE a = 9 LIMIT 1)`);
  await client.query(`BEGIN; INSERT INTO nk VALUES (8, 'x'); DELETE FROM nk WHERE a = 8; INSERT INTO nk VALUES (8, 'x'), (8, NULL); COMMIT`);
  await check('tail');
  await svc.flush(rec.id);
  await check('after flush');
  const loc = svc.mirrors().find((m) => m.id === rec.id)!.location;
  assert.deepEqual(chRows(loc, CH), await pgRows(client, SRC), 'ClickHouse');
  // deletes of flushed duplicates, across base files
  await client.query(`DELETE FROM nk WHERE ctid IN (SELECT ctid FROM nk WHERE a = 9 LIMIT 1)`);
  await client.query(`UPDATE nk SET a = a + 100 WHERE ctid IN (SELECT ctid FROM nk WHERE a = 0 LIMIT 3)`);
  await client.query(`DELETE FROM nk WHERE b IS NULL`);
  await check('second round');
  await svc.flush(rec.id);
  await check('after second flush');
  assert.deepEqual(chRows(loc, CH), await pgRows(client, SRC), 'ClickHouse after second flush');
});

test('unchanged TOAST values keep the stored value (tail, base, changed key, several updates in one transaction)', async () => {
  await client.query(`CREATE TABLE tt (id int PRIMARY KEY, small int, big text)`);
  await client.query(`ALTER TABLE tt ALTER COLUMN big SET STORAGE EXTERNAL`);
  await client.query(`INSERT INTO tt SELECT g, 0, repeat(md5(g::text), 300) FROM generate_series(1, 20) g`);
  const rec = registry.add({ schema: 'public', name: 'tt' });
  await svc.waitReady(rec.id, 30_000);
  const SRC = `SELECT id, small, md5(big) FROM tt`;
  const DUCK = (v: string) => `SELECT id, small, md5(big) FROM (${v})`;
  const check = async (what: string) => {
    await caughtUp();
    assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), await pgRows(client, SRC), what);
  };
  await client.query(`UPDATE tt SET small = 1 WHERE id <= 5`); // base rows, big not sent
  await check('updates of base rows');
  await client.query(`UPDATE tt SET small = 2 WHERE id <= 3`); // rows now in the tail
  await client.query(`BEGIN; UPDATE tt SET small = 3 WHERE id = 10; UPDATE tt SET small = 4 WHERE id = 10; UPDATE tt SET id = 110 WHERE id = 10; COMMIT`);
  await client.query(`UPDATE tt SET id = id + 1000 WHERE id IN (11, 1)`); // changed key, from base and tail
  await check('tail and changed keys');
  assert.ok(svc.mirrors().find((m) => m.id === rec.id)!.toastFilled >= 5, 'unchanged TOAST values were filled from stored rows');
  await svc.flush(rec.id);
  await client.query(`UPDATE tt SET small = 5 WHERE id IN (2, 1001, 110)`); // now from flushed files
  await check('after flush');
  await svc.flush(rec.id);
  const loc = svc.mirrors().find((m) => m.id === rec.id)!.location;
  assert.deepEqual(chRows(loc, `SELECT id, small, lower(hex(MD5(big))) FROM $TABLE`), await pgRows(client, SRC));
});

test('partitioned source: TRUNCATE, DETACH and DROP of a partition keep the mirror history; TRUNCATE of the root empties it', async () => {
  await client.query(`CREATE TABLE pt (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY LIST (k)`);
  await client.query(`CREATE TABLE pt1 PARTITION OF pt FOR VALUES IN (1)`);
  await client.query(`CREATE TABLE pt2 PARTITION OF pt FOR VALUES IN (2)`);
  await client.query(`CREATE TABLE pt3 PARTITION OF pt FOR VALUES IN (3)`);
  await client.query(`INSERT INTO pt SELECT g, 1 + g % 3, 'v' || g FROM generate_series(1, 30) g`);
  const rec = registry.add({ schema: 'public', name: 'pt' });
  await svc.waitReady(rec.id, 30_000);
  const SRC = `SELECT id, k, v FROM pt`;
  const DUCK = (v: string) => `SELECT id, k, v FROM (${v})`;
  await client.query(`INSERT INTO pt VALUES (100, 1, 'a'), (101, 2, 'b')`);
  await client.query(`UPDATE pt SET k = 3 WHERE id = 100`); // moves between partitions: delete + insert under the root
  await caughtUp();
  const all = await pgRows(client, SRC);
  assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), all);
  await client.query(`TRUNCATE pt1`);
  await client.query(`ALTER TABLE pt DETACH PARTITION pt2`);
  await client.query(`DROP TABLE pt2`);
  await client.query(`INSERT INTO pt VALUES (200, 3, 'late')`);
  await caughtUp();
  const expected = [...all, JSON.stringify(['200', '3', 'late'])].sort();
  assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), expected, 'partition truncate/detach/drop keep history');
  await svc.flush(rec.id);
  const loc = svc.mirrors().find((m) => m.id === rec.id)!.location;
  assert.deepEqual(chRows(loc, `SELECT id, k, v FROM $TABLE`), expected);
  await client.query(`TRUNCATE pt`);
  await client.query(`INSERT INTO pt VALUES (300, 1, 'after')`);
  await caughtUp();
  assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), await pgRows(client, SRC), 'root truncate');
  await svc.flush(rec.id);
  assert.deepEqual(chRows(loc, `SELECT id, k, v FROM $TABLE`), await pgRows(client, SRC));
});

test('column types round-trip through tail and Iceberg files', async () => {
  await client.query(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`);
  await client.query(`CREATE DOMAIN posint AS int CHECK (VALUE > 0)`);
  await client.query(`CREATE TABLE ty (
    id int PRIMARY KEY, b bool, i2 int2, i8 int8, f4 float4, f8 float8, n numeric(12,3), nu numeric, t text,
    c char(5), bin bytea, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval, u uuid,
    j json, jb jsonb, ia int[], ta text[], e mood, dp posint)`);
  const row = (id: number) => `(${id}, ${id % 2 === 0}, ${id}, ${BigInt(id) * 10_000_000_000n}, ${id}.25, ${id}.125, ${id}.5, 1e${id % 30}, 't${id}',
    'c${id % 10}', '\\x${(id % 256).toString(16).padStart(2, '0')}ff', '2024-02-${(id % 28) + 1}', '04:05:06.${id}', '04:05:06+05:30',
    '2024-01-02 03:04:05.${String(id).padStart(6, '0')}', '2024-01-02 03:04:05.123456+02', '${id} days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd38${String(id).padStart(4, '0')}',
    '{"a": ${id}}', '{"b": [${id}, null]}', '{${id},NULL,3}', '{"x${id}",NULL}', 'ok', ${id})`;
  await client.query(`INSERT INTO ty VALUES ${[1, 2, 3].map(row).join(', ')}`);
  await client.query(`INSERT INTO ty (id, f8, d, ts, iv) VALUES (4, 'NaN', 'infinity', '-infinity', '-1 year 2 mons -3 days 04:05:06')`);
  await client.query(`INSERT INTO ty (id, f8, nu) VALUES (5, '-Infinity', 'NaN')`);
  const rec = registry.add({ schema: 'public', name: 'ty' });
  await svc.waitReady(rec.id, 30_000);
  await client.query(`INSERT INTO ty VALUES ${[6, 7].map(row).join(', ')}`);
  await client.query(`UPDATE ty SET t = 'upd', ia = '{}' WHERE id = 2`);
  await caughtUp();
  const SRC = `SELECT id, b::int, i2, i8, f4::float8, f8, n::text, nu::text, t, c, encode(bin, 'hex'), d::text, tm::text, ttz::text,
    ts::text, (extract(epoch from tstz) * 1000000)::bigint, iv::text, u::text, j::text, jb::text, array_to_json(ia)::text,
    array_to_json(ta)::text, e::text, dp FROM ty`;
  const DUCK = (v: string) => `SELECT id, b::INT, i2, i8, f4::DOUBLE, f8, n::VARCHAR, nu, t, c, lower(hex(bin)), d::VARCHAR, tm::VARCHAR, ttz,
    ts::VARCHAR, epoch_us(tstz), iv, u::VARCHAR, j, jb, to_json(ia)::VARCHAR, to_json(ta)::VARCHAR, e, dp FROM (${v})`;
  assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), await pgRows(client, SRC), 'tail + copied base');
  await svc.flush(rec.id);
  assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), await pgRows(client, SRC), 'after flush');
  const loc = svc.mirrors().find((m) => m.id === rec.id)!.location;
  assert.deepEqual(
    chRows(loc, `SELECT id, t, toString(n), i8, toUnixTimestamp64Micro(tstz), toString(u), jb FROM $TABLE`),
    await pgRows(client, `SELECT id, t, trim_scale(n)::text, i8, (extract(epoch from tstz) * 1000000)::bigint, u::text, jb::text FROM ty`),
    'ClickHouse',
  );
});

test('changes applied while a flush runs: deleted flushed rows become pending positions, which survive compaction', async () => {
  await client.query(`CREATE TABLE fl (id int PRIMARY KEY, v text)`);
  await client.query(`INSERT INTO fl SELECT g, 'base' FROM generate_series(1, 100) g`);
  const rec = registry.add({ schema: 'public', name: 'fl' });
  await svc.waitReady(rec.id, 30_000);
  const SRC = `SELECT id, v FROM fl`;
  const VIEW = () => `SELECT id, v FROM (${viewOf(svc, rec.id)})`;
  const check = async (what: string) => {
    await caughtUp();
    assert.deepEqual(await duckRows(duck, VIEW()), await pgRows(client, SRC), what);
  };
  await client.query(`INSERT INTO fl SELECT g, 'tail' FROM generate_series(101, 200) g`);
  await client.query(`UPDATE fl SET v = 'tail-upd' WHERE id BETWEEN 1 AND 10`);
  await caughtUp();
  process.env.LAKEGATE_DELAYPOINT = 'flush-cut:1500';
  const flushing = svc.flush(rec.id);
  await new Promise((r) => setTimeout(r, 300)); // the cut is taken; files not yet written
  delete process.env.LAKEGATE_DELAYPOINT;
  await client.query(`DELETE FROM fl WHERE id BETWEEN 150 AND 160`); // tail rows the flush writes
  await client.query(`UPDATE fl SET v = 'moved' WHERE id IN (5, 120, 190)`); // …updated: old versions go
  await client.query(`DELETE FROM fl WHERE id BETWEEN 20 AND 25`); // base rows: pending key deletes
  await client.query(`INSERT INTO fl VALUES (500, 'after-cut')`);
  await check('during the flush');
  const [r] = await flushing;
  assert.ok(r && r.rowsWritten >= 100);
  const m = svc.mirrors().find((x) => x.id === rec.id)!;
  assert.ok(m.pendingDeletes >= 14, `rows deleted after the cut are pending positions/keys (${m.pendingDeletes})`);
  await check('after the swap');
  await client.query(`UPDATE fl SET v = 'tail-after-swap' WHERE id IN (500, 5)`); // rows left in the tail by the swap
  await check('updates of rows the swap left in the tail');
  await svc.maintain(rec.id, 'full'); // rewrites the file those positions point into
  assert.equal(svc.mirrors().find((x) => x.id === rec.id)!.dataFiles, 1);
  await check('after compaction');
  await svc.flush(rec.id);
  await check('after the next flush');
  assert.equal(svc.mirrors().find((x) => x.id === rec.id)!.pendingDeletes, 0);
  assert.deepEqual(chRows(m.location, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'ClickHouse');
});

test('two mirrors of one source table are both kept current', async () => {
  await client.query(`CREATE TABLE two (id int PRIMARY KEY, v text)`);
  await client.query(`INSERT INTO two SELECT g, 'v' FROM generate_series(1, 50) g`);
  const a = registry.add({ schema: 'public', name: 'two' }, { schema: 'public', name: 'two_a' });
  await svc.waitReady(a.id, 30_000);
  await client.query(`UPDATE two SET v = 'between' WHERE id < 10`);
  const b = registry.add({ schema: 'public', name: 'two' }, { schema: 'public', name: 'two_b' });
  await svc.waitReady(b.id, 30_000);
  await client.query(`DELETE FROM two WHERE id > 40`);
  await client.query(`INSERT INTO two VALUES (100, 'both')`);
  await caughtUp();
  const src = await pgRows(client, `SELECT id, v FROM two`);
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, a.id)})`), src, 'first mirror');
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, b.id)})`), src, 'second mirror');
  registry.drop(a.id);
  await new Promise((r) => setTimeout(r, 300));
  await client.query(`INSERT INTO two VALUES (101, 'after drop')`);
  await caughtUp();
  assert.equal(svc.mirrorSql(a.id), null, 'dropped');
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, b.id)})`), await pgRows(client, `SELECT id, v FROM two`), 'the other mirror still follows');
});

test('TRUNCATE while a flush runs: the flush commits, the truncate still empties the mirror afterwards', async () => {
  await client.query(`CREATE TABLE tr (id int PRIMARY KEY, v text)`);
  await client.query(`INSERT INTO tr SELECT g, 'base' FROM generate_series(1, 30) g`);
  const rec = registry.add({ schema: 'public', name: 'tr' });
  await svc.waitReady(rec.id, 30_000);
  await client.query(`INSERT INTO tr SELECT g, 'tail' FROM generate_series(31, 60) g`);
  await client.query(`DELETE FROM tr WHERE id < 5`);
  await caughtUp();
  process.env.LAKEGATE_DELAYPOINT = 'flush-cut:1000';
  const flushing = svc.flush(rec.id);
  await new Promise((r) => setTimeout(r, 200));
  delete process.env.LAKEGATE_DELAYPOINT;
  await client.query(`BEGIN; TRUNCATE tr; INSERT INTO tr VALUES (1, 'new'); COMMIT`);
  await caughtUp();
  const SRC = `SELECT id, v FROM tr`;
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, rec.id)})`), await pgRows(client, SRC), 'during the flush');
  await flushing;
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, rec.id)})`), await pgRows(client, SRC), 'after its swap');
  await svc.flush(rec.id);
  const m = svc.mirrors().find((x) => x.id === rec.id)!;
  assert.equal(m.baseRows, 1);
  assert.deepEqual(chRows(m.location, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'ClickHouse');
});

test('maintenance: small files compacted, old snapshots expired, orphan files removed, content unchanged', async () => {
  await client.query(`CREATE TABLE mt (id int PRIMARY KEY, v text)`);
  await client.query(`INSERT INTO mt SELECT g, 'v' FROM generate_series(1, 20) g`);
  const rec = registry.add({ schema: 'public', name: 'mt' });
  await svc.waitReady(rec.id, 30_000);
  for (let i = 0; i < 4; i++) {
    await client.query(`INSERT INTO mt VALUES ($1, 'n')`, [100 + i]);
    await client.query(`UPDATE mt SET v = v || 'u' WHERE id = $1`, [i + 1]);
    await caughtUp();
    await svc.flush(rec.id);
  }
  const m = svc.mirrors().find((x) => x.id === rec.id)!;
  const orphan = `${m.location}/data/orphan-left-by-a-crash.parquet`;
  await wh.storage.put(orphan, Buffer.from('not parquet'));
  const old = new Date(Date.now() - 3 * 3600_000); // older than the orphan age: no flush can still be writing it
  utimesSync(orphan.replace(/^file:\/\//, ''), old, old);
  const r = await svc.maintain(rec.id, 'data');
  assert.equal(r.length, 1);
  const after = svc.mirrors().find((x) => x.id === rec.id)!;
  assert.equal(after.dataFiles, 1);
  assert.equal(after.deleteFiles, 0);
  assert.equal(await wh.storage.head(orphan), null, 'orphan removed');
  const table = await IcebergTable.load(wh.storage, m.location);
  assert.equal(table.metadata.snapshots.length, 2, 'old snapshots expired (the last two stay)');
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, rec.id)})`), await pgRows(client, `SELECT id, v FROM mt`));
  assert.deepEqual(chRows(m.location, `SELECT id, v FROM $TABLE`), await pgRows(client, `SELECT id, v FROM mt`), 'ClickHouse');
});

test('bigint and text keys: rows left in the tail by a flush are still found by later updates', async () => {
  for (const [name, type, gen] of [['kb', 'bigint', (i: number) => `${10_000_000_000 + i}`], ['kt', 'text', (i: number) => `'k${i}'`]] as const) {
    await client.query(`CREATE TABLE ${name} (id ${type} PRIMARY KEY, v int)`);
    await client.query(`INSERT INTO ${name} VALUES ${Array.from({ length: 20 }, (_, i) => `(${gen(i)}, 0)`).join(', ')}`);
    const rec = registry.add({ schema: 'public', name });
    await svc.waitReady(rec.id, 30_000);
    await client.query(`INSERT INTO ${name} VALUES ${Array.from({ length: 20 }, (_, i) => `(${gen(100 + i)}, 1)`).join(', ')}`);
    await caughtUp();
    process.env.LAKEGATE_DELAYPOINT = 'flush-cut:800';
    const flushing = svc.flush(rec.id);
    await new Promise((r) => setTimeout(r, 200));
    delete process.env.LAKEGATE_DELAYPOINT;
    await client.query(`INSERT INTO ${name} VALUES ${Array.from({ length: 5 }, (_, i) => `(${gen(200 + i)}, 2)`).join(', ')}`);
    await flushing;
    await client.query(`UPDATE ${name} SET v = v + 10`); // base, flushed and tail rows alike
    await caughtUp();
    assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, rec.id)})`), await pgRows(client, `SELECT id, v FROM ${name}`), type);
  }
});
