// bool / integers / numeric / text types / bytea / uuid / json / jsonb / arrays result encoding vs a real Postgres,
// text and binary (typsend), plus the numeric result-scale helpers (avg, division) against PG's own results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBDecimalValue } from '@duckdb/node-api';
import { rawTypes, rng, startResultsHarness, type ResultsHarness } from './helpers/results.js';
import {
  columnCodec,
  defaultOutputSettings,
  numericAvg,
  numericDiv,
  numericText,
  parseNumeric,
} from '../src/engine/results/index.js';

let h: ResultsHarness;

before(async () => {
  h = await startResultsHarness();
});

after(() => h?.close());

const digits = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

test('bool and integers (TINYINT → int2, HUGEINT/UBIGINT → numeric, BIGINT hinted int4)', async () => {
  await h.compareColumn({ values: ['t', 'f', 'true', 'false', 'TRUE'], pgExpr: 'x::bool', duckExpr: 'x::BOOLEAN', binary: true });
  const i2 = ['0', '1', '-1', '32767', '-32768', '127', '-128'];
  await h.compareColumn({ values: i2, pgExpr: 'x::int2', duckExpr: 'x::SMALLINT', binary: true });
  await h.compareColumn({ values: i2.slice(0, 3).concat(['127', '-128']), pgExpr: 'x::int2', duckExpr: 'x::TINYINT', binary: true });
  const i4 = ['0', '2147483647', '-2147483648', '42', '-7'];
  await h.compareColumn({ values: i4, pgExpr: 'x::int4', duckExpr: 'x::INTEGER', binary: true });
  await h.compareColumn({ values: i4, pgExpr: 'x::int4', duckExpr: 'x::BIGINT', hint: 'int4', binary: true });
  const i8 = ['0', '9223372036854775807', '-9223372036854775808', '4294967296', '-1'];
  await h.compareColumn({ values: i8, pgExpr: 'x::int8', duckExpr: 'x::BIGINT', binary: true });
  const huge = ['0', '170141183460469231731687303715884105727', '-170141183460469231731687303715884105728', '10000', '-1'];
  await h.compareColumn({ values: huge, pgExpr: 'x::numeric', duckExpr: 'x::HUGEINT', binary: true });
  await h.compareColumn({ values: ['0', '18446744073709551615'], pgExpr: 'x::numeric', duckExpr: 'x::UBIGINT', binary: true });
  await h.compareColumn({ values: ['0', '4294967295'], pgExpr: 'x::int8', duckExpr: 'x::UINTEGER', binary: true });
});

test('numeric(p,s) from DECIMAL: scale kept as stored, typmod, numeric_send', async () => {
  const r = rng(1);
  for (const [p, s] of [[38, 0], [38, 10], [18, 4], [10, 2], [5, 5], [20, 19], [4, 0], [1, 0], [38, 38], [9, 3], [30, 7]] as const) {
    const values = ['0', '-0'];
    for (let i = 0; i < 150; i++) {
      const intLen = Math.floor(r() * (p - s + 1));
      const fracLen = s;
      let v = (intLen ? digits(r, intLen) : '0') + (fracLen ? '.' + digits(r, fracLen) : '');
      if (i % 7 === 0) v = (intLen ? '1' + '0'.repeat(intLen - 1) : '0') + (fracLen ? '.' + '0'.repeat(fracLen) : '');
      values.push(r() < 0.4 ? '-' + v : v);
    }
    await h.compareColumn({ values, pgExpr: `x::numeric(${p},${s})`, duckExpr: `x::DECIMAL(${p},${s})`, hint: `numeric(${p},${s})`, binary: true });
    // unconstrained numeric of the same values: typmod -1 but the stored scale stays
    await h.compareColumn({ values, pgExpr: `x::numeric(${p},${s})::numeric`, duckExpr: `x::DECIMAL(${p},${s})` });
  }
});

