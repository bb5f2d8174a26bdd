// The mirror service driven by the control plane in upstream Postgres (sql/, src/control): CALL
// mooncake.create_table → copy → 'ready' with location, progress and the JDBC-catalog row; create_snapshot
// and optimize_table answered through the stream; compaction keeps the content; ALTER TABLE … ADD COLUMN
// DEFAULT evolves the mirror in place (no copy); drop_table deletes the files and the registry row.
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
  svc = await fx.startSvc({ compactTargetBytes: 64 * 1024 * 1024 });
});

after(async () => {
  await fx?.close(svc);
});

async function registryRow(name: string): Promise<Record<string, any>> {
  const r = await client.query(`SELECT id, state, error, location, commit_lsn::text, flush_lsn::text, row_count, data_files FROM mooncake.mirrors WHERE mirror_name = $1`, [name]);
  return r.rows[0];
}


const SRC = `SELECT id, v FROM o`;

test('create_table, create_snapshot, optimize_table, progress and the JDBC catalog row', async () => {
  await client.query(`CREATE TABLE o (id int PRIMARY KEY, v text)`);
  await client.query(`INSERT INTO o SELECT g, 'v' || g FROM generate_series(1, 500) g`);
  await client.query(`CALL mooncake.create_table('o_iceberg', 'o')`);
  await waitFor('ready', async () => (await registryRow('o_iceberg')).state === 'ready');
  const row = await registryRow('o_iceberg');
  assert.match(row.location, /^file:\/\/.*o_iceberg$/);
  assert.equal(Number(row.row_count), 500);

  // many small flushes, each a data file (and deletes)
  for (let i = 0; i < 6; i++) {
    await client.query(`UPDATE o SET v = v || '.' WHERE id % 6 = $1`, [i]);
    await client.query(`INSERT INTO o VALUES ($1, 'n')`, [1000 + i]);
    await client.query(`CALL mooncake.create_snapshot('o_iceberg')`); // returns once it is in Iceberg
  }
  const loc = row.location as string;
  assert.deepEqual(chRows(loc, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'create_snapshot made the changes durable');
  const before = svc.mirrors().find((m) => m.name === 'public.o_iceberg')!;
  assert.ok(before.dataFiles >= 7 && before.deleteFiles >= 6, `many files before optimize (${before.dataFiles}, ${before.deleteFiles})`);
  const reg = await registryRow('o_iceberg');
  assert.equal(Number(reg.row_count), 506);
  assert.equal(Number(reg.data_files), before.dataFiles);
  assert.ok(reg.flush_lsn && reg.commit_lsn, 'progress LSNs recorded');
  const cat = await client.query(`SELECT metadata_location FROM mooncake.iceberg_tables WHERE table_name = 'o_iceberg'`);
  assert.equal(cat.rows.length, 1);
  assert.match(cat.rows[0].metadata_location, /o_iceberg\/metadata\/v\d+\.metadata\.json$/);

  // pending deletes against files that compaction rewrites must follow the rows to their new positions
  await client.query(`DELETE FROM o WHERE id % 10 = 3`);
  await client.query(`UPDATE o SET v = 'after' WHERE id % 10 = 4`);
  await client.query(`CALL mooncake.optimize_table('o_iceberg', 'full')`);
  const afterOpt = svc.mirrors().find((m) => m.name === 'public.o_iceberg')!;
  assert.equal(afterOpt.dataFiles, 1, 'compacted into one file');
  assert.equal(afterOpt.deleteFiles, 0, 'deletes applied by the rewrite');
  assert.deepEqual(chRows(loc, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'ClickHouse after optimize');
  assert.ok(await svc.waitForLsn(await currentLsn(client)));
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, 'public.o_iceberg')})`), await pgRows(client, SRC), 'view after optimize');

  // a pending position delete (row flushed, then deleted while a flush ran) survives a compaction
  await client.query(`UPDATE o SET v = 'p' WHERE id < 50`);
  assert.ok(await svc.waitForLsn(await currentLsn(client)));
  await svc.flush('public.o_iceberg');
  await client.query(`DELETE FROM o WHERE id < 20`);
  assert.ok(await svc.waitForLsn(await currentLsn(client)));
  await svc.flush('public.o_iceberg');
  await client.query(`UPDATE o SET v = 'q' WHERE id BETWEEN 20 AND 30`);
  assert.ok(await svc.waitForLsn(await currentLsn(client)));
  const files = svc.mirrors().find((m) => m.name === 'public.o_iceberg')!;
  assert.ok(files.dataFiles >= 2, `several files before the 2nd compaction (${files.dataFiles})`);
  const res = await svc.maintain('public.o_iceberg', 'full');
  assert.equal(res.length, 1);
  assert.equal(svc.mirrors().find((m) => m.name === 'public.o_iceberg')!.dataFiles, 1);
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(svc, 'public.o_iceberg')})`), await pgRows(client, SRC), 'view after 2nd compaction');
  await svc.flush('public.o_iceberg');
  assert.deepEqual(chRows(loc, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'ClickHouse after 2nd compaction');
});

