// Every supported type round-trips exactly through binary pgoutput and binary COPY, against a real Postgres.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startCdcSource, type CdcSource } from './helpers/cdc.js';
import {
  ChangeStream, IvoryOid, MultiDimensionalArrayError, PgOid, TypeCatalog, beginSnapshot, copyTable, createPublication,
  createSlot, decoderFor, openReplicationConnection, openSession, typeSupport, type CdcEvent, type Value,
} from '../src/cdc/index.js';

let source: CdcSource;

before(async () => {
  source = await startCdcSource();
});
after(() => source?.close());

const us = (iso: string, micros = 0n): bigint => BigInt(Date.parse(iso)) * 1000n + micros;
const days = (iso: string): number => Date.parse(iso) / 86_400_000;

// [column, SQL type, SQL literal, expected JS value]
const CASES: Array<[string, string, string, Value]> = [
  ['b_true', 'bool', 'true', true],
  ['b_false', 'bool', 'false', false],
  ['i2', 'int2', '-32768', -32768],
  ['i4', 'int4', '2147483647', 2147483647],
  ['i8_max', 'int8', '9223372036854775807', 9223372036854775807n],
  ['i8_min', 'int8', '-9223372036854775808', -9223372036854775808n],
  ['o', 'oid', '4294967295', 4294967295],
  ['ch', '"char"', `'x'`, 'x'],
  ['f4', 'float4', '1.1', Math.fround(1.1)],
  ['f4_nan', 'float4', `'NaN'`, NaN],
  ['f4_inf', 'float4', `'Infinity'`, Infinity],
  ['f8', 'float8', '0.1', 0.1],
  ['f8_negzero', 'float8', `'-0'`, -0],
  ['f8_ninf', 'float8', `'-Infinity'`, -Infinity],
  ['f8_max', 'float8', '1.7976931348623157e308', 1.7976931348623157e308],
  ['n_big', 'numeric', '123456789012345678901234567890.123456789', '123456789012345678901234567890.123456789'],
  ['n_small', 'numeric', '-0.000001', '-0.000001'],
  ['n_tiny', 'numeric', '1e-20', '0.00000000000000000001'],
  ['n_exp', 'numeric', '1e20', '100000000000000000000'],
  ['n_10000', 'numeric', '10000', '10000'],
  ['n_scale', 'numeric(10,2)', '1.1', '1.10'],
  ['n_zero_scale', 'numeric', '0.00', '0.00'],
  ['n_zero', 'numeric', '0', '0'],
  ['n_neg_int', 'numeric', '-98765432109876543210', '-98765432109876543210'],
  ['n_nan', 'numeric', `'NaN'`, 'NaN'],
  ['n_pinf', 'numeric', `'Infinity'`, 'Infinity'],
  ['n_ninf', 'numeric', `'-Infinity'`, '-Infinity'],
  ['t', 'text', `'héllo ☃ 𝄞'`, 'héllo ☃ 𝄞'],
  ['vc', 'varchar(5)', `'abc'`, 'abc'],
  ['bp', 'char(5)', `'ab'`, 'ab   '],
  ['nm', 'name', `'a_name'`, 'a_name'],
  ['by', 'bytea', `'\\x00ff10'`, Buffer.from([0x00, 0xff, 0x10])],
  ['by_empty', 'bytea', `''`, Buffer.alloc(0)],
  ['d', 'date', `'2024-02-29'`, days('2024-02-29T00:00:00Z')],
  ['d_old', 'date', `'1900-01-01'`, days('1900-01-01T00:00:00Z')],
  ['d_pinf', 'date', `'infinity'`, Infinity],
  ['d_ninf', 'date', `'-infinity'`, -Infinity],
  ['tm', 'time', `'23:59:59.999999'`, 86_399_999_999n],
  ['ttz', 'timetz', `'12:00:00.5+05:30'`, { micros: 43_200_500_000n, utcOffsetSeconds: 19_800 }],
  ['ttz_west', 'timetz', `'01:02:03-08'`, { micros: 3_723_000_000n, utcOffsetSeconds: -28_800 }],
  ['ts', 'timestamp', `'2024-03-15 10:30:45.123456'`, us('2024-03-15T10:30:45Z', 123_456n)],
  ['ts_old', 'timestamp', `'1960-01-01 00:00:00.000001'`, us('1960-01-01T00:00:00Z', 1n)],
  ['ts_pinf', 'timestamp', `'infinity'`, Infinity],
  ['ts_ninf', 'timestamp', `'-infinity'`, -Infinity],
  ['tstz', 'timestamptz', `'2024-03-15 10:30:45.123456+02'`, us('2024-03-15T08:30:45Z', 123_456n)],
  ['tstz_pinf', 'timestamptz', `'infinity'`, Infinity],
  ['iv', 'interval', `'1 year 2 months 3 days 04:05:06.789'`, { months: 14, days: 3, micros: 14_706_789_000n }],
  ['iv_neg', 'interval', `'-1 day -00:00:00.000001'`, { months: 0, days: -1, micros: -1n }],
  ['u', 'uuid', `'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'`, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ['js', 'json', `'{"b": 1,  "a":[1,2]}'`, '{"b": 1,  "a":[1,2]}'],
  ['jb', 'jsonb', `'{"b": 1,  "a":[1,2], "s": "☃"}'`, '{"a": [1, 2], "b": 1, "s": "☃"}'],
  ['a_i4', 'int4[]', `'{1,NULL,3}'`, [1, null, 3]],
  ['a_empty', 'int4[]', `'{}'`, []],
  ['a_lbound', 'int4[]', `'[0:1]={5,6}'`, [5, 6]],
  ['a_text', 'text[]', `'{"a b",NULL,"c\\"d",""}'`, ['a b', null, 'c"d', '']],
  ['a_i8', 'int8[]', `'{-9223372036854775808,0}'`, [-9223372036854775808n, 0n]],
  ['a_num', 'numeric[]', `'{1.50,NaN,-2}'`, ['1.50', 'NaN', '-2']],
  ['a_tstz', 'timestamptz[]', `'{"2024-03-15 10:30:45+00",infinity}'`, [us('2024-03-15T10:30:45Z'), Infinity]],
  ['a_bool', 'bool[]', `'{t,f}'`, [true, false]],
  ['a_uuid', 'uuid[]', `'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'`, ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
  ['a_jsonb', 'jsonb[]', `ARRAY['{"x":1}'::jsonb]`, ['{"x": 1}']],
  ['a_date', 'date[]', `'{2024-02-29}'`, [days('2024-02-29T00:00:00Z')]],
  ['a_bytea', 'bytea[]', `ARRAY['\\x01'::bytea]`, [Buffer.from([1])]],
  ['a_iv', 'interval[]', `'{"1 mon"}'`, [{ months: 1, days: 0, micros: 0n }]],
  ['a_f8', 'float8[]', `'{NaN,1.5}'`, [NaN, 1.5]],
  ['e', 'mood', `'happy'`, 'happy'],
  ['a_e', 'mood[]', `'{sad,happy}'`, ['sad', 'happy']],
  ['dom_int', 'posint', '42', 42],
  ['dom_num', 'money2', '12.5', '12.50'],
  ['dom_text', 'label', `'lbl'`, 'lbl'],
  ['a_dom', 'posint[]', `'{1,2}'`, [1, 2]],
];

const SETUP = `
  CREATE TYPE mood AS ENUM ('sad', 'happy');
  CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
  CREATE DOMAIN money2 AS numeric(10,2);
  CREATE DOMAIN label AS text;
  CREATE TABLE alltypes (id int PRIMARY KEY, ${CASES.map(([c, t]) => `${c} ${t}`).join(', ')});
`;

const insertSql = (id: number, nulls: boolean): string =>
  `INSERT INTO alltypes VALUES (${id}, ${CASES.map(([, , lit]) => (nulls ? 'NULL' : lit)).join(', ')})`;

function assertRow(row: readonly unknown[], nulls: boolean, where: string): void {
  CASES.forEach(([col, , , expected], i) => {
    assert.deepStrictEqual(row[i + 1], nulls ? null : expected, `${where}: column ${col}`);
  });
}

test('every type round-trips through binary pgoutput and binary COPY', async () => {
  const c = await source.pgs.client();
  const rc = await openReplicationConnection(source.conn);
  const copier = await openSession(source.conn);
  const events: CdcEvent[] = [];
  let stream: ChangeStream | undefined;
  try {
    await c.query(SETUP);
    await c.query(insertSql(1, false));
    await c.query(insertSql(2, true));
    await createPublication(c, 'types_pub', [{ schema: 'public', name: 'alltypes' }]);
    const slot = await createSlot(rc, 'types_slot');

    // COPY side (in the exported snapshot)
    await beginSnapshot(copier, slot.snapshotName!);
    const copy = await copyTable(copier, { schema: 'public', name: 'alltypes' });
    const rows: Value[][] = [];
    for await (const b of copy.batches) rows.push(...b);
    await copier.query('COMMIT');
    rows.sort((a, b) => (a[0] as number) - (b[0] as number));
    assert.equal(rows.length, 2);
    assertRow(rows[0]!, false, 'copy');
    assertRow(rows[1]!, true, 'copy');
    await rc.end();

    // pgoutput side: the same rows inserted after the slot exists
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => { resolveDone = r; });
    stream = new ChangeStream({ connection: source.conn, slot: 'types_slot', publications: ['types_pub'] });
    await stream.start(slot.consistentPoint, (ev) => {
      events.push(ev);
      if (ev.kind === 'commit') resolveDone();
    });
    await c.query(`BEGIN; ${insertSql(3, false)}; ${insertSql(4, true)}; COMMIT`);
    await done;
    const inserts = events.flatMap((e) => (e.kind === 'changes' ? e.changes : []));
    assert.equal(inserts.length, 2);
    assert.ok(inserts[0]!.kind === 'insert' && inserts[1]!.kind === 'insert');
    if (inserts[0]!.kind === 'insert') assertRow(inserts[0]!.new, false, 'pgoutput');
    if (inserts[1]!.kind === 'insert') assertRow(inserts[1]!.new, true, 'pgoutput');

    // the Relation message names domain and enum OIDs, not base types; the catalog resolved them from pg_type
    const rel = events.find((e) => e.kind === 'relation');
    assert.ok(rel && rel.kind === 'relation');
    const domCol = rel.relation.columns.find((col) => col.name === 'dom_int')!;
    assert.notEqual(domCol.typeOid, PgOid.int4);
    const support = stream.catalog.support(domCol.typeOid);
    assert.ok(support.supported && support.type.layoutOid === PgOid.int4 && support.type.name === 'public.posint');
    const numDom = stream.catalog.support(rel.relation.columns.find((col) => col.name === 'dom_num')!.typeOid);
    assert.ok(numDom.supported && numDom.type.layoutOid === PgOid.numeric && numDom.type.domainTypmod === (10 << 16 | 2) + 4);
    const enumArr = stream.catalog.support(rel.relation.columns.find((col) => col.name === 'a_e')!.typeOid);
    assert.ok(enumArr.supported && enumArr.type.isArray && enumArr.type.isEnum);
  } finally {
    await stream?.stop();
    await copier.end().catch(() => {});
    await rc.end().catch(() => {});
    await c.end();
  }
});

// Exact bytes from the server's own send functions, decoded through the codec registry.
async function sendBytes(c: pg.Client, expr: string): Promise<Buffer> {
  const r = await c.query<{ b: Buffer }>(`SELECT ${expr} AS b`);
  return r.rows[0]!.b;
}

test('IvorySQL 95xx OIDs decode with the vanilla layouts they share', async () => {
  const c = await source.pgs.client();
  try {
    const dec = (oid: number, b: Buffer): Value => decoderFor(oid)(b, 0, b.length);
    const ts = await sendBytes(c, `timestamp_send('2024-03-15 10:30:45')`);
    assert.equal(dec(IvoryOid.oradate, ts), us('2024-03-15T10:30:45Z'));
    assert.equal(dec(IvoryOid.oratimestamp, ts), us('2024-03-15T10:30:45Z'));
    const tstz = await sendBytes(c, `timestamptz_send('2024-03-15 10:30:45.5+00')`);
    assert.equal(dec(IvoryOid.oratimestamptz, tstz), us('2024-03-15T10:30:45Z', 500_000n));
    assert.equal(dec(IvoryOid.oratimestampltz, tstz), us('2024-03-15T10:30:45Z', 500_000n));
    const num = await sendBytes(c, `numeric_send('12345.678901'::numeric)`);
    assert.equal(dec(IvoryOid.number, num), '12345.678901');
    const ym = await sendBytes(c, `interval_send('2 years 3 months')`);
    assert.deepStrictEqual(dec(IvoryOid.yminterval, ym), { months: 27, days: 0, micros: 0n });
    const ds = await sendBytes(c, `interval_send('5 days 03:04:05.5')`);
    assert.deepStrictEqual(dec(IvoryOid.dsinterval, ds), { months: 0, days: 5, micros: 11_045_500_000n });
    assert.equal(dec(IvoryOid.binary_float, await sendBytes(c, `float4send('NaN')`)), NaN);
    assert.equal(dec(IvoryOid.binary_double, await sendBytes(c, `float8send('-Infinity')`)), -Infinity);
    const txt = await sendBytes(c, `textsend('ab   ')`);
    for (const oid of [IvoryOid.oracharbyte, IvoryOid.oracharchar, IvoryOid.oravarcharbyte, IvoryOid.oravarcharchar,
      IvoryOid.clob, IvoryOid.nclob, IvoryOid.long]) {
      assert.equal(dec(oid, txt), 'ab   ', `oid ${oid}`);
    }
    const raw = await sendBytes(c, `byteasend('\\xdeadbeef'::bytea)`);
    for (const oid of [IvoryOid.raw, IvoryOid.blob, IvoryOid.long_raw]) {
      assert.deepStrictEqual(dec(oid, raw), Buffer.from('deadbeef', 'hex'), `oid ${oid}`);
    }
    const arr = await sendBytes(c, `array_send('{"2024-03-15 10:30:45"}'::timestamp[])`);
    assert.deepStrictEqual(dec(9509, arr), [us('2024-03-15T10:30:45Z')]);
    const s = typeSupport(IvoryOid.oradate);
    assert.ok(s.supported && s.type.layoutOid === PgOid.timestamp && s.type.name === 'oradate');
    const blob = typeSupport(IvoryOid.blob);
    assert.ok(blob.supported && blob.type.layoutOid === PgOid.bytea);
    const rowid = typeSupport(IvoryOid.rowid);
    assert.ok(!rowid.supported && /composite/.test(rowid.reason));
  } finally {
    await c.end();
  }
});

test('typeSupport explains unsupported types; multi-dimensional arrays are rejected clearly', async () => {
  const c = await source.pgs.client();
  try {
    const inet = typeSupport(869);
    assert.ok(!inet.supported && /inet/.test(inet.reason));
    const unknown = typeSupport(987_654);
    assert.ok(!unknown.supported && /not in the catalog/.test(unknown.reason));
    assert.ok(typeSupport(PgOid.jsonb).supported);

    const md = await sendBytes(c, `array_send('{{1,2},{3,4}}'::int4[])`);
    assert.throws(() => decoderFor(1007)(md, 0, md.length), (e: unknown) =>
      e instanceof MultiDimensionalArrayError && e.ndim === 2 && /multi-dimensional arrays are not supported/.test(e.message));

    // the catalog learns composite/range types from pg_type and reports them unsupported by name
    await c.query(`CREATE TYPE pair AS (a int, b int)`);
    const oid = Number((await c.query(`SELECT 'pair'::regtype::oid AS o`)).rows[0].o);
    const cat = new TypeCatalog();
    await cat.load(c, [oid, 3904]);
    const pair = cat.support(oid);
    assert.ok(!pair.supported && /composite type public\.pair/.test(pair.reason));

    // COPY of a multi-dimensional value fails with the same clear error
    await c.query(`CREATE TABLE md (a int4[]); INSERT INTO md VALUES ('{{1,2},{3,4}}')`);
    const s = await openSession(source.conn);
    try {
      const copy = await copyTable(s, { schema: 'public', name: 'md' });
      await assert.rejects(async () => { for await (const _ of copy.batches) { /* drain */ } }, MultiDimensionalArrayError);
    } finally {
      await s.end();
    }
  } finally {
    await c.end();
  }
});

test('values of unsupported types stop the stream with the column named, or pass through raw if asked', async () => {
  const c = await source.pgs.client();
  const streams: ChangeStream[] = [];
  try {
    await c.query(`CREATE TABLE nets (id int PRIMARY KEY, addr inet)`);
    await createPublication(c, 'nets_pub', [{ schema: 'public', name: 'nets' }]);
    const rc = await openReplicationConnection(source.conn);
    const s1 = await createSlot(rc, 'nets_strict', { snapshot: 'nothing' });
    const s2 = await createSlot(rc, 'nets_raw', { snapshot: 'nothing' });
    await rc.end();
    const strict = new ChangeStream({ connection: source.conn, slot: 'nets_strict', publications: ['nets_pub'] });
    const raw = new ChangeStream({ connection: source.conn, slot: 'nets_raw', publications: ['nets_pub'], unsupportedValues: 'raw' });
    streams.push(strict, raw);
    await strict.start(s1.consistentPoint, () => {});
    let resolveRaw!: (v: Value) => void;
    const rawValue = new Promise<Value>((r) => { resolveRaw = r; });
    await raw.start(s2.consistentPoint, (ev) => {
      for (const ch of ev.kind === 'changes' ? ev.changes : []) if (ch.kind === 'insert' && ch.new[0] === 2) resolveRaw(ch.new[1] as Value);
    });
    await c.query(`INSERT INTO nets VALUES (1, NULL)`); // NULL needs no codec
    await c.query(`INSERT INTO nets VALUES (2, '10.0.0.1')`);
    await assert.rejects(strict.finished, /public\.nets\.addr: no binary codec for type inet/);
    assert.deepStrictEqual(await rawValue, await sendBytes(c, `inet_send('10.0.0.1')`));
  } finally {
    for (const s of streams) await s.stop();
    await c.end();
  }
});