test('numeric beyond DuckDB DECIMAL (VARCHAR hinted numeric): numeric_in/out and send emulation', async () => {
  const r = rng(2);
  const values = ['NaN', 'Infinity', '-Infinity', '0', '-0.000', '0.0001', '1e-5', '1.5E+3', '-12.50', '1e2', '.5', '5.',
    '00012.3400', '1e-20', '-1E20', '10000', '100000000', '0.00000001'];
  for (let i = 0; i < 300; i++) {
    const v = digits(r, 1 + Math.floor(r() * 80)).replace(/^0+(?=\d)/, '') + (r() < 0.6 ? '.' + digits(r, Math.floor(r() * 60)) : '');
    values.push((r() < 0.3 ? '-' : '') + v + (i % 10 === 0 ? `e${Math.floor(r() * 40 - 20)}` : ''));
  }
  await h.compareColumn({ values, pgExpr: 'x::numeric', duckExpr: 'x', hint: 'numeric', binary: true });
});

test('numeric helpers: avg() display scale and division scale match PG', async () => {
  const r = rng(3);
  // groups of int4, int8 and numeric(18,2) values
  const groups: { ints: number[]; bigs: bigint[]; decs: string[] }[] = [];
  for (let g = 0; g < 150; g++) {
    const n = 1 + Math.floor(r() * 30);
    const ints = Array.from({ length: n }, () => Math.floor((r() - 0.5) * (g % 3 === 0 ? 20 : 4e9)));
    const bigs = Array.from({ length: n }, () => BigInt(Math.floor((r() - 0.5) * 1e15)) * (g % 2 ? 9000n : 1n));
    const decs = Array.from({ length: n }, () => ((r() - 0.5) * 1e6).toFixed(g % 4));
    groups.push({ ints, bigs, decs });
  }
  const bad: string[] = [];
  for (const [kind, pgType, duckType] of [['ints', 'int4', 'INTEGER'], ['bigs', 'int8', 'BIGINT'], ['decs', 'numeric(18,3)', 'DECIMAL(18,3)']] as const) {
    const vals = groups.flatMap((gr, gi) => (gr[kind] as (number | bigint | string)[]).map((v) => [gi, String(v)] as const));
    const pgRes = await h.client.query({
      text: `SELECT g, avg(v::${pgType})::text FROM unnest($1::int[], $2::text[]) u(g, v) GROUP BY g ORDER BY g`,
      values: [vals.map((x) => x[0]), vals.map((x) => x[1])],
      rowMode: 'array',
    });
    const rows = vals.map(([g, v]) => `(${g}, '${v}')`).join(',');
    const dres = await h.duck.run(`SELECT g, sum(CAST(v AS ${duckType})), count(*) FROM (VALUES ${rows}) t(g, v) GROUP BY g ORDER BY g`);
    const drows = await dres.getRows();
    for (let i = 0; i < drows.length; i++) {
      const [, sum, count] = drows[i]!;
      const got = numericText(numericAvg(sum as bigint | DuckDBDecimalValue, count as bigint)!);
      if (got !== pgRes.rows[i]![1]) bad.push(`${kind} group ${i}: pg=${pgRes.rows[i]![1]} ours=${got}`);
    }
  }
  // plain division of numerics with assorted scales and magnitudes
  const pairs: [string, string][] = [['1', '3'], ['10', '4'], ['1.000', '3'], ['2', '0.0003'], ['123456789', '0.1'],
    ['0', '7'], ['-5', '3'], ['99999', '99999'], ['1', '10000'], ['9999', '1'], ['0.00001', '3']];
  for (let i = 0; i < 300; i++) {
    const a = ((r() - 0.5) * 10 ** Math.floor(r() * 20 - 5)).toFixed(Math.floor(r() * 8));
    let b = ((r() - 0.5) * 10 ** Math.floor(r() * 20 - 5)).toFixed(Math.floor(r() * 8));
    if (Number(b) === 0) b = '7';
    pairs.push([a, b]);
  }
  const pgDiv = await h.client.query({
    text: `SELECT (a::numeric / b::numeric)::text FROM unnest($1::text[], $2::text[]) WITH ORDINALITY u(a, b, i) ORDER BY i`,
    values: [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    rowMode: 'array',
  });
  pairs.forEach(([a, b], i) => {
    const got = numericText(numericDiv(parseNumeric(a), parseNumeric(b)));
    if (got !== pgDiv.rows[i]![0]) bad.push(`${a} / ${b}: pg=${pgDiv.rows[i]![0]} ours=${got}`);
  });
  assert.deepEqual(bad.slice(0, 20), []);
});

const STRINGS = ['', ' ', 'plain', 'a b', 'NULL', 'null', 'x"y', 'a\\b', '{', '}', ',', 'é', 'Ωmega', '😀 emoji', 'tab\there',
  'new\nline', 'v\u000bt', 'f\u000cf', "it's", '  lead', 'trail  ', '{"json": 1}', 'back\\\\slash', 'a,b', '"'];

test('text, varchar(n), bpchar(n) padding, "char"', async () => {
  await h.compareColumn({ values: STRINGS, pgExpr: 'x::text', duckExpr: 'x', binary: true });
  await h.compareColumn({ values: STRINGS, pgExpr: 'x::varchar(40)', duckExpr: 'x', hint: 'varchar(40)', binary: true });
  const short = STRINGS.filter((s) => [...s].length <= 8);
  await h.compareColumn({ values: short, pgExpr: 'x::char(8)', duckExpr: 'x', hint: 'char(8)', binary: true });
  await h.compareColumn({ values: ['a', 'b', ' '], pgExpr: 'x::char', duckExpr: 'x', hint: 'character', binary: true });
  await h.compareColumn({ values: ['Ab', 'xyz'], pgExpr: `x::"char"`, duckExpr: 'x', hint: '"char"' });
  await h.compareColumn({ values: ['a', 'b'], pgExpr: `x::name`, duckExpr: 'x', hint: 'name', binary: true });
});

test('bytea: hex and escape output, binary', async () => {
  const r = rng(4);
  const values = ['', '00', 'ff', '5c', '5c5c', '7f', '7e', '20', '0a0d09', '616263', '27', '22'];
  for (let i = 0; i < 200; i++) {
    values.push(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256).toString(16).padStart(2, '0')).join(''));
  }
  for (const out of ['hex', 'escape']) {
    await h.compareColumn({ values, pgExpr: `decode(x, 'hex')`, duckExpr: 'from_hex(x)', gucs: { bytea_output: out }, binary: out === 'hex' });
  }
});

