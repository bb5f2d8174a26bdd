// Iceberg format v3: Roaring bitmaps checked against CRoaring (roaring-wasm), deletion-vector blobs and Puffin
// files against the spec's byte layout, and v3 tables (row lineage, one vector per data file) read by
// ClickHouse (chdb) where it can and by our planner + DuckDB.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { RoaringBitmap32, roaringLibraryInitialize } from 'roaring-wasm';
import { openStorage, type Storage } from '../src/storage/index.js';
import {
  IcebergTable,
  decodeDeletionVector,
  decodeManifest,
  decodeManifestList,
  deserializeRoaring32,
  encodeDeletionVector,
  EntryStatus,
  readPuffinFooter,
  serializeRoaring32,
  writePuffin,
} from '../src/iceberg/index.js';
import { fileUriToPath } from '../src/storage/fs.js';
import { clickhouseIn, duckRows } from './helpers/iceberg.js';

let dir: string;
let storage: Storage;
let duck: DuckDBInstance;
let conn: DuckDBConnection;

before(async () => {
  await roaringLibraryInitialize();
  dir = mkdtempSync(join(tmpdir(), 'lg-iceberg-v3-'));
  storage = openStorage(`file://${dir}/wh`, { cacheDir: join(dir, 'cache') });
  duck = await DuckDBInstance.create(':memory:', { threads: '2' });
  conn = await duck.connect();
});

