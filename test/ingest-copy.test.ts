// Column-major COPY batches (src/cdc/copy/column-batch.ts) hold the same values as the row decoders give, for
// every supported type incl. NULLs, infinities, the widest values, arrays and domains; batch boundaries fall
// inside the table; a timestamp DuckDB cannot store is refused rather than wrapped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCdcSource, type CdcSource } from './helpers/cdc.js';
import {
  BinaryCopyParser, ColumnBatchBuilder, CopyQuery, PgOid, TypeCatalog, cellValue, columnLayout, copyTable, decoderFor, describeTable, openSession,
  type ColumnBatch, type ResolvedType, type Value,
} from '../src/cdc/index.js';

let source: CdcSource;

before(async () => {
  source = await startCdcSource();
  await source.admin.query(`CREATE TYPE imood AS ENUM ('sad', 'ok'); CREATE DOMAIN ipos AS int8 CHECK (VALUE > 0);
    CREATE TABLE ity (id int4, b bool, i2 int2, i8 int8, o oid, f4 float4, f8 float8, n numeric(12,3), nu numeric, t text,
      vc varchar(10), bp char(3), nm name, ch "char", bin bytea, d date, tm time, ttz timetz, ts timestamp, tstz timestamptz,
      iv interval, u uuid, j json, jb jsonb, ia int4[], ta text[], e imood, dp ipos);
    INSERT INTO ity SELECT g, g % 2 = 0, (g % 65536 - 32768)::int2, g::int8 * 3000000000000000 * (CASE WHEN g % 2 = 0 THEN 1 ELSE -1 END),
      (g::int8 * 1000003 % 4294967296)::oid, CASE g % 4 WHEN 0 THEN 'NaN' WHEN 1 THEN '-Infinity' ELSE g / 3.0 END, g / 7.0,
      g * 0.001, (g || 'e' || (g % 40))::numeric, repeat('ü€😀', g % 7), 'v' || g, 'x', 'n' || g, 'q', decode(md5(g::text), 'hex'),
      CASE g % 5 WHEN 0 THEN 'infinity' WHEN 1 THEN '-infinity' ELSE date '0001-01-01' + g * 97 END,
      time '00:00' + g * interval '1.000001 s', timetz '04:05:06-03:30',
      CASE g % 6 WHEN 0 THEN 'infinity' WHEN 1 THEN '-infinity' ELSE timestamp '4713-01-01 BC' + g * interval '40 days 1 microsecond' END,
      CASE g % 6 WHEN 0 THEN '-infinity' ELSE timestamptz '1970-01-01 00:00:00+00' - g * interval '1 microsecond' END,
      make_interval(g, -g, 0, g), md5(g::text)::uuid, '{"a": 1}', jsonb_build_object('g', g), ARRAY[g, NULL], ARRAY['a' || g, NULL],
      CASE WHEN g % 2 = 0 THEN 'ok' ELSE 'sad' END::imood, g
    FROM generate_series(1, 3000) g;
    INSERT INTO ity (id) VALUES (0);
    INSERT INTO ity (id, i8, ts, tstz, d, t, bin) VALUES (-1, 9223372036854775807, '294246-12-31 23:59:59.999999', '1970-01-01', '5874897-12-31', '', '\\x')`);
});
after(() => source?.close());

const canon = (v: Value): unknown => (typeof v === 'bigint' ? `${v}` : typeof v === 'number' ? (Object.is(v, -0) ? '-0' : `${v}`) : v);

async function read(columnar: boolean, batchRows: number): Promise<unknown[][]> {
  const s = await openSession(source.conn);
  try {
    await s.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const catalog = new TypeCatalog();
    const rows: unknown[][] = [];
    if (columnar) {
      const copy = await copyTable(s, { schema: 'public', name: 'ity' }, { catalog, batchRows, columnar: true });
      for await (const b of copy.batches) {
        assert.ok(b.rows <= batchRows);
        for (let r = 0; r < b.rows; r++) rows.push(b.columns.map((c) => canon(cellValue(c, r))));
      }
    } else {
      const copy = await copyTable(s, { schema: 'public', name: 'ity' }, { catalog, batchRows });
      for await (const b of copy.batches) for (const row of b) rows.push(row.map(canon));
    }
    await s.query('COMMIT');
    return rows;
  } finally {
    await s.end();
  }
}

