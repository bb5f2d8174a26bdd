// Iceberg v2 writer + planner on the local filesystem, checked against independent readers:
// ClickHouse (chdb icebergLocal), icebird (pure JS), and our own plan + DuckDB read_parquet anti join.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { icebergRead } from 'icebird';
import { openStorage, FsStorage, type Storage } from '../src/storage/index.js';
import {
  IcebergTable,
  CommitConflictError,
  positionsValuesSql,
  decodeManifest,
  decodeManifestList,
  decodeSingleValue,
  encodeSingleValue,
  parseTableMetadata,
  serializeTableMetadata,
  encodeManifestList,
  quoteLiteral,
  DELETE_FILE_PATH_ID,
  DELETE_POS_ID,
  EntryStatus,
} from '../src/iceberg/index.js';
import { readAvroFile } from '../src/iceberg/avro.js';
import { boundFromDuckDBText, truncateStringUpper } from '../src/iceberg/single-value.js';
import { fileUriToPath } from '../src/storage/fs.js';
import { clickhouseIn, duckRows, positionsOf } from './helpers/iceberg.js';

let dir: string;
let storage: Storage;
let duck: DuckDBInstance;
let conn: DuckDBConnection;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lg-iceberg-'));
  storage = openStorage(`file://${dir}/wh`);
  duck = await DuckDBInstance.create(':memory:', { threads: '2' });
  conn = await duck.connect();
  await conn.run("SET TimeZone = 'UTC'");
});

after(async () => {
  conn.closeSync();
  duck.closeSync();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** ClickHouse only opens files under its cwd (user_files_path '.'), checked per query. */
const clickhouse = <T = unknown[]>(sql: string): T[] => clickhouseIn<T>(dir, sql);

/** icebird fetches over HTTP; serve file:// URLs (HEAD and ranged GET) from disk. */
const realFetch = globalThis.fetch;
async function withFileFetch<T>(fn: () => Promise<T>): Promise<T> {
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith('file:')) return realFetch(input, init);
    const path = fileUriToPath(url);
    if (!existsSync(path)) return new Response(null, { status: 404 });
    const body = await readFile(path);
    if (init?.method === 'HEAD') return new Response(null, { status: 200, headers: { 'content-length': String(body.length) } });
    const range = new Headers(init?.headers).get('range');
    const m = range ? /bytes=(\d+)-(\d*)/.exec(range) : null;
    if (m) {
      const end = m[2] ? Number(m[2]) + 1 : body.length;
      return new Response(body.subarray(Number(m[1]), end), { status: 206 });
    }
    return new Response(body, { status: 200 });
  }) as typeof fetch;
  try {
    return await fn();
  } finally {
    globalThis.fetch = realFetch;
  }
}



interface Row {
  id: number;
  name: string;
  amount: number;
  qty: bigint;
  note: string | null;
  tags: string[];
  day: string;
}

function rowsFor(ids: number[], mk: (i: number) => Partial<Row> = () => ({})): Map<number, Row> {
  return new Map(
    ids.map((i) => [
      i,
      {
        id: i,
        name: `name-${i}`,
        amount: i * 1.25,
        qty: BigInt(i * 10),
        note: null,
        tags: ['t', `x${i}`],
        day: new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10),
        ...mk(i),
      },
    ]),
  );
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);

const SOURCE_COLUMNS = (nameExpr: string) => `
  i::BIGINT AS id, ${nameExpr} AS name, (i * 1.25)::DECIMAL(10,2) AS amount, (i * 10)::INTEGER AS qty,
  (i / 4)::FLOAT AS score, TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) MINUTE AS created,
  DATE '2024-01-01' + i::INTEGER AS day, TIMESTAMP '2024-02-01 12:00:00' + INTERVAL (i) SECOND AS local_ts,
  md5(i::VARCHAR)::UUID AS uid, ('\\x01\\x02' || i::VARCHAR)::BLOB AS payload, i % 2 = 0 AS flag, ['t', 'x' || i] AS tags`;

