// Column-wise chunk appends (src/table/chunk-append.ts) store exactly what the row appender stores, for every
// scalar mirror type incl. NULLs, edge values and infinities, across several chunks (NULLs in the first chunk
// only, so a later chunk must not inherit its validity); and a mirror of such a table, copied and then changed
// by inserts, updates and deletes in one transaction, equals the source through the view and after a flush.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { builtinCatalog, ColumnBatchBuilder, PgOid, type ColumnBatch, type Value } from '../src/cdc/index.js';
import { ChunkAppender } from '../src/table/chunk-append.js';
import { appendFn, columnType, type ColumnType } from '../src/table/column-types.js';
import { UnrepresentableValueError } from '../src/table/unrepresentable.js';
import type { TestPostgres } from './helpers/postgres.js';
import type { MemoryRegistry, MirrorService } from '../src/mirror/index.js';
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
  fx = await startMemoryFixture('lg-ingest-');
  ({ server, wh, duck, client, registry, svc } = fx);
});

after(async () => {
  await fx?.close();
});

const numericTypmod = (p: number, s: number) => ((p << 16) | s) + 4;
const TS_EDGES: Value[] = [0n, Infinity, -Infinity, -62135596800000000n, 253402300799999999n, 1704164645123456n, -1n];

/** each column: its type and the values cycled through */
const COLUMNS: { oid: number; typmod?: number; values: Value[] }[] = [
  { oid: PgOid.bool, values: [true, false] },
  { oid: PgOid.int2, values: [0, -32768, 32767] },
  { oid: PgOid.int4, values: [0, -2147483648, 2147483647, 7] },
  { oid: PgOid.int8, values: [0n, -9223372036854775808n, 9223372036854775807n, 10_000_000_000n] },
  { oid: PgOid.oid, values: [0n, 4294967295n] },
  { oid: PgOid.float4, values: [NaN, Infinity, -Infinity, -0, 1.5, 3.4028234663852886e38, 1.401298464324817e-45] },
  { oid: PgOid.float8, values: [NaN, Infinity, -Infinity, -0, 0.1, 5e-324, 1.7976931348623157e308] },
  { oid: PgOid.numeric, typmod: numericTypmod(12, 3), values: ['123456789.123', '-0.001', '0', '5'] },
  { oid: PgOid.numeric, typmod: numericTypmod(38, 0), values: ['99999999999999999999999999999999999999', '-1'] },
  { oid: PgOid.numeric, values: ['1e30', 'NaN', '-0.000000000000000000000000000000000000000001'] },
  { oid: PgOid.text, values: ['', 'ü€😀', 'a\'b"c\\', 'x'.repeat(100), 'short'] },
  { oid: PgOid.bytea, values: [Buffer.alloc(0), Buffer.from([0, 255]), Buffer.alloc(40, 7)] },
  { oid: PgOid.date, values: [0, Infinity, -Infinity, 19000, -700000, 2000000] },
  { oid: PgOid.time, values: [0n, 86399999999n, 86400000000n, 14706500000n] },
  { oid: PgOid.timestamp, values: TS_EDGES },
  { oid: PgOid.timestamptz, values: TS_EDGES },
  { oid: PgOid.interval, values: [{ months: -14, days: 3, micros: -3723000000n }, { months: 0, days: 0, micros: 0n }] },
  { oid: PgOid.timetz, values: [{ micros: 14706000000n, utcOffsetSeconds: 19800 }, { micros: 0n, utcOffsetSeconds: -3600 }] },
  { oid: PgOid.uuid, values: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'] },
  { oid: PgOid.jsonb, values: ['{"a": [1, null]}', '[]'] },
];

test('chunk appends store what the row appender stores, for every scalar type', async () => {
  const types: ColumnType[] = [columnType(builtinCatalog, { typeOid: PgOid.int4, typmod: -1 }),
    ...COLUMNS.map((c) => columnType(builtinCatalog, { typeOid: c.oid, typmod: c.typmod ?? -1 }))];
  const defs = types.map((t, i) => `c${i} ${t.duckdb}`).join(', ') + ', x1 BIGINT, x2 BIGINT';
  const rows = 5000; // three chunks, the last one partial
  const value = (r: number, c: number): Value => {
    if (c === 0) return r;
    // NULLs in the first chunk only, a different pattern per column
    if (r < 2048 && r % 7 === c % 7) return null;
    const vs = COLUMNS[c - 1]!.values;
    return vs[(r + c) % vs.length]!;
  };
  const conn = await duck.connect();
  try {
    await conn.run(`CREATE TEMP TABLE by_row (${defs}); CREATE TEMP TABLE by_chunk (${defs})`);
    const fns = types.map((t) => appendFn(t));
    const a = await conn.createAppender('by_row', 'main', 'temp');
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < types.length; c++) fns[c]!(a, value(r, c));
      a.appendBigInt(BigInt(r) * 3n);
      a.appendBigInt(-BigInt(r));
      a.endRow();
    }
    a.closeSync();
    const ca = new ChunkAppender(types, 2);
    // two appender sessions on one ChunkAppender, split inside a chunk
    for (const [from, to] of [[0, 3000], [3000, rows]] as const) {
      const b = await conn.createAppender('by_chunk', 'main', 'temp');
      ca.begin(b);
      for (let r = from; r < to; r++) {
        for (let c = 0; c < types.length; c++) ca.set(c, value(r, c));
        ca.setBigint(types.length, BigInt(r) * 3n);
        ca.setBigint(types.length + 1, -BigInt(r));
        ca.endRow();
      }
      ca.finish();
      b.closeSync();
    }
    const read = async (t: string) =>
      (await conn.runAndReadAll(`SELECT COLUMNS(*)::VARCHAR FROM temp.${t} ORDER BY c0`)).getRows().map((r) => JSON.stringify(r));
    const byRow = await read('by_row');
    assert.equal(byRow.length, rows);
    assert.deepEqual(await read('by_chunk'), byRow);
    // the values themselves, not only agreement: a few spot checks
    const spot = (await conn.runAndReadAll(
      `SELECT count(*) FILTER (c8 IS NULL), count(*) FILTER (c16 = 'infinity'::TIMESTAMPTZ), count(*) FILTER (c13 = 'infinity'::DATE),
              max(length(c11)), count(*) FILTER (c2 IS NULL) FROM temp.by_chunk`)).getRows()[0]!;
    assert.ok(Number(spot[0]) > 0, 'numeric NULLs kept');
    assert.ok(Number(spot[1]) > 0 && Number(spot[2]) > 0, 'infinities kept');
    assert.equal(Number(spot[3]), 100);
    assert.equal(Number(spot[4]), Math.ceil(2048 / 7), 'NULLs only where set');
  } finally {
    conn.closeSync();
  }
});