test('uuid: lower case text, 16-byte binary', async () => {
  const r = rng(5);
  const values = ['00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'];
  for (let i = 0; i < 200; i++) {
    const h = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join('');
    const u = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    values.push(i % 2 ? u.toUpperCase() : u);
  }
  await h.compareColumn({ values, pgExpr: 'x::uuid', duckExpr: 'x::UUID', binary: true });
});

/** Random JSON documents exercising jsonb normalisation: duplicate keys, key lengths, unicode, number spellings. */
function randomJson(r: () => number, depth: number): string {
  const ws = () => [' ', '', '\n ', '  '][Math.floor(r() * 4)]!;
  const num = () => {
    const forms = ['0', '-0', '1.0', '1e2', '1E-3', '-12.50', '12345678901234567890.123', '3.14159', '1.5E+3', '100', '-0.0', '2e0'];
    return forms[Math.floor(r() * forms.length)]!;
  };
  const str = () => {
    const forms = ['"a"', '"b"', '"aa"', '"é"', '"\\u00e9"', '"x\\ny"', '"q\\"q"', '"back\\\\"', '"\\u001f"', '"tab\\t"', '"/"',
      '"\\/"', '"😀"', '"\\ud83d\\ude00"', '""', '"key with space"', '"Z"', '"ab"', '"\\b\\f\\r"'];
    return forms[Math.floor(r() * forms.length)]!;
  };
  const k = r();
  if (depth <= 0 || k < 0.35) {
    const s = r();
    return s < 0.4 ? num() : s < 0.8 ? str() : s < 0.87 ? 'true' : s < 0.94 ? 'false' : 'null';
  }
  if (k < 0.6) {
    const n = Math.floor(r() * 4);
    return '[' + ws() + Array.from({ length: n }, () => randomJson(r, depth - 1)).join(ws() + ',' + ws()) + ws() + ']';
  }
  const n = Math.floor(r() * 6);
  return '{' + ws() + Array.from({ length: n }, () => str() + ws() + ':' + ws() + randomJson(r, depth - 1)).join(',' + ws()) + ws() + '}';
}