test('v2 table: append, position deletes, schema evolution, read back by ClickHouse, icebird and DuckDB', async () => {
  const loc = storage.uri('db/orders');
  const t = await IcebergTable.create(
    storage,
    loc,
    [
      { name: 'id', type: 'long' },
      { name: 'name', type: 'string' },
      { name: 'amount', type: 'decimal(10, 2)' },
      { name: 'qty', type: 'int' },
      { name: 'score', type: 'float' },
      { name: 'created', type: 'timestamptz' },
      { name: 'day', type: 'date' },
      { name: 'local_ts', type: 'timestamp' },
      { name: 'uid', type: 'uuid' },
      { name: 'payload', type: 'binary' },
      { name: 'flag', type: 'boolean' },
      { name: 'tags', type: { type: 'list', element: 'string' } },
    ],
    { identifierFields: ['id'] },
  );
  assert.equal(t.version, 1);
  assert.equal(t.metadata['last-column-id'], 13, '12 columns + list element id');
  assert.deepEqual(t.schema['identifier-field-ids'], [1]);
  assert.equal(t.currentSnapshot, null);

  // flush 1: ids 1..50
  const fileA = await t.writeDataFile(conn, `SELECT ${SOURCE_COLUMNS("'name-' || i")} FROM range(1, 51) r(i)`);
  const s1 = await t.commit({ addDataFiles: [fileA], summary: { 'lakegate.flush-lsn': '0/100' } });
  assert.equal(s1.summary.operation, 'append');
  assert.equal(s1.summary['lakegate.flush-lsn'], '0/100');
  assert.equal(s1.summary['total-records'], '50');

  // metrics of the data file: exact size, counts and bounds in single-value binary
  assert.equal(fileA.recordCount, 50);
  assert.equal(fileA.fileSizeInBytes, statSync(fileUriToPath(fileA.filePath)).size);
  assert.equal(decodeSingleValue('long', fileA.lowerBounds!.get(1)!), 1n);
  assert.equal(decodeSingleValue('long', fileA.upperBounds!.get(1)!), 50n);
  assert.equal(decodeSingleValue('decimal(10, 2)', fileA.upperBounds!.get(3)!), 6250n);
  assert.equal(decodeSingleValue('date', fileA.lowerBounds!.get(7)!), 19724); // 2024-01-02
  assert.equal(decodeSingleValue('timestamptz', fileA.lowerBounds!.get(6)!), 1704067260000000n);
  assert.equal(decodeSingleValue('string', fileA.lowerBounds!.get(2)!), 'name-1');
  assert.equal(fileA.valueCounts!.get(13), 100, 'list element values are counted');
  assert.equal(fileA.lowerBounds!.has(13), false, 'no bounds inside lists');
  assert.equal(fileA.nullValueCounts!.get(2), 0);

  // flush 2: inserts 51..100, updates 1..3 (delete + insert), deletes 10 and 20 (file A) and 60 (inserted in this
  // very flush: same sequence number, must still apply)
  const fileB = await t.writeDataFile(
    conn,
    `SELECT ${SOURCE_COLUMNS("CASE WHEN i <= 3 THEN 'upd-' || i ELSE 'name-' || i END")} FROM (SELECT * FROM range(51, 101) UNION ALL SELECT * FROM range(1, 4)) r(i)`,
  );
  const delSql = `${await positionsOf(t, fileA, 'id IN (1, 2, 3, 10, 20)')} UNION ALL ${await positionsOf(t, fileB, 'id = 60')}`;
  const del1 = await t.writePositionDeleteFile(conn, delSql);
  assert.equal(del1.recordCount, 6);
  assert.equal(del1.referencedDataFile, undefined, 'touches two data files');
  assert.equal(del1.lowerBounds!.get(DELETE_FILE_PATH_ID)!.toString(), [fileA.filePath, fileB.filePath].sort()[0]);
  assert.equal(decodeSingleValue('long', del1.lowerBounds!.get(DELETE_POS_ID)!), 0n);
  const s2 = await t.commit({ addDataFiles: [fileB], addDeleteFiles: [del1], summary: { 'lakegate.flush-lsn': '0/200' } });
  assert.equal(s2.summary.operation, 'overwrite');
  assert.equal(s2.summary['total-position-deletes'], '6');
  assert.equal(s2['sequence-number'], 2);

  // the delete file is sorted by (file_path, pos) and carries the reserved field ids
  const delLocal = fileUriToPath(del1.filePath);
  const delRows = await duckRows(conn, `SELECT file_path, pos FROM read_parquet(${quoteLiteral(delLocal)})`);
  const sorted = [...delRows].sort((a, b) =>
    a.file_path === b.file_path ? Number(a.pos) - Number(b.pos) : String(a.file_path) < String(b.file_path) ? -1 : 1,
  );
  assert.deepEqual(delRows, sorted);
  const ids = await duckRows(conn, `SELECT name, field_id FROM parquet_schema(${quoteLiteral(delLocal)}) WHERE field_id IS NOT NULL ORDER BY name`);
  assert.deepEqual(ids, [
    { name: 'file_path', field_id: String(DELETE_FILE_PATH_ID) },
    { name: 'pos', field_id: String(DELETE_POS_ID) },
  ]);

  // schema evolution, then flush 3 under the new schema
  const evolved = await t.updateSchema([
    { op: 'add-column', name: 'note', type: 'string' },
    { op: 'rename-column', name: 'name', newName: 'full_name' },
    { op: 'update-column-type', name: 'qty', type: 'long' },
    { op: 'update-column-type', name: 'score', type: 'double' },
    { op: 'update-column-type', name: 'amount', type: 'decimal(12, 2)' },
    { op: 'drop-column', name: 'payload' },
  ]);
  assert.equal(evolved['schema-id'], 1);
  assert.equal(t.metadata['last-column-id'], 14);
  assert.equal(evolved.fields.find((f) => f.name === 'note')!.id, 14);
  assert.equal(evolved.fields.find((f) => f.name === 'full_name')!.id, 2);
  await assert.rejects(t.updateSchema([{ op: 'update-column-type', name: 'qty', type: 'int' }]), /cannot change/);
  await assert.rejects(t.updateSchema([{ op: 'drop-column', name: 'id' }]), /identifier/);

  const fileC = await t.writeDataFile(
    conn,
    `SELECT i::BIGINT AS id, 'name-' || i AS full_name, (i * 1.25)::DECIMAL(12,2) AS amount,
            CASE WHEN i = 120 THEN 5000000000 ELSE i * 10 END::BIGINT AS qty, (i / 4)::DOUBLE AS score,
            TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) MINUTE AS created, DATE '2024-01-01' + i::INTEGER AS day,
            TIMESTAMP '2024-02-01 12:00:00' + INTERVAL (i) SECOND AS local_ts, md5(i::VARCHAR)::UUID AS uid,
            i % 2 = 0 AS flag, ['t', 'x' || i] AS tags, 'note-' || i AS note
     FROM range(101, 121) r(i)`,
  );
  const s3 = await t.commit({ addDataFiles: [fileC], summary: { 'lakegate.flush-lsn': '0/300' } });
  assert.equal(s3['schema-id'], 1);
  assert.equal(s3.summary['total-records'], '123');
  assert.equal(s3.summary['total-data-files'], '3', 'A, B, C');

  // expected table content
  const expected = rowsFor(range(1, 100).filter((i) => ![10, 20, 60].includes(i)), (i) => (i <= 3 ? { name: `upd-${i}` } : {}));
  for (const [k, v] of rowsFor(range(101, 120), (i) => ({ note: `note-${i}`, qty: i === 120 ? 5_000_000_000n : BigInt(i * 10) }))) {
    expected.set(k, v);
  }
  const want = [...expected.values()].sort((a, b) => a.id - b.id);

  // 1. our planner + DuckDB read_parquet anti join
  const plan = await t.planScan();
  assert.equal(plan.dataFiles.length, 3);
  assert.equal(plan.deleteFiles.length, 1);
  assert.deepEqual(plan.dataFiles.map((f) => f.seq).sort(), [1, 2, 3], 'schema changes make no snapshot');
  assert.equal(plan.deleteFiles[0]!.seq, 2);
  const mine = await duckRows(conn, 
    `SELECT id, full_name, amount::DOUBLE AS amount, qty, note, tags, day::VARCHAR AS day FROM (${await t.scanSql({ conn })}) ORDER BY id`,
  );
  // the read_parquet(schema = …) field-id mapping (no connection needed to build the SQL) agrees
  const viaSchemaParam = await duckRows(conn, 
    `SELECT id, full_name, amount::DOUBLE AS amount, qty, note, tags, day::VARCHAR AS day FROM (${await t.scanSql()}) ORDER BY id`,
  );
  assert.deepEqual(viaSchemaParam, mine);
  assert.deepEqual(
    mine.map((r) => ({ ...r, id: Number(r.id), qty: BigInt(r.qty as string) })),
    want.map((r) => ({ id: r.id, full_name: r.name, amount: r.amount, qty: r.qty, note: r.note, tags: r.tags, day: r.day })),
  );

  // 2. ClickHouse (chdb) reading the table on its own
  const tablePath = fileUriToPath(loc);
  const ch = clickhouse<[number, string, number, string, string | null, string[], string]>(
    `SELECT id, full_name, toFloat64(amount), toString(qty), note, tags, toString(day)
     FROM icebergLocal('${tablePath}') ORDER BY id`,
  );
  assert.deepEqual(
    ch.map(([id, full_name, amount, qty, note, tags, day]) => ({ id: Number(id), full_name, amount, qty: BigInt(qty), note, tags, day })),
    want.map((r) => ({ id: r.id, full_name: r.name, amount: r.amount, qty: r.qty, note: r.note, tags: r.tags, day: r.day })),
  );
  const [[chCount, chCreated, chUids]] = clickhouse<[number, string, string[]]>(
    `SELECT count(), toString(toUnixTimestamp64Micro(max(created))), groupArray(toString(uid)) FROM icebergLocal('${tablePath}')`,
  );
  assert.equal(Number(chCount), want.length);
  const [duckAgg] = await duckRows(conn, 
    `SELECT epoch_us(max(created))::VARCHAR AS c, list(uid::VARCHAR ORDER BY uid::VARCHAR) AS u FROM (${await t.scanSql({ conn })})`,
  );
  assert.equal(chCreated, duckAgg!.c);
  assert.deepEqual([...chUids].sort(), duckAgg!.u);
  // ClickHouse time travel to the first snapshot sees only flush 1
  const [[c1]] = clickhouse<[number]>(
    `SELECT count() FROM icebergLocal('${tablePath}') SETTINGS iceberg_snapshot_id = ${s1['snapshot-id']}`,
  );
  assert.equal(Number(c1), 50);
  const old = await duckRows(conn, `SELECT count(*)::INTEGER AS n FROM (${await t.scanSql({ conn, snapshotId: s1['snapshot-id'] })})`);
  assert.equal(old[0]!.n, 50);

  // 3. icebird (pure JS reader, version-hint.text based)
  const ib = await withFileFetch(() => icebergRead({ tableUrl: loc }));
  const ibRows = ib
    .map((r: Record<string, unknown>) => ({ id: Number(r.id), full_name: r.full_name, note: r.note ?? null }))
    .sort((a, b) => a.id - b.id);
  assert.deepEqual(ibRows, want.map((r) => ({ id: r.id, full_name: r.name, note: r.note })));

  // layout details other readers rely on
  assert.equal(readFileSync(join(tablePath, 'metadata/version-hint.text'), 'utf8'), String(t.version));
  const metaJson = JSON.parse(readFileSync(join(tablePath, `metadata/v${t.version}.metadata.json`), 'utf8'));
  assert.equal(metaJson['format-version'], 2);
  assert.equal(metaJson['current-snapshot-id'], Number(s3['snapshot-id']));
  assert.equal(metaJson.refs.main['snapshot-id'], Number(s3['snapshot-id']));
  assert.equal(metaJson['metadata-log'].length, t.version - 1);
  const listPath = fileUriToPath(s3['manifest-list']);
  const list = decodeManifestList(readFileSync(listPath));
  assert.equal(list.length, 4, 'fast append: C manifest + carried A and B data manifests + delete manifest');
  for (const mf of list) {
    assert.equal(mf.manifestLength, statSync(fileUriToPath(mf.manifestPath)).size);
    const avro = readAvroFile(readFileSync(fileUriToPath(mf.manifestPath)));
    assert.match(avro.meta['avro.schema']!, /"field-id":134/, 'field ids survive in the Avro schema');
    assert.equal(avro.meta['avro.codec'], 'deflate');
    assert.equal(avro.meta['format-version'], '2');
    assert.equal(avro.meta.content, mf.content === 0 ? 'data' : 'deletes');
  }
  const listMeta = readAvroFile(readFileSync(listPath)).meta;
  assert.equal(listMeta['snapshot-id'], String(s3['snapshot-id']));
  assert.equal(listMeta['parent-snapshot-id'], String(s2['snapshot-id']));
  const deleteManifest = list.find((m) => m.content === 1)!;
  const [delEntry] = decodeManifest(readFileSync(fileUriToPath(deleteManifest.manifestPath))).entries;
  assert.equal(delEntry!.status, EntryStatus.ADDED);
  assert.equal(delEntry!.sequenceNumber, null, 'ADDED entries inherit their sequence number');
  assert.equal(delEntry!.dataFile.sortOrderId, null);
  assert.equal(delEntry!.dataFile.content, 1);
});