test('ALTER TABLE ADD COLUMN with a default evolves the mirror in place (existing rows show the default)', async () => {
  const before = svc.mirrors().find((x) => x.name === 'public.o_iceberg')!;
  await client.query(`ALTER TABLE o ADD COLUMN extra int DEFAULT 7`);
  await waitFor('the new column in the view', async () => {
    const m = svc.mirrors().find((x) => x.name === 'public.o_iceberg');
    if (!m) return false;
    const cols = await duckRows(duck, `SELECT column_name FROM (DESCRIBE ${m.view})`);
    return cols.includes(JSON.stringify(['extra']));
  });
  await client.query(`UPDATE o SET extra = 8 WHERE id = 100`);
  assert.ok(await svc.waitForLsn(await currentLsn(client)));
  assert.equal(svc.mirrors().find((x) => x.name === 'public.o_iceberg')!.view, before.view, 'the same mirror, not a copy');
  const SRC2 = `SELECT id, v, extra FROM o`;
  assert.deepEqual(await duckRows(duck, `SELECT id, v, extra FROM (${viewOf(svc, 'public.o_iceberg')})`), await pgRows(client, SRC2));
  await svc.flush('public.o_iceberg');
  assert.deepEqual(await duckRows(duck, `SELECT id, v, extra FROM (${viewOf(svc, 'public.o_iceberg')})`), await pgRows(client, SRC2), 'view after flush');
  const loc = (await registryRow('o_iceberg')).location as string;
  assert.deepEqual(chRows(loc, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'ClickHouse reads old and new files');
  // Iceberg v2 has no initial-default: files written before ADD COLUMN read NULL outside lakegate
  assert.deepEqual(chRows(loc, `SELECT id, extra FROM $TABLE WHERE extra IS NOT NULL`), await pgRows(client, `SELECT id, extra FROM o WHERE id = 100`), 'ClickHouse after flush');
  // optimize_table rewrites the files written before ADD COLUMN with the default in them
  await client.query(`CALL mooncake.optimize_table('o_iceberg', 'data')`);
  assert.deepEqual(chRows(loc, `SELECT id, extra FROM $TABLE`), await pgRows(client, `SELECT id, extra FROM o`), 'ClickHouse after optimize_table');
});

test('drop_table deletes the Iceberg files and the registry row', async () => {
  const loc = (await registryRow('o_iceberg')).location as string;
  await client.query(`CALL mooncake.drop_table('o_iceberg')`);
  await waitFor('registry row gone', async () => (await client.query(`SELECT 1 FROM mooncake.mirrors WHERE mirror_name = 'o_iceberg'`)).rowCount === 0);
  assert.equal(svc.mirrorSql('public.o_iceberg'), null);
  assert.deepEqual(await wh.storage.list(loc + '/'), []);
  const pub = await client.query(`SELECT 1 FROM pg_publication_tables WHERE pubname = 'lakegate' AND tablename = 'o'`);
  assert.equal(pub.rowCount, 0, 'source left the publication');
});

test('a dropped source marks its mirror failed: it stops being served, its files stay', async () => {
  await client.query(`CREATE TABLE gone_src (id int PRIMARY KEY)`);
  await client.query(`INSERT INTO gone_src SELECT generate_series(1, 10)`);
  await client.query(`CALL mooncake.create_table('gone_iceberg', 'gone_src')`);
  await waitFor('ready', async () => (await registryRow('gone_iceberg'))?.state === 'ready');
  await svc.waitReady('public.gone_iceberg');
  const loc = (await registryRow('gone_iceberg')).location as string;
  await client.query(`DROP TABLE gone_src CASCADE`);
  await waitFor('failed', async () => (await registryRow('gone_iceberg'))?.state === 'failed');
  await waitFor('not served', async () => svc.mirrorSql('public.gone_iceberg') === null);
  assert.ok((await wh.storage.list(loc + '/')).length > 0, 'files kept until the mirror is dropped');
});