after(async () => {
  conn.closeSync();
  duck.closeSync();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** deterministic pseudo-random generator */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function sets(): number[][] {
  const r = rng(7);
  const out: number[][] = [[], [0], [65535, 65536], [1, 2, 3], [0xffffffff]];
  // sparse (arrays), dense (bitmaps), long runs, mixtures across containers
  for (let k = 0; k < 24; k++) {
    const s = new Set<number>();
    const kind = k % 4;
    const n = 1 + Math.floor(r() * 6000);
    for (let i = 0; i < n; i++) {
      if (kind === 0) s.add(Math.floor(r() * 2 ** 32));
      else if (kind === 1) s.add(Math.floor(r() * 65536 * 3));
      else if (kind === 2) {
        const start = Math.floor(r() * 2 ** 20);
        for (let j = 0; j < 20; j++) s.add(start + j);
      } else s.add(Math.floor(r() * 9000));
    }
    out.push([...s].sort((a, b) => a - b));
  }
  return out;
}

test('Roaring: CRoaring reads what we write, and we read what CRoaring writes', () => {
  for (const values of sets()) {
    const ours = serializeRoaring32(values);
    const theirs = RoaringBitmap32.deserialize(ours, 'portable');
    assert.deepEqual(Array.from(theirs.toUint32Array()), values);
    theirs.dispose();

    const b = new RoaringBitmap32(values);
    b.runOptimize();
    const cBytes = Buffer.from(b.serialize('portable'));
    b.dispose();
    const back = deserializeRoaring32(cBytes);
    assert.deepEqual(back.values, values);
    assert.equal(back.bytes, cBytes.length);
  }
});

test('Roaring: containers are chosen as Java RoaringBitmap does after runOptimize', () => {
  // {1,2,3}: a run (6 bytes) is not smaller than the array (6 bytes): array, no run flags
  const a = serializeRoaring32([1, 2, 3]);
  assert.equal(a.readUInt32LE(0), 12346); // SERIAL_COOKIE_NO_RUNCONTAINER
  assert.equal(a.readUInt32LE(4), 1);
  // {0..9}: run (6 bytes) < array (20 bytes)
  const r = serializeRoaring32(Array.from({ length: 10 }, (_, i) => i));
  assert.equal(r.readUInt16LE(0), 12347); // SERIAL_COOKIE
  assert.equal(r[4], 1); // run flag of container 0
  // 5000 scattered values in one container: bitmap (8192 bytes body)
  const dense = Array.from({ length: 5000 }, (_, i) => i * 13);
  const d = serializeRoaring32(dense);
  assert.equal(d.length, 8 + 4 + 4 + 8192);
});

test('deletion vector blob: length, magic, Roaring per 32-bit key, CRC-32; corruption is detected', () => {
  const positions = [5, 1, 3, 3, 2 ** 32 + 7, 2 ** 33, 100_000];
  const { blob, cardinality } = encodeDeletionVector(positions);
  assert.equal(cardinality, 6);
  const len = blob.readUInt32BE(0);
  assert.equal(len, blob.length - 8);
  assert.deepEqual([...blob.subarray(4, 8)], [0xd1, 0xd3, 0x39, 0x64]);
  assert.equal(blob.readUInt32BE(4 + len), crc32(blob.subarray(4, 4 + len)) >>> 0);
  assert.equal(blob.readBigUInt64LE(8), 3n); // keys 0, 1, 2
  assert.deepEqual(decodeDeletionVector(blob), [1, 3, 5, 100_000, 2 ** 32 + 7, 2 ** 33]);
  const bad = Buffer.from(blob);
  bad[20] = bad[20]! ^ 0xff;
  assert.throws(() => decodeDeletionVector(bad), /CRC/);
  assert.throws(() => decodeDeletionVector(blob.subarray(0, blob.length - 1)), /length/);
});

test('Puffin file: magic at both ends, footer JSON with blob offsets, footer length and flags', () => {
  const b1 = encodeDeletionVector([1, 2]).blob;
  const b2 = encodeDeletionVector([9]).blob;
  const { bytes, blobs } = writePuffin(
    [
      { type: 'deletion-vector-v1', fields: [2147483645], data: b1, properties: { 'referenced-data-file': 'a', cardinality: '2' } },
      { type: 'deletion-vector-v1', fields: [2147483645], data: b2, properties: { 'referenced-data-file': 'b', cardinality: '1' } },
    ],
    { 'created-by': 'test' },
  );
  assert.equal(bytes.subarray(0, 4).toString(), 'PFA1');
  assert.equal(bytes.subarray(bytes.length - 4).toString(), 'PFA1');
  assert.equal(bytes.readUInt32LE(bytes.length - 8), 0);
  const footer = readPuffinFooter(bytes);
  assert.deepEqual(footer.blobs, blobs);
  assert.equal(blobs[0]!.offset, 4);
  assert.equal(blobs[1]!.offset, 4 + b1.length);
  assert.equal(footer.blobs[1]!['snapshot-id'], -1);
  assert.deepEqual(decodeDeletionVector(bytes.subarray(blobs[1]!.offset, blobs[1]!.offset + blobs[1]!.length)), [9]);
});

const COLS = [
  { name: 'id', type: 'long', required: true },
  { name: 'v', type: 'string' },
] as const;

async function scanIds(t: IcebergTable): Promise<number[]> {
  const rows = await duckRows(conn, `SELECT id FROM (${await t.scanSql({ conn })}) ORDER BY id`);
  return rows.map((r) => Number(r.id));
}

const clickhouse = <T = unknown[]>(sql: string): T[] => clickhouseIn<T>(dir, sql);

test('v3 table: row lineage, deletion vectors merged per data file, replaced and dropped with their file', async () => {
  const t = await IcebergTable.create(storage, `${storage.root}/db/t3`, [...COLS], { identifierFields: ['id'], formatVersion: 3 });
  assert.equal(t.metadata['next-row-id'], 0);
  const a = await t.writeDataFile(conn, `SELECT i AS id, 'a' || i AS v FROM range(0, 100) r(i)`);
  const b = await t.writeDataFile(conn, `SELECT i AS id, 'b' || i AS v FROM range(100, 150) r(i)`);
  const s1 = await t.commit({ addDataFiles: [a, b] });
  assert.equal(s1['first-row-id'], 0);
  assert.equal(s1['added-rows'], 150);
  assert.equal(t.metadata['next-row-id'], 150);
  const list1 = decodeManifestList(await storage.get(s1['manifest-list']));
  assert.deepEqual(list1.map((m) => m.firstRowId), [0]);
  const tablePath = fileUriToPath(t.location);
  // an independent engine reads the v3 table (no deletes yet)
  assert.deepEqual(clickhouse(`SELECT count(), sum(id) FROM icebergLocal('${tablePath}')`), [[150, (149 * 150) / 2]]);

  // delete ids 10, 11 (file a) and 120 (file b): one Puffin file with two vectors
  const del1 = await t.writeDeletionVectors(
    conn,
    `SELECT ${`'${a.filePath}'`} AS file_path, unnest([10, 11])::BIGINT AS pos UNION ALL SELECT '${b.filePath}', 20`,
  );
  assert.equal(del1.written.length, 2);
  assert.equal(del1.replaced.length, 0);
  assert.equal(new Set(del1.written.map((w) => w.file.filePath)).size, 1);
  const s2 = await t.commit({ addDeleteFiles: del1.written.map((w) => w.file), removeDeleteFiles: del1.replaced });
  assert.equal(s2.summary['added-dvs'], '2');
  assert.equal(s2.summary['total-position-deletes'], '3');
  assert.equal(s2['added-rows'], 0);
  let ids = await scanIds(t);
  assert.equal(ids.length, 147);
  assert.ok(!ids.includes(10) && !ids.includes(11) && !ids.includes(120));

  // the Puffin blob's footer names its data file and cardinality as the spec asks
  const puffin = readFileSync(fileUriToPath(del1.written[0]!.file.filePath));
  const footer = readPuffinFooter(puffin);
  assert.deepEqual(
    footer.blobs.map((x) => [x.type, x.fields, x.properties?.['referenced-data-file'], x.properties?.cardinality]).sort(),
    [
      ['deletion-vector-v1', [2147483645], a.filePath, '2'],
      ['deletion-vector-v1', [2147483645], b.filePath, '1'],
    ].sort(),
  );

  // a second delete on file a: its vector is rewritten as old ∪ new, file b's vector stays
  const del2 = await t.writeDeletionVectors(conn, `SELECT '${a.filePath}' AS file_path, 50::BIGINT AS pos`);
  assert.equal(del2.written.length, 1);
  assert.equal(del2.written[0]!.file.recordCount, 3);
  assert.equal(del2.replaced.length, 1);
  const s3 = await t.commit({ addDeleteFiles: del2.written.map((w) => w.file), removeDeleteFiles: del2.replaced });
  assert.equal(s3.summary['removed-dvs'], '1');
  assert.equal(s3.summary['total-delete-files'], '2');
  ids = await scanIds(t);
  assert.equal(ids.length, 146);
  assert.ok(!ids.includes(50) && !ids.includes(120));
  const plan = await t.planScan();
  assert.deepEqual(plan.deleteFiles.map((d) => [d.referencedDataFile, d.recordCount]).sort(), [
    [a.filePath, 3],
    [b.filePath, 1],
  ].sort());

  // two live vectors for one data file are refused
  const dup = await t.writeDeletionVectors(conn, `SELECT '${b.filePath}' AS file_path, 1::BIGINT AS pos`);
  await assert.rejects(t.commit({ addDeleteFiles: dup.written.map((w) => w.file) }), /two deletion vectors/);
  // v3 takes no Parquet position-delete files
  await assert.rejects(t.writePositionDeleteFile(conn, `SELECT '${a.filePath}' AS file_path, 1::BIGINT AS pos`), /deletion vectors/);

  // rewrite file a (compaction): its vector goes with it; the rewritten data manifest keeps b's row ids
  const aLive = await t.writeDataFile(conn, `SELECT i AS id, 'a' || i AS v FROM range(0, 100) r(i) WHERE i NOT IN (10, 11, 50)`);
  const aVector = plan.deleteFiles.find((d) => d.referencedDataFile === a.filePath)!;
  const s4 = await t.commit({ addDataFiles: [aLive], removeDataFiles: [a.filePath], removeDeleteFiles: [aVector.path], operation: 'replace' });
  assert.equal(s4['first-row-id'], 150);
  assert.equal(s4['added-rows'], 97 + 50); // new manifest (97) + the rewritten one (b, 50 live)
  assert.equal(t.metadata['next-row-id'], 297);
  ids = await scanIds(t);
  assert.equal(ids.length, 146);
  const list4 = decodeManifestList(await storage.get(s4['manifest-list']));
  const dataManifests = list4.filter((m) => m.content === 0);
  assert.ok(dataManifests.every((m) => m.firstRowId !== null && m.firstRowId !== undefined));
  for (const m of dataManifests) {
    const entries = decodeManifest(await storage.get(m.manifestPath)).entries;
    const bEntry = entries.find((e) => e.dataFile.filePath === b.filePath && e.status === EntryStatus.EXISTING);
    if (bEntry) assert.equal(bEntry.dataFile.firstRowId, 100, 'inherited row id made explicit on rewrite');
  }
  const finalPlan = await t.planScan();
  assert.deepEqual(finalPlan.deleteFiles.map((d) => d.referencedDataFile), [b.filePath]);

  // a fresh handle (cold cache directory) reads the same rows
  rmSync(join(dir, 'cache'), { recursive: true, force: true });
  const again = await IcebergTable.load(storage, t.location);
  assert.deepEqual(await scanIds(again), ids);
});
