// Source ALTER TABLE in the stream → Iceberg schema evolution in place (no re-copy): ADD COLUMN with a default
// (existing rows show it), DROP, RENAME, int→bigint, real→double, varchar(n)→text, numeric widening, each
// interleaved with DML in the same and separate transactions; chdb reads old + new files; int→text fails the mirror;
// a key-less mirror evolves the same way and its schema and defaults survive restarts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { TestPostgres } from './helpers/postgres.js';
import type { MirrorService } from '../src/mirror/index.js';
import type { SharedDuckDB } from '../src/engine/duckdb.js';
import { chRows, currentLsn, duckRows, makeDuck, makeWarehouse, pgRows, viewOf, type Warehouse } from './mirror-helpers.js';
import { startControlFixture, waitFor, type ControlFixture } from './mirror-helpers.js';

let fx: ControlFixture;
let server: TestPostgres;
let wh: Warehouse;
let duck: SharedDuckDB;
let client: pg.Client;
let pool: pg.Pool;
let svc: MirrorService;

before(async () => {
  fx = await startControlFixture();
  ({ server, wh, duck, client, pool } = fx);
  svc = await startSvc();
});

function startSvc(o: { flushOnStop?: boolean } = {}): Promise<MirrorService> {
  return fx.startSvc(o);
}

after(async () => {
  await fx?.close(svc);
});

async function row(name: string): Promise<Record<string, any>> {
  return (await client.query(`SELECT state, error, location FROM mooncake.mirrors WHERE mirror_name = $1`, [name])).rows[0];
}


/** the view and the source agree on `cols` (numeric n compared in hundredths: the two print decimals differently) */
async function same(cols: string, mirror = 'public.s_iceberg', table = 's'): Promise<void> {
  assert.ok(await svc.waitForLsn(await currentLsn(client)));
  const sel = cols.replace(/\bn\b/, '(n * 100)::bigint AS n');
  assert.deepEqual(await duckRows(duck, `SELECT ${sel} FROM (${viewOf(svc, mirror)})`), await pgRows(client, `SELECT ${sel} FROM ${table}`), `view = source (${cols})`);
}

test('schema changes evolve the Iceberg table in place, in order with the DML around them', async () => {
  await client.query(`CREATE TABLE s (id int PRIMARY KEY, a int, r real, vc varchar(10), n numeric(10,2), gone text)`);
  await client.query(`INSERT INTO s SELECT g, g, g / 4.0, 'v' || g, g * 1.25, 'x' FROM generate_series(1, 50) g`);
  await client.query(`CALL mooncake.create_table('s_iceberg', 's')`);
  await waitFor('ready', async () => (await row('s_iceberg')).state === 'ready');
  const loc = (await row('s_iceberg')).location as string;
  const copies = svc.mirrors().find((m) => m.name === 'public.s_iceberg')!;
  await client.query(`UPDATE s SET a = a + 1 WHERE id <= 5`);
  await svc.flush('public.s_iceberg');

  // ADD COLUMN with a default, DML before and after it in the same transaction
  await client.query(`BEGIN`);
  await client.query(`INSERT INTO s VALUES (100, 100, 1.5, 'h', 2.5, 'y')`);
  await client.query(`UPDATE s SET a = -a WHERE id = 6`);
  await client.query(`ALTER TABLE s ADD COLUMN d int DEFAULT 7`);
  await client.query(`INSERT INTO s VALUES (101, 1, 1, 'i', 1, 'z', 8)`);
  await client.query(`UPDATE s SET d = 9 WHERE id = 7`);
  await client.query(`COMMIT`);
  await same('id, a, r, vc, n, gone, d');

  // DROP and RENAME in separate transactions with DML between
  await client.query(`ALTER TABLE s DROP COLUMN gone`);
  await client.query(`INSERT INTO s VALUES (102, 2, 2, 'j', 2, 3)`);
  await client.query(`ALTER TABLE s RENAME COLUMN a TO a2`);
  await client.query(`UPDATE s SET a2 = a2 * 10 WHERE id BETWEEN 8 AND 12`);
  await same('id, a2, r, vc, n, d');

  // widenings, mixed into a transaction with DML
  await client.query(`BEGIN`);
  await client.query(`UPDATE s SET vc = 'w' WHERE id = 13`);
  await client.query(`ALTER TABLE s ALTER COLUMN a2 TYPE bigint, ALTER COLUMN r TYPE double precision`);
  await client.query(`INSERT INTO s VALUES (103, 5000000000, 0.1, 'k', 3, 4)`);
  await client.query(`ALTER TABLE s ALTER COLUMN vc TYPE text, ALTER COLUMN n TYPE numeric(12,2)`);
  await client.query(`INSERT INTO s VALUES (104, 1, 1, 'a text longer than ten', 1234567890.12, 5)`);
  await client.query(`COMMIT`);
  await same('id, a2, r, vc, n, d');

  const m = svc.mirrors().find((x) => x.name === 'public.s_iceberg')!;
  assert.equal(m.view, copies.view, 'the same mirror, not a re-copy');
  await svc.flush('public.s_iceberg');
  await same('id, a2, r, vc, n, d');
  // chdb reads files of every schema version: renamed, dropped, widened columns by field id
  assert.deepEqual(chRows(loc, `SELECT id, a2, vc, toInt64(n * 100) FROM $TABLE`), await pgRows(client, `SELECT id, a2, vc, (n * 100)::bigint FROM s`), 'ClickHouse reads old and new files');
  // Iceberg v2 has no initial-default: another reader sees NULL for d in files written before ADD COLUMN
  // (lakegate supplies the default itself, see above); rows written since carry their own d
  const withD = chRows(loc, `SELECT id, d FROM $TABLE WHERE d IS NOT NULL`);
  const ids = withD.map((r) => Number(JSON.parse(r)[0]));
  for (const id of [7, 101, 102, 103, 104]) assert.ok(ids.includes(id), `row ${id} written after ADD COLUMN has d`);
  assert.deepEqual(withD, await pgRows(client, `SELECT id, d FROM s WHERE id = ANY($1)`.replace('$1', `'{${ids.join(',')}}'::int[]`)), 'ClickHouse reads d where files have it');
  // maintenance rewrites the files written before ADD COLUMN: then every engine reads the default there
  await svc.maintain('public.s_iceberg');
  assert.deepEqual(chRows(loc, `SELECT id, d FROM $TABLE`), await pgRows(client, `SELECT id, d FROM s`), 'ClickHouse reads d everywhere after maintenance');
  await same('id, a2, r, vc, n, d');
  assert.equal((await row('s_iceberg')).state, 'ready');
});