test('json kept verbatim; jsonb normalised like jsonb_out; binary json_send / jsonb_send', async () => {
  const r = rng(6);
  const docs = ['{}', '[]', '1', '"x"', 'null', 'true', ' { "b" : 1 , "a" : [1,2] } ', '{"a":1,"a":2}',
    '{"bb":1,"a":2,"ccc":3,"aa":4}', '{"é":1,"z":2,"ab":3}', '{"a":{"b":{"c":[]}}}', '[1.0, 1e2, -0]', '12345678901234567890'];
  for (let i = 0; i < 400; i++) docs.push(randomJson(r, 4));
  await h.compareColumn({ values: docs, pgExpr: 'x::json', duckExpr: 'x::JSON', binary: true });
  await h.compareColumn({ values: docs, pgExpr: 'x::jsonb', duckExpr: 'x::JSON', hint: 'jsonb', binary: true });
});

/** Array of T built from a JSON list of element texts, on both sides. */
const pgArray = (t: string) =>
  `ARRAY(SELECT (e)::${t} FROM jsonb_array_elements_text(x::jsonb) WITH ORDINALITY a(e, n) ORDER BY n)`;
const duckArray = (t: string) => `list_transform(from_json(x, '["VARCHAR"]'), e -> CAST(e AS ${t}))`;

test('arrays: quoting rules, NULL vs "NULL", empty arrays, element types, multi-dimensional, binary', async () => {
  const J = (xs: (string | null)[]) => JSON.stringify(xs);
  const textLists = [J([]), J(STRINGS), J(['a', null, 'NULL']), J([null]), J(['']), ...STRINGS.map((s) => J([s, s]))];
  await h.compareColumn({ values: textLists, pgExpr: pgArray('text'), duckExpr: duckArray('VARCHAR'), binary: true });
  const intLists = [J([]), J(['1', '2', null]), J(['-2147483648', '2147483647']), J([null, null])];
  await h.compareColumn({ values: intLists, pgExpr: pgArray('int4'), duckExpr: duckArray('INTEGER'), binary: true });
  await h.compareColumn({ values: intLists, pgExpr: pgArray('int8'), duckExpr: duckArray('BIGINT'), binary: true });
  const floatLists = [J(['1.5', '-0', '1e300', '0.1', null]), J(['3.4e38', '5e-324'])];
  await h.compareColumn({ values: floatLists, pgExpr: pgArray('float8'), duckExpr: duckArray('DOUBLE'), binary: true });
  const float4Lists = [J(['1.5', '-0', '3.4e38', '0.1', null]), J(['1e-45', '16777217'])];
  await h.compareColumn({ values: float4Lists, pgExpr: pgArray('float4'), duckExpr: duckArray('FLOAT'), binary: true });
  const numLists = [J(['1.50', '-0.01', null, '12345678.90'])];
  await h.compareColumn({ values: numLists, pgExpr: pgArray('numeric(12,2)'), duckExpr: duckArray('DECIMAL(12,2)'), hint: 'numeric(12,2)[]', binary: true });
  await h.compareColumn({ values: [J(['t', 'f', null])], pgExpr: pgArray('bool'), duckExpr: duckArray('BOOLEAN'), binary: true });
  const dates = [J(['2020-01-01', '1999-12-31', null, 'infinity'])];
  for (const ds of ['ISO, MDY', 'Postgres, DMY', 'SQL, MDY']) {
    await h.compareColumn({ values: dates, pgExpr: pgArray('date'), duckExpr: duckArray('DATE'), gucs: { DateStyle: ds }, binary: true });
  }
  const tstz = [J(['2020-07-01 12:00:00+00', '1900-01-01 00:00:00.5+00', null])];
  for (const [tz, ds] of [['America/New_York', 'ISO'], ['Asia/Kolkata', 'Postgres'], ['Europe/Amsterdam', 'SQL']]) {
    await h.compareColumn({ values: tstz, pgExpr: pgArray('timestamptz'), duckExpr: duckArray('TIMESTAMPTZ'), gucs: { TimeZone: tz!, DateStyle: ds! }, binary: true });
  }
  // no leading '-' on a mixed-sign literal: sql_standard input would spread it over all fields
  const ivs = [J(['1 day', '2 days -1 month 03:00:00', '00:00:00.5', '-00:00:01', null])];
  for (const st of ['postgres', 'postgres_verbose', 'iso_8601', 'sql_standard']) {
    await h.compareColumn({ values: ivs, pgExpr: pgArray('interval'), duckExpr: duckArray('INTERVAL'), gucs: { IntervalStyle: st }, binary: true });
  }
  const uuids = [J(['A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', null])];
  await h.compareColumn({ values: uuids, pgExpr: pgArray('uuid'), duckExpr: duckArray('UUID'), binary: true });
  const blobs = [J(['\\x00ff', '\\x', null])];
  await h.compareColumn({ values: blobs, pgExpr: pgArray('bytea'), duckExpr: `list_transform(from_json(x, '["VARCHAR"]'), e -> from_hex(substr(e, 3)))`, binary: true });
  await h.compareColumn({ values: blobs, pgExpr: pgArray('bytea'), duckExpr: `list_transform(from_json(x, '["VARCHAR"]'), e -> from_hex(substr(e, 3)))`, gucs: { bytea_output: 'escape' } });
  const jsons = [J(['{"b": 1, "a": "x y"}', '[1, "NULL"]', '"str"', null])];
  await h.compareColumn({ values: jsons, pgExpr: pgArray('jsonb'), duckExpr: duckArray('JSON'), hint: 'jsonb[]', binary: true });
  await h.compareColumn({ values: jsons, pgExpr: pgArray('json'), duckExpr: duckArray('JSON'), binary: true });
  // two dimensions: PG literal on one side, the same nesting as a DuckDB list on the other
  const md = ['{{1,2},{3,NULL}}', '{{1},{2},{3}}', '{{{1,2}},{{3,4}}}'];
  await h.compareColumn({
    values: md.slice(0, 2), pgExpr: 'x::int4[]',
    duckExpr: `CAST(replace(replace(x, '{', '['), '}', ']') AS INTEGER[][])`, binary: true,
  });
  await h.compareColumn({
    values: md.slice(2), pgExpr: 'x::int4[]',
    duckExpr: `CAST(replace(replace(x, '{', '['), '}', ']') AS INTEGER[][][])`, binary: true,
  });
});