test('compaction marks files DELETED; expiry frees them; orphan listing', async () => {
  const loc = storage.uri('db/compact');
  const t = await IcebergTable.create(storage, loc, [
    { name: 'id', type: 'long', required: true },
    { name: 'v', type: 'string' },
  ]);
  const f1 = await t.writeDataFile(conn, `SELECT i AS id, 'a' || i AS v FROM range(0, 20) r(i)`);
  await t.commit({ addDataFiles: [f1] });
  const f2 = await t.writeDataFile(conn, `SELECT i AS id, 'b' || i AS v FROM range(20, 40) r(i)`);
  const d1 = await t.writePositionDeleteFile(conn, await positionsOf(t, f1, 'id < 5'));
  assert.equal(d1.referencedDataFile, f1.filePath, 'a delete file touching one data file names it');
  await t.commit({ addDataFiles: [f2], addDeleteFiles: [d1] });
  const d2 = await t.writePositionDeleteFile(conn, await positionsOf(t, f2, 'id >= 35'));
  await t.commit({ addDeleteFiles: [d2] });
  const before = (await duckRows(conn, `SELECT id FROM (${await t.scanSql({ conn })}) ORDER BY id`)).map((r) => Number(r.id));
  assert.deepEqual(before, range(5, 34));

  // compaction: rewrite live rows into one file, drop both data files and both delete files
  const compacted = await t.writeDataFile(conn, `SELECT * FROM (${await t.scanSql({ conn })})`);
  const sc = await t.commit({
    operation: 'replace',
    addDataFiles: [compacted],
    removeDataFiles: [f1.filePath, f2.filePath],
    removeDeleteFiles: [d1.filePath, d2.filePath],
  });
  assert.equal(sc.summary.operation, 'replace');
  assert.equal(sc.summary['deleted-data-files'], '2');
  assert.equal(sc.summary['removed-delete-files'], '2');
  assert.equal(sc.summary['total-records'], '30');
  assert.equal(sc.summary['total-delete-files'], '0');
  const plan = await t.planScan();
  assert.deepEqual(plan.dataFiles.map((f) => f.path), [compacted.filePath]);
  assert.deepEqual(plan.deleteFiles, []);
  // the rewritten manifests keep DELETED entries with explicit sequence numbers
  const list = decodeManifestList(readFileSync(fileUriToPath(sc['manifest-list'])));
  const statuses: number[] = [];
  for (const mf of list) {
    for (const e of decodeManifest(readFileSync(fileUriToPath(mf.manifestPath))).entries) {
      statuses.push(e.status);
      if (e.status !== EntryStatus.ADDED) assert.ok(e.sequenceNumber !== null && e.fileSequenceNumber !== null);
    }
  }
  assert.deepEqual(statuses.sort(), [1, 2, 2, 2, 2]);
  const tablePath = fileUriToPath(loc);
  const chIds = clickhouse<[number]>(`SELECT id FROM icebergLocal('${tablePath}') ORDER BY id`).map(([id]) => Number(id));
  assert.deepEqual(chIds, range(5, 34));
  // removing a file that is no longer live is a conflict
  await assert.rejects(t.commit({ removeDataFiles: [f1.filePath] }), CommitConflictError);

  // next commit drops the all-DELETED manifests
  const f3 = await t.writeDataFile(conn, `SELECT 100 AS id, 'c' AS v`);
  const s4 = await t.commit({ addDataFiles: [f3] });
  const list4 = decodeManifestList(readFileSync(fileUriToPath(s4['manifest-list'])));
  assert.equal(list4.length, 2, 'new manifest + the compacted file manifest');

  // expire everything but the last two snapshots
  const stray = join(tablePath, 'data', 'stray.parquet');
  writeFileSync(stray, 'junk');
  const { expiredSnapshotIds, filesToDelete } = await t.expireSnapshots({ retainLast: 2 });
  assert.equal(expiredSnapshotIds.length, 3);
  assert.equal(t.metadata.snapshots.length, 2);
  for (const f of [f1, f2, d1, d2]) assert.ok(filesToDelete.includes(f.filePath), `${f.filePath} freed`);
  assert.ok(!filesToDelete.includes(compacted.filePath));
  assert.ok(!filesToDelete.includes(f3.filePath));
  await t.deleteFiles(filesToDelete);
  for (const f of [f1, f2, d1, d2]) assert.equal(existsSync(fileUriToPath(f.filePath)), false);
  const after = clickhouse<[number]>(`SELECT count() FROM icebergLocal('${tablePath}')`);
  assert.equal(Number(after[0]![0]), 31);
  assert.equal((await duckRows(conn, `SELECT count(*)::INTEGER AS n FROM (${await t.scanSql({ conn })})`))[0]!.n, 31);

  // orphans: only the stray file (nothing referenced is reported); young files are protected
  const orphans = await t.listOrphanFiles({ olderThanMs: Date.now() + 60_000 });
  assert.deepEqual(orphans.map((o) => o.key), [storage.key(loc) + '/data/stray.parquet']);
  assert.deepEqual(await t.listOrphanFiles({ olderThanMs: Date.now() - 60_000 }), []);
  const past = new Date(Date.now() - 3 * 86400_000);
  utimesSync(stray, past, past);
  assert.equal((await t.listOrphanFiles()).length, 1, 'default threshold: older than a day');
});