test('an ALTER Iceberg cannot express fails only that mirror, with the reason', async () => {
  await client.query(`CREATE TABLE u (id int PRIMARY KEY, a int)`);
  await client.query(`INSERT INTO u VALUES (1, 1)`);
  await client.query(`CALL mooncake.create_table('u_iceberg', 'u')`);
  await waitFor('ready', async () => (await row('u_iceberg')).state === 'ready');
  await client.query(`ALTER TABLE u ALTER COLUMN a TYPE text`);
  await waitFor('failed', async () => (await row('u_iceberg')).state === 'failed');
  assert.match((await row('u_iceberg')).error, /cannot change column a from int to string/);
  const ct = (await client.query(`SELECT state, error FROM mooncake.columnstore_tables WHERE "table" LIKE '%u_iceberg'`)).rows;
  assert.equal(ct.length, 1);
  assert.equal(ct[0].state, 'failed');
  assert.match(ct[0].error, /cannot change column a from int to string/, 'the reason in columnstore_tables');
  assert.deepEqual((await client.query(`SELECT a FROM u`)).rows, [{ a: '1' }], 'source untouched');
  await client.query(`INSERT INTO s VALUES (200, 1, 1, 'b', 1, 1)`);
  await same('id, a2, r, vc, n, d');
});

test('a key-less mirror evolves too, and its schema and defaults survive restarts', async () => {
  await client.query(`CREATE TABLE k (a int, b text)`);
  await client.query(`INSERT INTO k SELECT g, 'b' || g FROM generate_series(1, 20) g`);
  await client.query(`CALL mooncake.create_table('k_iceberg', 'k')`);
  await waitFor('ready', async () => (await row('k_iceberg')).state === 'ready');
  await svc.flush('public.k_iceberg');
  const view = svc.mirrors().find((x) => x.name === 'public.k_iceberg')!.view;
  // whole-row deletes of flushed rows after ADD COLUMN match the base rows through their default
  await client.query(`BEGIN`);
  await client.query(`DELETE FROM k WHERE a = 1`);
  await client.query(`INSERT INTO k VALUES (100, 'tail')`);
  await client.query(`ALTER TABLE k ADD COLUMN c int DEFAULT 5`);
  await client.query(`DELETE FROM k WHERE a IN (2, 100)`);
  await client.query(`UPDATE k SET c = 6 WHERE a = 3`);
  await client.query(`ALTER TABLE k DROP COLUMN b`);
  await client.query(`INSERT INTO k VALUES (101, 1)`);
  await client.query(`COMMIT`);
  await same('a, c', 'public.k_iceberg', 'k');
  assert.equal(svc.mirrors().find((x) => x.name === 'public.k_iceberg')!.view, view, 'evolved in place');
  await svc.flush('public.k_iceberg');
  await same('a, c', 'public.k_iceberg', 'k');

  // a clean stop flushes; the next start reads the schema, spec and initial defaults from Iceberg
  await svc.stop();
  svc = await startSvc({ flushOnStop: false });
  await svc.waitReady('public.k_iceberg');
  await same('a, c', 'public.k_iceberg', 'k');
  await same('id, a2, r, vc, n, d');

  // a stop without flush after a schema change: Iceberg already has the new schema, the slot replays the
  // transaction with rows in the old shape → a fresh copy (never wrong values)
  await client.query(`BEGIN`);
  await client.query(`DELETE FROM k WHERE a = 4`);
  await client.query(`ALTER TABLE k RENAME COLUMN a TO a2`);
  await client.query(`INSERT INTO k VALUES (102, 2)`);
  await client.query(`UPDATE k SET c = 7 WHERE a2 = 5`);
  await client.query(`COMMIT`);
  await same('a2, c', 'public.k_iceberg', 'k');
  assert.equal(svc.mirrors().find((x) => x.name === 'public.k_iceberg')!.view, view, 'renamed in place');
  await svc.stop();
  svc = await startSvc();
  await waitFor('caught up', async () => {
    try {
      await svc.waitReady('public.k_iceberg');
      assert.ok(await svc.waitForLsn(await currentLsn(client)));
      const sel = `SELECT a2, c FROM (${viewOf(svc, 'public.k_iceberg')})`;
      return JSON.stringify(await duckRows(duck, sel)) === JSON.stringify(await pgRows(client, `SELECT a2, c FROM k`));
    } catch {
      return false;
    }
  });
  await same('a2, c', 'public.k_iceberg', 'k');
  assert.equal((await row('k_iceberg')).state, 'ready');
});