test('COPY batches of text and bytea: short values built inline, long ones assigned, both equal to the row appender', async () => {
  const types: ColumnType[] = [PgOid.int4, PgOid.text, PgOid.bytea].map((oid) => columnType(builtinCatalog, { typeOid: oid, typmod: -1 }));
  const defs = types.map((t, i) => `c${i} ${t.duckdb}`).join(', ');
  // lengths around the 12-byte inline limit, multi-byte characters, empty values and NULLs, over several chunks
  const texts = ['', 'a', 'twelve bytes', 'thirteen byte', 'ü€😀', 'ü€😀ab', 'ü€😀abc', 'x'.repeat(64), 'y'.repeat(300)];
  const text = (r: number): string | null => (r % 11 === 5 ? null : texts[r % texts.length]!);
  const blob = (r: number): Buffer | null => (r % 13 === 7 ? null : Buffer.alloc(r % 17, r & 255));
  const rows = 5000;
  const batches: ColumnBatch[] = [];
  const builder = new ColumnBatchBuilder(['int32', 'text', 'bytea'], [], 4096, (b) => batches.push(b));
  const int4 = Buffer.alloc(4);
  for (let r = 0; r < rows; r++) {
    int4.writeInt32BE(r);
    builder.put(0, int4, 0, 4);
    const t = text(r);
    if (t === null) builder.putNull(1);
    else builder.put(1, Buffer.from(t), 0, Buffer.byteLength(t));
    const b = blob(r);
    if (b === null) builder.putNull(2);
    else builder.put(2, b, 0, b.length);
    builder.endRow();
  }
  const conn = await duck.connect();
  try {
    await conn.run(`CREATE TEMP TABLE s_row (${defs}); CREATE TEMP TABLE s_batch (${defs})`);
    const fns = types.map((t) => appendFn(t));
    const a = await conn.createAppender('s_row', 'main', 'temp');
    for (let r = 0; r < rows; r++) {
      fns[0]!(a, r);
      fns[1]!(a, text(r));
      fns[2]!(a, blob(r));
      a.endRow();
    }
    a.closeSync();
    const b = await conn.createAppender('s_batch', 'main', 'temp');
    const ca = new ChunkAppender(types);
    ca.begin(b);
    batches.push(builder.take());
    for (const batch of batches) ca.appendBatch(batch);
    ca.finish();
    b.closeSync();
    const read = async (t: string) =>
      (await conn.runAndReadAll(`SELECT c0, c1, hex(c2), c2 IS NULL FROM temp.${t} ORDER BY c0`)).getRows().map((r) => JSON.stringify(r));
    assert.deepEqual(await read('s_batch'), await read('s_row'));
    // inline values compare, hash and join like any other string
    const q = await conn.runAndReadAll(`SELECT (SELECT count(*) FROM temp.s_batch WHERE c1 = 'twelve bytes'),
        (SELECT count(*) FROM temp.s_batch WHERE c1 = ''), (SELECT count(DISTINCT c1) FROM temp.s_batch),
        (SELECT count(*) FROM temp.s_batch x JOIN temp.s_row y ON x.c0 = y.c0 AND x.c1 = y.c1 AND x.c2 = y.c2)`);
    const [twelve, empty, distinct, joined] = q.getRows()[0]!.map(Number);
    const expect = (f: (r: number) => boolean) => Array.from({ length: rows }, (_, r) => r).filter(f).length;
    assert.equal(twelve, expect((r) => text(r) === 'twelve bytes'));
    assert.equal(empty, expect((r) => text(r) === ''));
    assert.equal(distinct, texts.length);
    assert.equal(joined, expect((r) => text(r) !== null && blob(r) !== null));
  } finally {
    conn.closeSync();
  }
});