test('commit protocol: conflicting writers on the local filesystem', async () => {
  const loc = storage.uri('db/race');
  await IcebergTable.create(storage, loc, [{ name: 'id', type: 'long' }]);
  await assert.rejects(IcebergTable.create(storage, loc, [{ name: 'id', type: 'long' }]), /already exists/);
  const a = await IcebergTable.load(storage, loc);
  const b = await IcebergTable.load(storage, loc);
  const fa = await a.writeDataFile(conn, 'SELECT 1 AS id');
  const fb = await b.writeDataFile(conn, 'SELECT 2 AS id');
  await a.commit({ addDataFiles: [fa] });
  assert.equal(a.version, 2);

  // b is stale: without retries it must raise and leave nothing behind
  await assert.rejects(b.commit({ addDataFiles: [fb], retries: 0 }), CommitConflictError);
  assert.equal(b.version, 2, 'the loser reloaded the winning state');
  const orphansAfterLoss = await a.listOrphanFiles({ olderThanMs: Date.now() + 60_000 });
  assert.deepEqual(orphansAfterLoss.map((o) => o.uri), [fb.filePath], 'losing manifests were removed; only the uncommitted data file');

  // with retries it rebases on a's commit
  const sb = await b.commit({ addDataFiles: [fb] });
  assert.equal(b.version, 3);
  assert.equal(sb['parent-snapshot-id'], a.currentSnapshot!['snapshot-id']);
  assert.equal(sb['sequence-number'], 2);
  const ids = (await duckRows(conn, `SELECT id FROM (${await b.scanSql({ conn })}) ORDER BY id`)).map((r) => Number(r.id));
  assert.deepEqual(ids, [1, 2]);

  // validate() sees the state each attempt is built on and can abort (e.g. the flush LSN moved past ours)
  await a.refresh();
  const empty = await a.commit({ addDataFiles: [], summary: { 'lakegate.flush-lsn': '0/900' } });
  assert.equal(empty.summary.operation, 'append', 'an empty flush still records its LSN');
  assert.equal(empty.summary['total-records'], '2');
  await assert.rejects(
    b.commit({
      addDataFiles: [await b.writeDataFile(conn, 'SELECT 3 AS id')],
      validate: (base) => {
        const lsn = base.snapshots.find((s) => s['snapshot-id'] === base['current-snapshot-id'])?.summary['lakegate.flush-lsn'];
        if (lsn === '0/900') throw new CommitConflictError('flush LSN already at 0/900');
      },
    }),
    /0\/900/,
  );

  // concurrent commits from two handles both land, each exactly once
  const [x, y] = [await IcebergTable.load(storage, loc), await IcebergTable.load(storage, loc)];
  const [fx, fy] = [await x.writeDataFile(conn, 'SELECT 10 AS id'), await y.writeDataFile(conn, 'SELECT 11 AS id')];
  await Promise.all([x.commit({ addDataFiles: [fx] }), y.commit({ addDataFiles: [fy] })]);
  const z = await IcebergTable.load(storage, loc);
  assert.equal(z.version, Math.max(x.version, y.version));
  const all = (await duckRows(conn, `SELECT id FROM (${await z.scanSql({ conn })}) ORDER BY id`)).map((r) => Number(r.id));
  assert.deepEqual(all, [1, 2, 10, 11]);

  // a removal rebased onto a state where the file is gone is a conflict, not a silent no-op
  const stale = await IcebergTable.load(storage, loc);
  await z.commit({ removeDataFiles: [fx.filePath] });
  await assert.rejects(stale.commit({ removeDataFiles: [fx.filePath] }), CommitConflictError);

  // a lagging version-hint is rolled forward by readers
  const tablePath = fileUriToPath(loc);
  writeFileSync(join(tablePath, 'metadata/version-hint.text'), '2');
  assert.equal((await IcebergTable.load(storage, loc)).version, z.version);
  rmSync(join(tablePath, 'metadata/version-hint.text'));
  assert.equal((await IcebergTable.load(storage, loc)).version, z.version);
});

