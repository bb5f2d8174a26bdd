// create_table's table_config honoured per mirror: `iceberg.deletion_vectors` (format v3, deletes as Puffin
// deletion vectors), `iceberg.storage_config.fs.root_directory` and `iceberg.storage_config.s3` (s3rver), and a
// storage lakegate cannot use fails that mirror with the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'chdb';
import pg from 'pg';
import { startMirrorService, type MirrorService } from '../src/mirror/index.js';
import { ControlRegistry } from '../src/mirror/control-registry.js';
import { IcebergTable } from '../src/iceberg/index.js';
import { startS3, type TestS3 } from './helpers/s3.js';
import { chRows, currentLsn, duckRows, norm, pgRows, startControlFixture, viewOf, waitFor, type ControlFixture } from './mirror-helpers.js';

let fx: ControlFixture;
let s3: TestS3;
let svc: MirrorService | null = null;

before(async () => {
  fx = await startControlFixture();
  s3 = await startS3('mirrors');
});

after(async () => {
  await svc?.stop();
  await fx?.close();
  await s3?.stop();
});

async function start(extra: Record<string, number> = {}): Promise<MirrorService> {
  svc = await startMirrorService({
    upstream: { host: '127.0.0.1', port: fx.server.port, user: 'postgres', database: 'postgres' },
    storage: fx.wh.storage,
    // S3 defaults (keys, path style) for table_config storages; DuckDB may read only the warehouse and the cache
    storageSettings: {
      s3: { ...s3.options, endpoint: 'http://127.0.0.1:1', cacheDir: join(fx.wh.dir, 'cache') },
      cacheDir: join(fx.wh.dir, 'cache'),
      readableDirs: [join(fx.wh.dir, 'wh'), join(fx.wh.dir, 'cache')],
    },
    duckdb: fx.duck,
    registry: new ControlRegistry(fx.pool),
    options: { spillDir: fx.wh.spillDir, idleFlushMs: 0, flushAgeMs: 3_600_000, flushRows: 1_000_000, tickMs: 50, ackIntervalMs: 100, maintenanceIntervalMs: 0, ...extra },
  });
  return svc;
}

async function row(name: string): Promise<Record<string, any>> {
  const r = await fx.client.query(`SELECT id, state, error, location FROM mooncake.mirrors WHERE mirror_name = $1`, [name]);
  return r.rows[0];
}

const metadataOf = (dir: string) => {
  const files = readdirSync(join(dir, 'metadata')).filter((f) => f.endsWith('.metadata.json')).sort((a, b) => parseInt(a.slice(1)) - parseInt(b.slice(1)));
  return JSON.parse(readFileSync(join(dir, 'metadata', files.at(-1)!), 'utf8'));
};