test('numeric NaN has no Iceberg decimal: both appenders refuse it, naming the column', async () => {
  const col = { ...columnType(builtinCatalog, { typeOid: PgOid.numeric, typmod: numericTypmod(10, 2) }), name: 'price', typeOid: PgOid.numeric, typmod: numericTypmod(10, 2) };
  const conn = await duck.connect();
  try {
    await conn.run(`CREATE TEMP TABLE nan_t (price ${col.duckdb})`);
    const a = await conn.createAppender('nan_t', 'main', 'temp');
    assert.throws(() => appendFn(col)(a, 'NaN'), (e: Error) => e instanceof UnrepresentableValueError && /column "price" holds numeric NaN.*decimal\(10, 2\)/.test(e.message));
    a.closeSync();
    const ca = new ChunkAppender([col]);
    assert.throws(() => ca.set(0, 'NaN'), UnrepresentableValueError);
  } finally {
    conn.closeSync();
  }
});

test('mirror of every scalar type: copy, then inserts, updates and deletes in one transaction', async () => {
  await client.query(`CREATE TYPE mood2 AS ENUM ('sad', 'ok')`);
  await client.query(`CREATE TABLE ity (
    id int PRIMARY KEY, b bool, i2 int2, i8 int8, f4 float4, f8 float8, n numeric(12,3), nu numeric, t text,
    bin bytea, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz, iv interval, u uuid, jb jsonb, e mood2)`);
  const gen = (from: number, to: number) => `INSERT INTO ity SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE g % 2 = 0 END, (g % 30000)::int2,
    g::int8 * 10000000000, CASE g % 4 WHEN 0 THEN 'NaN' WHEN 1 THEN 'Infinity' ELSE g * 0.25 END,
    CASE g % 3 WHEN 0 THEN '-Infinity' ELSE g * 0.125 END, CASE WHEN g % 6 = 0 THEN NULL ELSE g * 0.5 END,
    CASE WHEN g % 7 = 0 THEN NULL ELSE ('1e' || (g % 30))::numeric END, CASE WHEN g % 11 = 0 THEN NULL ELSE repeat('ü', g % 40) END,
    decode(lpad(to_hex(g), 8, '0'), 'hex'), CASE g % 9 WHEN 0 THEN 'infinity'::date WHEN 1 THEN '-infinity' ELSE date '2024-01-01' + g END,
    time '04:05:06.5' + g * interval '1 ms', timetz '04:05:06+05:30', CASE WHEN g % 8 = 0 THEN '-infinity' ELSE timestamp '2024-01-02' + g * interval '1.000001 s' END,
    timestamptz '2024-01-02 03:04:05.123456+02' + g * interval '1 min', (g || ' days 04:05:06.5')::interval,
    md5(g::text)::uuid, jsonb_build_object('a', g), CASE WHEN g % 2 = 0 THEN 'ok' ELSE 'sad' END::mood2
    FROM generate_series(${from}, ${to}) g`;
  await client.query(gen(1, 5000));
  const rec = registry.add({ schema: 'public', name: 'ity' });
  await svc.waitReady(rec.id, 60_000);
  await client.query('BEGIN');
  await client.query(gen(5001, 9000));
  await client.query(`UPDATE ity SET t = 'upd', f8 = 'NaN', tstz = NULL WHERE id % 10 = 1`);
  await client.query(`UPDATE ity SET id = id + 100000 WHERE id % 97 = 0`);
  await client.query(`DELETE FROM ity WHERE id % 13 = 0`);
  await client.query(gen(13, 13));
  await client.query('COMMIT');
  await client.query(gen(9001, 9100)); // an insert-only transaction after the mixed one
  assert.ok(await svc.waitForLsn(await currentLsn(client), 30_000), 'mirror did not catch up');
  const SRC = `SELECT id, b::int, i2, i8, f4::float8, f8, n::text, nu::text, t, encode(bin, 'hex'), d::text, tm::text, ttz::text,
    ts::text, (extract(epoch from tstz) * 1000000)::bigint, iv::text, u::text, jb::text, e::text FROM ity`;
  const DUCK = (v: string) => `SELECT id, b::INT, i2, i8, f4::DOUBLE, f8, n::VARCHAR, nu, t, lower(hex(bin)), d::VARCHAR, tm::VARCHAR, ttz,
    ts::VARCHAR, epoch_us(tstz), iv, u::VARCHAR, jb, e FROM (${v})`;
  const expected = await pgRows(client, SRC);
  assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), expected, 'tail + copied base');
  await svc.flush(rec.id);
  assert.deepEqual(await duckRows(duck, DUCK(viewOf(svc, rec.id))), expected, 'after flush');
  const loc = svc.mirrors().find((m) => m.id === rec.id)!.location;
  assert.deepEqual(
    chRows(loc, `SELECT id, t, i8, toUnixTimestamp64Micro(tstz), toString(u), jb FROM $TABLE`),
    await pgRows(client, `SELECT id, t, i8, (extract(epoch from tstz) * 1000000)::bigint, u::text, jb::text FROM ity`),
    'ClickHouse',
  );
});