test('metadata log is capped and old metadata files are removed', async () => {
  const loc = storage.uri('db/logcap');
  const t = await IcebergTable.create(storage, loc, [{ name: 'id', type: 'long' }], {
    properties: { 'write.metadata.previous-versions-max': '2' },
  });
  for (let i = 0; i < 4; i++) await t.commit({ addDataFiles: [await t.writeDataFile(conn, `SELECT ${i} AS id`)] });
  assert.equal(t.version, 5);
  assert.deepEqual(
    t.metadata['metadata-log'].map((e) => e['metadata-file'].replace(/.*\//, '')),
    ['v3.metadata.json', 'v4.metadata.json'],
  );
  const mdir = join(fileUriToPath(loc), 'metadata');
  assert.equal(existsSync(join(mdir, 'v1.metadata.json')), false);
  assert.equal(existsSync(join(mdir, 'v2.metadata.json')), false);
  assert.equal((await IcebergTable.load(storage, loc)).version, 5);
  const [[n]] = clickhouse<[number]>(`SELECT count() FROM icebergLocal('${fileUriToPath(loc)}')`);
  assert.equal(Number(n), 4);
});

test('lossless 64-bit ids, Avro BigInt longs, single-value bounds', () => {
  // a foreign (Java-written) v2 metadata file with a 63-bit snapshot id and no current snapshot marker -1
  const big = 9223372036854775807n;
  const text = `{"format-version":2,"table-uuid":"u","location":"file:///x","last-sequence-number":1,"last-updated-ms":1,
    "last-column-id":1,"current-schema-id":0,"schemas":[{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"a","required":false,"type":"long"}]}],
    "default-spec-id":0,"partition-specs":[{"spec-id":0,"fields":[]}],"last-partition-id":999,"default-sort-order-id":0,
    "sort-orders":[{"order-id":0,"fields":[]}],"current-snapshot-id":${big},
    "snapshots":[{"snapshot-id":${big},"parent-snapshot-id":-1,"sequence-number":1,"timestamp-ms":5,"manifest-list":"file:///x/m.avro","summary":{"operation":"append"}}],
    "some-future-field":{"k":[1,2]}}`;
  const meta = parseTableMetadata(text);
  assert.equal(meta['current-snapshot-id'], big);
  assert.equal(meta.refs.main!['snapshot-id'], big, 'refs.main derived');
  assert.equal(meta.snapshots[0]!['parent-snapshot-id'], undefined);
  const again = serializeTableMetadata(meta);
  assert.match(again, /"current-snapshot-id":9223372036854775807/);
  assert.match(again, /"some-future-field":\{"k":\[1,2\]\}/, 'unknown fields survive');
  meta['current-snapshot-id'] = null;
  assert.match(serializeTableMetadata(meta), /"current-snapshot-id":-1/);

  const listBytes = encodeManifestList({
    formatVersion: 2,
    snapshotId: big,
    parentSnapshotId: null,
    sequenceNumber: 7,
    manifests: [
      {
        manifestPath: 'file:///x/m.avro',
        manifestLength: 10,
        partitionSpecId: 0,
        content: 0,
        sequenceNumber: 7,
        minSequenceNumber: 3,
        addedSnapshotId: big,
        addedFilesCount: 1,
        existingFilesCount: 0,
        deletedFilesCount: 0,
        addedRowsCount: 2 ** 40,
        existingRowsCount: 0,
        deletedRowsCount: 0,
      },
    ],
  });
  const [m] = decodeManifestList(listBytes);
  assert.equal(m!.addedSnapshotId, big);
  assert.equal(m!.addedRowsCount, 2 ** 40);
  assert.equal(readAvroFile(listBytes).meta['parent-snapshot-id'], 'null');

  // Appendix D encodings
  assert.deepEqual([...encodeSingleValue('decimal(5, 2)', -150n)], [0xff, 0x6a]);
  assert.deepEqual([...encodeSingleValue('decimal(5, 2)', 128n)], [0x00, 0x80]);
  assert.deepEqual([...boundFromDuckDBText('decimal(10, 2)', '-1.50', false)!], [0xff, 0x6a]);
  assert.equal(boundFromDuckDBText('uuid', 'f79c3e09-677c-4b69-a4b1-4e5a5b5bb1b8', false)!.toString('hex'), 'f79c3e09677c4b69a4b14e5a5b5bb1b8');
  assert.equal(boundFromDuckDBText('timestamptz', '2024-01-01 05:30:00+05:30', false)!.readBigInt64LE(), 1704067200000000n);
  assert.equal(boundFromDuckDBText('timestamp', '1969-12-31 23:59:59.5', false)!.readBigInt64LE(), -500000n);
  assert.equal(boundFromDuckDBText('date', '1970-01-02', false)!.readInt32LE(), 1);
  assert.equal(boundFromDuckDBText('time', '00:00:01.000002', false)!.readBigInt64LE(), 1000002n);
  assert.equal(boundFromDuckDBText('float', 'inf', true)!.readFloatLE(), Infinity);
  assert.equal(boundFromDuckDBText('double', 'nan', true), null, 'NaN is never a bound');
  assert.equal(boundFromDuckDBText('binary', 'FF00', false)!.toString('hex'), 'ff00');
  const long = 'abcdefghijklmnopqrstuvwxyz';
  assert.equal(boundFromDuckDBText('string', long, false)!.toString(), 'abcdefghijklmnop');
  assert.equal(boundFromDuckDBText('string', long, true)!.toString(), 'abcdefghijklmnoq');
  assert.equal(truncateStringUpper('\u{10FFFF}'.repeat(17)), null);
  assert.equal(truncateStringUpper('a' + '\u{10FFFF}'.repeat(16)), 'b');
});

test('an ambiguous metadata write that did land is not committed twice', async () => {
  // storage whose conditional create succeeds but reports a network error once (an S3 timeout after the PUT)
  class FlakyStorage extends FsStorage {
    failNext = false;
    override async putIfAbsent(ref: string, body: Uint8Array): Promise<void> {
      await super.putIfAbsent(ref, body);
      if (this.failNext) {
        this.failNext = false;
        throw new Error('socket hang up');
      }
    }
  }
  const flaky = new FlakyStorage(storage.root);
  const loc = flaky.uri('db/flaky');
  const t = await IcebergTable.create(flaky, loc, [{ name: 'id', type: 'long' }]);
  const f = await t.writeDataFile(conn, 'SELECT 7 AS id');
  flaky.failNext = true;
  const snap = await t.commit({ addDataFiles: [f] });
  assert.equal(t.version, 2);
  assert.equal(t.metadata.snapshots.length, 1);
  assert.equal(t.currentSnapshot!['snapshot-id'], snap['snapshot-id']);
  assert.deepEqual((await duckRows(conn, `SELECT id FROM (${await t.scanSql({ conn })})`)).map((r) => Number(r.id)), [7]);
  // a write that really failed still fails
  class BrokenStorage extends FsStorage {
    override async putIfAbsent(): Promise<void> {
      throw new Error('disk on fire');
    }
  }
  const broken = await IcebergTable.load(new BrokenStorage(storage.root), loc);
  await assert.rejects(broken.commit({ addDataFiles: [await t.writeDataFile(conn, 'SELECT 8 AS id')] }), /disk on fire/);
  assert.equal((await IcebergTable.load(storage, loc)).version, 2);
});

test('small manifests are merged once enough pile up', async () => {
  const loc = storage.uri('db/merge');
  const t = await IcebergTable.create(storage, loc, [{ name: 'id', type: 'long' }], {
    properties: { 'commit.manifest.min-count-to-merge': '3' },
  });
  const counts: number[] = [];
  for (let i = 0; i < 6; i++) {
    const f = await t.writeDataFile(conn, `SELECT ${i} AS id`);
    const s = await t.commit({ addDataFiles: [f] });
    counts.push(decodeManifestList(readFileSync(fileUriToPath(s['manifest-list']))).length);
  }
  // carried manifests merge when 3 of them are carried: 1, 2, 3, then 1 merged + 1 new, ...
  assert.deepEqual(counts, [1, 2, 3, 2, 3, 2]);
  const f0 = (await t.planScan()).dataFiles.find((f) => f.seq === 1)!;
  assert.equal(f0.seq, 1, 'merged entries keep their data sequence numbers');
  const d = await t.writePositionDeleteFile(conn, `SELECT ${quoteLiteral(f0.path)} AS file_path, 0 AS pos`);
  await t.commit({ addDeleteFiles: [d] });
  const ids = (await duckRows(conn, `SELECT id FROM (${await t.scanSql({ conn })}) ORDER BY id`)).map((r) => Number(r.id));
  assert.deepEqual(ids, [1, 2, 3, 4, 5]);
  const ch = clickhouse<[number]>(`SELECT id FROM icebergLocal('${fileUriToPath(loc)}') ORDER BY id`).map(([x]) => Number(x));
  assert.deepEqual(ch, [1, 2, 3, 4, 5]);
});
