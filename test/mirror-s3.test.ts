// The mirror service with an S3 warehouse (s3rver in-process): copy, changes, flushes and a restart that
// rebuilds the base from S3 through the download cache; ClickHouse (icebergS3) reads the result.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Session } from 'chdb';
import type pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startS3, type TestS3 } from './helpers/s3.js';
import { startMirrorService, MemoryRegistry, type MirrorService } from '../src/mirror/index.js';
import { openStorage, type Storage } from '../src/storage/index.js';
import type { SharedDuckDB } from '../src/engine/duckdb.js';
import { currentLsn, duckRows, makeDuck, makeWarehouse, norm, pgRows, viewOf, type Warehouse } from './mirror-helpers.js';

let server: TestPostgres;
let s3: TestS3;
let wh: Warehouse;
let storage: Storage;
let duck: SharedDuckDB;
let client: pg.Client;
let chdb: Session;
let svc: MirrorService | null = null;
const registry = new MemoryRegistry();

before(async () => {
  server = await startPostgres();
  s3 = await startS3();
  wh = makeWarehouse();
  storage = openStorage(`s3://${s3.bucket}/wh`, { s3: { ...s3.options, cacheDir: join(wh.dir, 's3-cache') } });
  duck = await makeDuck(wh.dir);
  client = await server.client();
  chdb = new Session();
});

after(async () => {
  await svc?.stop();
  chdb?.close();
  await client?.end();
  duck?.close();
  await storage?.close();
  await s3?.stop();
  await server?.destroy();
  await wh?.cleanup();
});

async function start(): Promise<MirrorService> {
  svc = await startMirrorService({
    upstream: { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' },
    storage,
    duckdb: duck,
    registry,
    options: { spillDir: wh.spillDir, idleFlushMs: 0, flushAgeMs: 3_600_000, flushRows: 1_000_000, tickMs: 50, maintenanceIntervalMs: 0, flushOnStop: false },
  });
  return svc;
}

// async: a synchronous chdb query would block the event loop that serves s3rver in this process
async function clickhouse(location: string, select: string): Promise<string[]> {
  const url = `${s3.endpoint}/${location.replace(/^s3:\/\//, '')}/`;
  const sql = select.replace('$TABLE', `icebergS3('${url}', 'S3RVER', 'S3RVER')`);
  return (await chdb.queryAsync(sql, { format: 'JSONCompactEachRow', timeout: 60_000 }))
    .text()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.stringify((JSON.parse(l) as unknown[]).map(norm)))
    .sort();
}

test('S3 warehouse: copy, changes, flush, restart from S3, ClickHouse icebergS3', async () => {
  await client.query(`CREATE TABLE s (id int PRIMARY KEY, v text)`);
  await client.query(`INSERT INTO s SELECT g, 'v' || g FROM generate_series(1, 300) g`);
  let s = await start();
  const rec = registry.add({ schema: 'public', name: 's' });
  await s.waitReady(rec.id);
  await client.query(`UPDATE s SET v = 'u' WHERE id % 4 = 0`);
  await client.query(`DELETE FROM s WHERE id % 9 = 0`);
  assert.ok(await s.waitForLsn(await currentLsn(client)));
  await s.flush(rec.id);
  const loc = s.mirrors()[0]!.location;
  assert.match(loc, /^s3:\/\//);
  const SRC = `SELECT id, v FROM s`;
  assert.deepEqual(await clickhouse(loc, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'ClickHouse icebergS3');
  await client.query(`UPDATE s SET v = 'tail' WHERE id < 10`);
  assert.ok(await s.waitForLsn(await currentLsn(client)));
  await s.stop();
  s = await start();
  await s.waitReady(rec.id);
  assert.ok(await s.waitForLsn(await currentLsn(client)));
  assert.deepEqual(await duckRows(duck, `SELECT id, v FROM (${viewOf(s, rec.id)})`), await pgRows(client, SRC), 'view after restart');
  await s.flush(rec.id);
  assert.deepEqual(await clickhouse(loc, `SELECT id, v FROM $TABLE`), await pgRows(client, SRC), 'ClickHouse after restart');
});