test('column batches hold what the row decoders give, for every type', async () => {
  const byRow = await read(false, 1000);
  assert.equal(byRow.length, 3002);
  const byColumn = await read(true, 1000);
  // the columnar timestamps count µs from 1970 with DuckDB's infinities; cellValue maps them back
  assert.deepStrictEqual(byColumn, byRow);
  // the layouts used for this table, so the comparison above covers the fast paths
  const s = await openSession(source.conn);
  try {
    await s.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const copy = await copyTable(s, { schema: 'public', name: 'ity' }, { batchRows: 5000, columnar: true });
    for await (const b of copy.batches) {
      assert.deepStrictEqual(b.columns.map((c) => c.layout), [
        'int32', 'bool', 'int32', 'int64', 'int64', 'float32', 'float64', 'value', 'value', 'text', 'text', 'text', 'text', 'value',
        'bytea', 'date', 'time', 'value', 'timestamp', 'timestamp', 'value', 'value', 'text', 'value', 'value', 'value', 'text', 'int64',
      ]);
    }
    await s.query('COMMIT');
  } finally {
    await s.end();
  }
});

test('column batches are the same whatever the chunk boundaries (a row split across chunks is carried over)', async () => {
  const s = await openSession(source.conn);
  try {
    const desc = await describeTable(s, { schema: 'public', name: 'ity' });
    const catalog = new TypeCatalog();
    await catalog.load(s, desc.columns.map((c) => c.typeOid));
    const layouts = desc.columns.map((c) => columnLayout((catalog.support(c.typeOid) as { type: ResolvedType }).type, true));
    const decoders = desc.columns.map((c) => catalog.decoder(c.typeOid));
    const chunks: Buffer[] = [];
    const q = new CopyQuery('COPY ity TO STDOUT (FORMAT binary)', (c) => chunks.push(Buffer.from(c)));
    s.query(q);
    await q.done;
    const all = Buffer.concat(chunks);
    const parse = (size: number): unknown[][] => {
      const rows: unknown[][] = [];
      const take = (b: ColumnBatch) => { for (let r = 0; r < b.rows; r++) rows.push(b.columns.map((c) => canon(cellValue(c, r)))); };
      const builder = new ColumnBatchBuilder(layouts, decoders, 700, take);
      const p = new BinaryCopyParser(builder, layouts.length);
      // pushRange on a wider buffer: the parser must stay inside [start, end)
      for (let i = 0; i < all.length; i += size) p.pushRange(all, i, Math.min(i + size, all.length));
      assert.ok(p.finished);
      take(builder.take());
      return rows;
    };
    const whole = parse(all.length);
    assert.equal(whole.length, 3002);
    for (const size of [1, 2, 3, 5, 7, 13, 31, 64, 100, 1000]) assert.deepStrictEqual(parse(size), whole, `chunk size ${size}`);
  } finally {
    await s.end();
  }
});

test('columnar copies of a plain table use its own COPY, which leaves out inheritance children like ONLY', async () => {
  await source.admin.query(`CREATE TABLE iparent (id int8, t text); CREATE TABLE ichild () INHERITS (iparent);
    INSERT INTO iparent VALUES (1, 'p'); INSERT INTO ichild VALUES (2, 'c')`);
  const s = await openSession(source.conn);
  try {
    await s.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const copy = await copyTable(s, { schema: 'public', name: 'iparent' }, { columnar: true });
    assert.equal(copy.sql, 'COPY "public"."iparent" ("id", "t") TO STDOUT (FORMAT binary)');
    const rows: unknown[][] = [];
    for await (const b of copy.batches) for (let r = 0; r < b.rows; r++) rows.push(b.columns.map((c) => canon(cellValue(c, r))));
    assert.deepStrictEqual(rows, [['1', 'p']]);
    await s.query('COMMIT');
  } finally {
    await s.end();
  }
});

test('a timestamp beyond DuckDB range is refused, not wrapped', () => {
  const b = new ColumnBatchBuilder(['timestamp'], [decoderFor(PgOid.timestamp)], 4);
  const buf = Buffer.alloc(8);
  buf.writeBigInt64BE(9223371331200000000n - 1n); // 294276-12-31 23:59:59.999999, Postgres' last
  assert.throws(() => b.put(0, buf, 0, 8), /a timestamp after 294247-01-10 cannot be stored in a mirror/);
  buf.writeBigInt64BE(0n);
  b.put(0, buf, 0, 8);
  b.endRow();
  assert.equal(cellValue(b.take().columns[0]!, 0), 946684800000000n);
});