test('deletion_vectors: format v3 with Puffin deletion vectors; exact through updates, restarts and compaction', async () => {
  const c = fx.client;
  let s = await start();
  await c.query(`CREATE TABLE dv (id int PRIMARY KEY, v text)`);
  await c.query(`INSERT INTO dv SELECT g, 'v' || g FROM generate_series(1, 2000) g`);
  await c.query(`CALL mooncake.create_table('dv_iceberg', 'dv', NULL, '{"iceberg": {"deletion_vectors": true}}')`);
  await waitFor('ready', async () => (await row('dv_iceberg')).state === 'ready');
  const SRC = `SELECT id, v FROM dv`;
  const same = async (what: string) => {
    assert.ok(await s.waitForLsn(await currentLsn(c)));
    assert.deepEqual(await duckRows(fx.duck, `SELECT id, v FROM (${viewOf(s, 'public.dv_iceberg')})`), await pgRows(c, SRC), what);
  };
  await c.query(`UPDATE dv SET v = 'u1' WHERE id % 10 = 0`);
  await c.query(`DELETE FROM dv WHERE id % 7 = 0`);
  await c.query(`CALL mooncake.create_snapshot('dv_iceberg')`);
  await same('after the first flush');
  // the same data file gets more deletes: its vector is replaced by old ∪ new
  await c.query(`UPDATE dv SET v = 'u2' WHERE id % 10 = 1`);
  await c.query(`DELETE FROM dv WHERE id BETWEEN 1 AND 50`);
  await c.query(`CALL mooncake.create_snapshot('dv_iceberg')`);
  await same('after the second flush');

  const loc = (await row('dv_iceberg')).location as string;
  const dir = loc.replace(/^file:\/\//, '');
  const meta = metadataOf(dir);
  assert.equal(meta['format-version'], 3);
  assert.ok(meta['next-row-id'] >= 2000, 'row lineage');
  const cur = meta.snapshots.find((x: any) => x['snapshot-id'] === meta['current-snapshot-id']);
  assert.ok(Number(cur.summary['total-delete-files']) >= 1);
  assert.ok(readdirSync(join(dir, 'data')).some((f) => f.endsWith('.puffin')), 'deletes are Puffin deletion vectors');
  assert.ok(!readdirSync(join(dir, 'data')).some((f) => f.endsWith('-deletes.parquet')), 'no v2 position-delete files');

  // a restart rebuilds the base from Iceberg, decoding the vectors again (cold cache)
  await s.stop();
  const { rmSync } = await import('node:fs');
  rmSync(join(fx.wh.dir, 'cache', 'dv'), { recursive: true, force: true });
  s = await start();
  await s.waitReady('public.dv_iceberg');
  await same('after a restart');

  // full compaction applies the vectors: no deletes remain and ClickHouse reads the v3 table row-exact
  await c.query(`CALL mooncake.optimize_table('dv_iceberg', 'full')`);
  await same('after compaction');
  const after = metadataOf(dir);
  const snap = after.snapshots.find((x: any) => x['snapshot-id'] === after['current-snapshot-id']);
  assert.equal(snap.summary['total-delete-files'], '0');
  assert.deepEqual(chRows(loc, `SELECT id, v FROM $TABLE`), await pgRows(c, SRC), 'ClickHouse reads the compacted v3 table');

  // once no retained snapshot needs the vectors, their Puffin files and local copies are deleted together
  const dvCache = join(fx.wh.dir, 'cache', 'dv');
  assert.ok(readdirSync(dvCache).length > 0, 'vectors were materialised locally');
  await c.query(`INSERT INTO dv VALUES (5001, 'later')`);
  await c.query(`CALL mooncake.create_snapshot('dv_iceberg')`);
  await c.query(`CALL mooncake.optimize_table('dv_iceberg', 'full')`);
  await same('after expiry');
  assert.ok(!readdirSync(join(dir, 'data')).some((f) => f.endsWith('.puffin')), 'expired Puffin files are deleted');
  assert.deepEqual(readdirSync(dvCache), [], 'and so are their local copies');
});

test('storage_config.fs.root_directory: the mirror lives there; drop_table removes it', async () => {
  const c = fx.client;
  const s = svc ?? (await start());
  const root = join(fx.wh.dir, 'wh', 'custom-root');
  await c.query(`CREATE TABLE fsx (id int PRIMARY KEY, v text)`);
  await c.query(`INSERT INTO fsx SELECT g, 'f' || g FROM generate_series(1, 100) g`);
  await c.query(`CALL mooncake.create_table('fsx_iceberg', 'fsx', NULL, $1::json)`, [JSON.stringify({ iceberg: { storage_config: { fs: { root_directory: root } } } })]);
  await waitFor('ready', async () => (await row('fsx_iceberg')).state === 'ready');
  const loc = (await row('fsx_iceberg')).location as string;
  assert.ok(loc.startsWith(`file://${root}/`), `location ${loc} under the configured root`);
  const listed = (await c.query(`SELECT iceberg_warehouse_location FROM mooncake.list_tables() WHERE "table" = 'public.fsx_iceberg'`)).rows;
  assert.equal(listed[0].iceberg_warehouse_location, loc);
  await c.query(`UPDATE fsx SET v = 'x' WHERE id < 5`);
  await c.query(`CALL mooncake.create_snapshot('fsx_iceberg')`);
  assert.deepEqual(chRows(loc, `SELECT id, v FROM $TABLE`), await pgRows(c, `SELECT id, v FROM fsx`), 'ClickHouse reads it');
  assert.deepEqual(await duckRows(fx.duck, `SELECT id, v FROM (${viewOf(s, 'public.fsx_iceberg')})`), await pgRows(c, `SELECT id, v FROM fsx`));
  await c.query(`CALL mooncake.drop_table('fsx_iceberg')`);
  await waitFor('files removed', async () => !existsSync(loc.replace(/^file:\/\//, '')) || readdirSync(loc.replace(/^file:\/\//, ''), { recursive: true }).filter((f) => !String(f).match(/^(data|metadata)$/)).length === 0);
});

test('storage_config.s3: the mirror is written to that bucket; other engines read it there', async () => {
  const c = fx.client;
  const s = svc ?? (await start());
  await c.query(`CREATE TABLE s3x (id int PRIMARY KEY, v text)`);
  await c.query(`INSERT INTO s3x SELECT g, 's' || g FROM generate_series(1, 200) g`);
  const cfg = { iceberg: { storage_config: { s3: { bucket: s3.bucket, prefix: 'lake', endpoint: s3.endpoint, region: 'us-east-1' } } } };
  await c.query(`CALL mooncake.create_table('s3x_iceberg', 's3x', NULL, $1::json)`, [JSON.stringify(cfg)]);
  await waitFor('ready', async () => (await row('s3x_iceberg')).state === 'ready');
  const loc = (await row('s3x_iceberg')).location as string;
  assert.ok(loc.startsWith(`s3://${s3.bucket}/lake/`), `location ${loc} in the configured bucket`);
  await c.query(`DELETE FROM s3x WHERE id % 3 = 0`);
  await c.query(`CALL mooncake.create_snapshot('s3x_iceberg')`);
  assert.ok(await s.waitForLsn(await currentLsn(c)));
  const SRC = `SELECT id, v FROM s3x`;
  assert.deepEqual(await duckRows(fx.duck, `SELECT id, v FROM (${viewOf(s, 'public.s3x_iceberg')})`), await pgRows(c, SRC));
  const url = `${s3.endpoint}/${loc.replace(/^s3:\/\//, '')}/`;
  // async and in its own session: a synchronous query would block the event loop serving s3rver
  const chdb = new Session();
  const out = await chdb
    .queryAsync(`SELECT id, v FROM icebergS3('${url}', 'S3RVER', 'S3RVER')`, { format: 'JSONCompactEachRow', timeout: 60_000 })
    .then((r) => r.text())
    .finally(() => chdb.close());
  const ch = out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.stringify((JSON.parse(l) as unknown[]).map(norm))).sort();
  assert.deepEqual(ch, await pgRows(c, SRC), 'ClickHouse icebergS3 reads the mirror from its bucket');
});

test('a storage outside what lakegate may read fails that mirror with the reason; others keep working', async () => {
  const c = fx.client;
  const s = svc ?? (await start());
  await c.query(`CREATE TABLE bad (id int PRIMARY KEY)`);
  await c.query(`CALL mooncake.create_table('bad_iceberg', 'bad', NULL, '{"iceberg": {"storage_config": {"fs": {"root_directory": "/somewhere/else"}}}}')`);
  await waitFor('failed', async () => (await row('bad_iceberg')).state === 'failed');
  assert.match((await row('bad_iceberg')).error, /root_directory \/somewhere\/else is not supported: it is outside the directories/);
  await c.query(`INSERT INTO s3x VALUES (1000, 'still')`);
  assert.ok(await s.waitForLsn(await currentLsn(c)));
  assert.deepEqual(await duckRows(fx.duck, `SELECT id, v FROM (${viewOf(s, 'public.s3x_iceberg')}) WHERE id = 1000`), await pgRows(c, `SELECT id, v FROM s3x WHERE id = 1000`));
});

test('table_config is validated at create_table: unknown keys and wrong types are refused', async () => {
  await assert.rejects(
    fx.client.query(`CALL mooncake.create_table('x_iceberg', 'bad', NULL, '{"iceberg": {"deletion_vectors": "yes"}}')`),
    (e: pg.DatabaseError) => e.code === '22023' && /deletion_vectors/.test(e.message),
  );
});

test('mooncake.skip_data_compaction: background maintenance leaves the files of that mirror alone', async () => {
  const c = fx.client;
  await svc?.stop();
  const s = await start({ maintenanceIntervalMs: 200, compactMinFiles: 2 });
  await c.query(`CREATE TABLE sk1 (id int PRIMARY KEY)`);
  await c.query(`CREATE TABLE sk2 (id int PRIMARY KEY)`);
  await c.query(`CALL mooncake.create_table('sk1_iceberg', 'sk1', NULL, '{"mooncake": {"skip_data_compaction": true}}')`);
  await c.query(`CALL mooncake.create_table('sk2_iceberg', 'sk2')`);
  await waitFor('ready', async () => (await row('sk1_iceberg')).state === 'ready' && (await row('sk2_iceberg')).state === 'ready');
  for (let i = 0; i < 3; i++) {
    await c.query(`INSERT INTO sk1 VALUES ($1)`, [i]);
    await c.query(`INSERT INTO sk2 VALUES ($1)`, [i]);
    await c.query(`CALL mooncake.create_snapshot('sk1_iceberg')`);
    await c.query(`CALL mooncake.create_snapshot('sk2_iceberg')`);
  }
  const files = (name: string) => s.mirrors().find((m) => m.name === name)!.dataFiles;
  await waitFor('the other mirror compacted in the background', async () => files('public.sk2_iceberg') === 1);
  assert.equal(files('public.sk1_iceberg'), 3, 'skip_data_compaction: still one file per flush');
  // optimize_table is an explicit request: it compacts regardless
  await c.query(`CALL mooncake.optimize_table('sk1_iceberg', 'data')`);
  assert.equal(files('public.sk1_iceberg'), 1);
  assert.deepEqual(await duckRows(fx.duck, `SELECT id FROM (${viewOf(s, 'public.sk1_iceberg')})`), await pgRows(c, `SELECT id FROM sk1`));
});

test('background compaction leaves files of copyFileRows rows (the initial copy) alone and merges the small ones', async () => {
  const c = fx.client;
  await svc?.stop();
  const s = await start({ maintenanceIntervalMs: 200, compactMinFiles: 2, copyFileRows: 100 });
  await c.query(`CREATE TABLE big (id int PRIMARY KEY, v text)`);
  await c.query(`INSERT INTO big SELECT g, 'b' || g FROM generate_series(1, 5000) g`);
  await c.query(`CALL mooncake.create_table('big_iceberg', 'big')`);
  await waitFor('ready', async () => (await row('big_iceberg'))?.state === 'ready');
  for (let i = 0; i < 2; i++) {
    await c.query(`INSERT INTO big VALUES ($1, 'n')`, [10_000 + i]);
    await c.query(`CALL mooncake.create_snapshot('big_iceberg')`);
  }
  const loc = (await row('big_iceberg')).location as string;
  const plan = async () => (await IcebergTable.load(fx.wh.storage, loc)).planScan();
  const copied = (await plan()).dataFiles.filter((f) => f.recordCount >= 100).map((f) => f.path).sort();
  assert.ok(copied.length >= 2, 'the copy wrote several files of at least copyFileRows rows');
  // the two one-row flush files (and any short copy remainder) are small: merged into one
  await waitFor('small files merged', async () => (await plan()).dataFiles.length === copied.length + 1);
  await new Promise((r) => setTimeout(r, 600)); // more maintenance rounds: nothing else to do
  const final = (await plan()).dataFiles.map((f) => f.path);
  assert.equal(final.length, copied.length + 1);
  assert.deepEqual(final.filter((p) => copied.includes(p)).sort(), copied, 'the copy files stay');
  assert.deepEqual(await duckRows(fx.duck, `SELECT id, v FROM (${viewOf(s, 'public.big_iceberg')})`), await pgRows(c, `SELECT id, v FROM big`));
});