test('columns without a PG counterpart and odd cases', async () => {
  const res = await h.duck.run(`SELECT {'a': 1, 'b': [1, 2], 'c': NULL, 'd': 'x"y'} s, MAP {'k': 1.5} m, NULL n, 'x'::ENUM('x', 'y') e`);
  const rows = await res.getRows();
  const s = defaultOutputSettings();
  // DuckDB types a bare NULL as INTEGER; PG reports text, so the translator hints it
  const c = [0, 1, 2, 3].map((i) => columnCodec(res.columnType(i), i === 2 ? 'text' : undefined));
  assert.deepEqual(c.map((x) => x.oid), [114, 114, 25, 25]);
  assert.equal(c[0]!.text(rows[0]![0], s), '{"a":1,"b":[1,2],"c":null,"d":"x\\"y"}');
  assert.equal(c[1]!.text(rows[0]![1], s), '{"k":1.5}');
  assert.equal(c[2]!.encode(rows[0]![2], s, 0), null);
  assert.equal(c[3]!.text(rows[0]![3], s), 'x');
  // a PG NULL literal is reported as text too
  const pgNull = await h.client.query({ text: 'SELECT NULL', rowMode: 'array' });
  assert.equal(pgNull.fields[0]!.dataTypeID, 25);
  assert.throws(() => columnCodec(res.columnType(0), 'no_such_type'));
  assert.throws(() => columnCodec(res.columnType(0), 'int4'));
  // nested DuckDB values hinted as jsonb: rendered to JSON, then normalised like PG's jsonb
  const nested = await h.duck.run(`SELECT {'b': 1, 'a': [1.5, 2.5], 'é': 'x'} s, [3, 1, NULL] l`);
  const nrow = (await nested.getRows())[0]!;
  const pgJ = await h.client.query({ text: `SELECT '{"b":1,"a":[1.5,2.5],"é":"x"}'::jsonb, '[3,1,null]'::jsonb`, rowMode: 'array', types: rawTypes });
  assert.equal(columnCodec(nested.columnType(0), 'jsonb').text(nrow[0], s), pgJ.rows[0]![0]);
  assert.equal(columnCodec(nested.columnType(1), 'jsonb').text(nrow[1], s), pgJ.rows[0]![1]);
  assert.equal(columnCodec(nested.columnType(1), 'jsonb').oid, 3802);
});
