// IvorySQL Oracle-mode result encoding. No IvorySQL server runs in the test suite, so the expected values are the
// ones measured on IvorySQL 5.4 and recorded in /work/shared/notes/ivorysql.md §2-§6 (RowDescription OIDs/typmods,
// NLS-driven text, interval layouts, Nan/Inf spelling, binary layouts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { columnCodec, defaultOutputSettings, withSetting, type OutputSettings } from '../src/engine/results/index.js';

let db: DuckDBInstance;
let duck: DuckDBConnection;

before(async () => {
  db = await DuckDBInstance.create(':memory:');
  duck = await db.connect();
  await duck.run(`SET TimeZone = 'UTC'`);
});

after(() => {
  duck?.closeSync();
  db?.closeSync();
});

async function one(sql: string) {
  const r = await duck.run(sql);
  const rows = await r.getRows();
  return { type: r.columnType(0), value: rows[0]![0] };
}

const pgMode = defaultOutputSettings();
const oraMode: OutputSettings = withSetting(pgMode, 'ivorysql.compatible_mode', 'oracle');

test('RowDescription: 95xx OIDs and typmods as IvorySQL reports them', async () => {
  const num = await one(`SELECT 12345.678901::DECIMAL(20,6)`);
  const c = columnCodec(num.type, 'number(10,2)');
  assert.deepEqual([c.oid, c.typmod, c.typlen], [9520, 655366, -1]);
  assert.equal(columnCodec(num.type, 'sys.number(10)').typmod, 655364);
  const s = await one(`SELECT 'ab'`);
  assert.deepEqual([columnCodec(s.type, 'varchar2(20)').oid, columnCodec(s.type, 'varchar2(20)').typmod], [9503, 24]);
  assert.deepEqual([columnCodec(s.type, 'oracharbyte(5)').oid, columnCodec(s.type, 'oracharbyte(5)').typmod], [9501, 9]);
  const ts = await one(`SELECT TIMESTAMP '2024-03-15 10:30:45'`);
  assert.deepEqual([columnCodec(ts.type, 'oradate').oid, columnCodec(ts.type, 'oradate').typmod, columnCodec(ts.type, 'oradate').typlen], [9508, -1, 8]);
  assert.deepEqual([columnCodec(ts.type, 'oratimestamp').oid, columnCodec(ts.type, 'oratimestamp').typmod], [9510, 6]);
  assert.equal(columnCodec(ts.type, { oid: 9512, typmod: 6 }).oid, 9512);
  const iv = await one(`SELECT INTERVAL 27 MONTH`);
  assert.deepEqual([columnCodec(iv.type, { oid: 9516, typmod: 393218 }).typmod, columnCodec(iv.type, { oid: 9516 }).typlen], [393218, 16]);
});

