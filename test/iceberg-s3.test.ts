// The same Iceberg writer on S3 (s3rver in-process): files are written locally, uploaded through Storage,
// read back by ClickHouse (chdb icebergS3), icebird and our planner + DuckDB over the download cache.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Session } from 'chdb';
import { icebergRead } from 'icebird';
import { openStorage, type Storage } from '../src/storage/index.js';
import { IcebergTable } from '../src/iceberg/index.js';
import { startS3, type TestS3 } from './helpers/s3.js';
import { duckRows, jsonEachRow, positionsOf } from './helpers/iceberg.js';

let s3: TestS3;
let dir: string;
let storage: Storage;
let duck: DuckDBInstance;
let conn: DuckDBConnection;
// a Session, closed in after(): the default connection crashed the process at exit after icebergS3 (SIGSEGV)
let chdb: Session;

before(async () => {
  s3 = await startS3();
  dir = mkdtempSync(join(tmpdir(), 'lg-iceberg-s3-'));
  storage = openStorage(`s3://${s3.bucket}/wh`, { s3: { ...s3.options, cacheDir: join(dir, 'cache') } });
  duck = await DuckDBInstance.create(':memory:', { threads: '2' });
  conn = await duck.connect();
  chdb = new Session();
});

after(async () => {
  chdb.close();
  conn.closeSync();
  duck.closeSync();
  await storage.close();
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
});

// async: a synchronous chdb query would block the event loop that serves s3rver in this same process
async function clickhouse<T = unknown[]>(sql: string): Promise<T[]> {
  return jsonEachRow<T>((await chdb.queryAsync(sql, { format: 'JSONCompactEachRow', timeout: 60_000 })).text());
}


test('v2 table on S3: append, deletes, evolution; ClickHouse icebergS3, icebird and DuckDB agree', async () => {
  const loc = `s3://${s3.bucket}/wh/db/events`;
  const t = await IcebergTable.create(
    storage,
    loc,
    [
      { name: 'id', type: 'long' },
      { name: 'kind', type: 'string' },
      { name: 'amount', type: 'decimal(18, 4)' },
    ],
    { identifierFields: ['id'] },
  );
  const f1 = await t.writeDataFile(conn, `SELECT i AS id, 'k' || (i % 3) AS kind, i * 0.5 AS amount FROM range(1, 201) r(i)`);
  assert.ok(f1.filePath.startsWith(`${loc}/data/`));
  assert.deepEqual(await storage.head(f1.filePath), { size: f1.fileSizeInBytes }, 'uploaded with its exact size');
  assert.deepEqual(readdirSync(join(dir, 'cache', '.staging')), [], 'the staged file moved into the cache');
  await t.commit({ addDataFiles: [f1], summary: { 'lakegate.flush-lsn': '0/A' } });

  const f2 = await t.writeDataFile(conn, `SELECT i AS id, 'new' AS kind, 1.0 AS amount FROM range(201, 211) r(i)`);
  const del = await t.writePositionDeleteFile(
    conn,
    `${await positionsOf(t, f1, 'id % 10 = 0')} UNION ALL ${await positionsOf(t, f2, 'id = 205')}`,
  );
  assert.equal(del.recordCount, 21);
  await t.commit({ addDataFiles: [f2], addDeleteFiles: [del], summary: { 'lakegate.flush-lsn': '0/B' } });
  await t.updateSchema([
    { op: 'add-column', name: 'tag', type: 'string' },
    { op: 'rename-column', name: 'kind', newName: 'category' },
  ]);
  const f3 = await t.writeDataFile(conn, `SELECT 300 AS id, 'late' AS category, 2.5 AS amount, 'tagged' AS tag`);
  await t.commit({ addDataFiles: [f3] });

  const expectedIds = [
    ...Array.from({ length: 200 }, (_, k) => k + 1).filter((i) => i % 10 !== 0),
    ...Array.from({ length: 10 }, (_, k) => k + 201).filter((i) => i !== 205),
    300,
  ];
  const expectedSum = expectedIds.reduce((a, i) => a + (i <= 200 ? i * 0.5 : i === 300 ? 2.5 : 1), 0);

  // a fresh handle (another process would do this) with its own empty download cache
  const reader = await IcebergTable.load(
    openStorage(`s3://${s3.bucket}/wh`, { s3: { ...s3.options, cacheDir: join(dir, 'cache2') } }),
    loc,
  );
  assert.equal(reader.version, t.version);
  const mine = await duckRows(conn, `SELECT id, category, amount::DOUBLE AS amount, tag FROM (${await reader.scanSql({ conn })}) ORDER BY id`);
  assert.deepEqual(mine.map((r) => Number(r.id)), expectedIds);
  assert.equal(mine.reduce((a, r) => a + Number(r.amount), 0), expectedSum);
  assert.deepEqual(mine.at(-1), { id: '300', category: 'late', amount: 2.5, tag: 'tagged' });
  assert.equal(mine[0]!.category, 'k1', 'renamed column read from an old file by field id');
  assert.ok(existsSync(join(dir, 'cache2', s3.bucket, 'wh/db/events/data')), 'files were downloaded into the cache');
  await reader.storage.close();

  const url = `${s3.endpoint}/${s3.bucket}/wh/db/events/`;
  const ch = await clickhouse<[number, string, number, string | null]>(
    `SELECT id, category, toFloat64(amount), tag FROM icebergS3('${url}', 'S3RVER', 'S3RVER') ORDER BY id`,
  );
  assert.deepEqual(ch.map((r) => Number(r[0])), expectedIds);
  assert.equal(ch.reduce((a, r) => a + r[2], 0), expectedSum);
  assert.deepEqual(ch.at(-1), [300, 'late', 2.5, 'tagged']);

  // icebird maps s3:// to https://<bucket>.s3.amazonaws.com/<key>; route that to s3rver
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const u = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const prefix = `https://${s3.bucket}.s3.amazonaws.com/`;
    return realFetch(u.startsWith(prefix) ? `${s3.endpoint}/${s3.bucket}/${u.slice(prefix.length)}` : input, init);
  }) as typeof fetch;
  try {
    const rows = await icebergRead({ tableUrl: loc });
    assert.deepEqual(rows.map((r: Record<string, unknown>) => Number(r.id)).sort((a: number, b: number) => a - b), expectedIds);
    assert.equal(rows.find((r: Record<string, unknown>) => Number(r.id) === 1)?.category, 'k1');
  } finally {
    globalThis.fetch = realFetch;
  }

  // expiry and orphan listing work against S3 listings too
  const { filesToDelete } = await t.expireSnapshots({ retainLast: 1 });
  assert.ok(filesToDelete.length > 0 && filesToDelete.every((u) => u.includes('/metadata/snap-') || u.endsWith('-m0.avro')),
    'appends only: nothing but old manifest lists/manifests is freed');
  await t.deleteFiles(filesToDelete);
  assert.deepEqual(await t.listOrphanFiles({ olderThanMs: Date.now() + 60_000 }), []);
  const [[n]] = await clickhouse<[number]>(`SELECT count() FROM icebergS3('${url}', 'S3RVER', 'S3RVER')`);
  assert.equal(Number(n), expectedIds.length);
});