test('oradate / oratimestamp / oratimestamptz / ltz text follows the NLS masks', async () => {
  const d = await one(`SELECT TIMESTAMP '2024-03-15 10:30:45'`);
  const date = columnCodec(d.type, 'oradate');
  // default nls_date_format hides the time of day
  assert.equal(date.text(d.value, oraMode), '2024-03-15');
  assert.equal(date.text(d.value, withSetting(oraMode, 'nls_date_format', 'YYYY-MM-DD HH24:MI:SS')), '2024-03-15 10:30:45');
  assert.equal(date.text(d.value, withSetting(oraMode, 'nls_date_format', 'DD-MON-RR')), '15-MAR-24');
  assert.equal(date.text(d.value, withSetting(oraMode, 'nls_date_format', 'fmDay, Month DD YYYY HH12:MI AM')), 'Friday, March 15 2024 10:30 AM');
  // binary is PG's timestamp layout (ivorysql.md §6: 0002b6af44e7df40)
  assert.equal(date.encodeBinary(d.value, oraMode).toString('hex'), '0002b6af44e7df40');

  const t = await one(`SELECT TIMESTAMP '2024-03-15 10:30:45.123456'`);
  assert.equal(columnCodec(t.type, 'oratimestamp').text(t.value, oraMode), '2024-03-15 10:30:45.123456');
  const t3 = await one(`SELECT TIMESTAMP '2024-03-15 10:30:45.123'`);
  assert.equal(columnCodec(t3.type, 'oratimestamp(3)').text(t3.value, oraMode), '2024-03-15 10:30:45.123000');

  const tz = await one(`SELECT TIMESTAMPTZ '2024-03-15 05:00:45.123456+00'`);
  assert.equal(columnCodec(tz.type, 'oratimestamptz').text(tz.value, oraMode), '2024-03-15 05:00:45.123456 +00:00');
  const kolkata = withSetting(oraMode, 'TimeZone', 'Asia/Kolkata');
  assert.equal(columnCodec(tz.type, 'oratimestamptz').text(tz.value, kolkata), '2024-03-15 10:30:45.123456 +05:30');
  // LTZ: session-zone wall time, no offset
  assert.equal(columnCodec(tz.type, 'oratimestampltz').text(tz.value, kolkata), '2024-03-15 10:30:45.123456');
  assert.equal(columnCodec(tz.type, 'oratimestampltz').encodeBinary(tz.value, kolkata).toString('hex'),
    columnCodec(tz.type, 'timestamptz').encodeBinary(tz.value, kolkata).toString('hex'));
});

test('INTERVAL YEAR TO MONTH / DAY TO SECOND: 9-digit layout without typmod, Oracle widths in Oracle mode', async () => {
  const ym = await one(`SELECT INTERVAL 27 MONTH`);
  const ymc = columnCodec(ym.type, { oid: 9516, typmod: 393218 });
  assert.equal(ymc.text(ym.value, pgMode), '+000000002-03');
  assert.equal(ymc.text(ym.value, oraMode), '+02-03');
  assert.equal(ymc.encodeBinary(ym.value, oraMode).toString('hex'), '00000000000000000000000000000' + '01b');
  const ds = await one(`SELECT INTERVAL 5 DAY + to_microseconds(11045500000)`);
  const dsc = columnCodec(ds.type, { oid: 9518, typmod: 470286854 });
  assert.equal(dsc.text(ds.value, pgMode), '+000000005 03:04:05.500000000');
  assert.equal(dsc.text(ds.value, oraMode), '+05 03:04:05.500000');
  const neg = await one(`SELECT -INTERVAL 27 MONTH`);
  assert.equal(ymc.text(neg.value, oraMode), '-02-03');
});

test('binary_float / binary_double: Nan/Inf in Oracle mode, NaN/Infinity in PG mode; NUMBER like numeric', async () => {
  const f = await one(`SELECT 'nan'::FLOAT`);
  const bf = columnCodec(f.type, 'binary_float');
  assert.equal(bf.oid, 9522);
  assert.equal(bf.text(f.value, oraMode), 'Nan');
  assert.equal(bf.text(f.value, pgMode), 'NaN');
  const inf = await one(`SELECT '-inf'::DOUBLE`);
  const bd = columnCodec(inf.type, 'binary_double');
  assert.equal(bd.text(inf.value, oraMode), '-Inf');
  assert.equal(bd.text(inf.value, pgMode), '-Infinity');
  const pi = await one(`SELECT 3.14::FLOAT`);
  assert.equal(bf.text(pi.value, oraMode), '3.14');
  const n = await one(`SELECT 12345.678901::DECIMAL(20,6)`);
  assert.equal(columnCodec(n.type, 'number').text(n.value, oraMode), '12345.678901');
  const big = await one(`SELECT '1000000000000000000000000000000'`);
  assert.equal(columnCodec(big.type, 'number').text(big.value, oraMode), '1000000000000000000000000000000');
  const c = await one(`SELECT 'ab'`);
  assert.equal(columnCodec(c.type, 'oracharbyte(5)').text(c.value, oraMode), 'ab   ');
});
