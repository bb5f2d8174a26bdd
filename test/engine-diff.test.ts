// Differential tests: every query runs on Postgres (over the source table, through a plain view standing in for
// the mirror view) and through the engine (over a DuckDB table holding the same rows in the table layer's
// storage types); RowDescription, DataRow bytes and command tags must be identical. Unsupported constructs must
// be refused with 0A000.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance, VARCHAR } from '@duckdb/node-api';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { engineCatalogSql } from './helpers/engine-catalog.js';
import { EngineRouter, StaticMirrorSource, DirectChannel } from '../src/engine/index.js';
import type { LocalQuery, ResultSink, SessionInfo } from '../src/route/local.js';

let pg: TestPostgres | null = null;
let port = 0;
let db: DuckDBInstance;
let router: EngineRouter;
let ch: DirectChannel;
let admin: DirectChannel;
let session: SessionInfo;

const SCHEMA = `
DROP TABLE IF EXISTS trades, accounts CASCADE;
CREATE TABLE trades (
  id int4 PRIMARY KEY, sym text, side char(4), qty int2, price numeric(12,4), amount numeric(14,2), fee float8,
  ratio float4, ts timestamptz, trade_date date, local_ts timestamp, note varchar(20), tags text[], attrs jsonb,
  flag bool, big int8, raw_num numeric, dur interval, uid uuid, js json
);
CREATE TABLE accounts (id int4, sym text, region text, weight numeric(6,3), opened date);
INSERT INTO accounts VALUES (1, 'AAPL', 'us', 1.500, '2020-01-01'), (2, 'MSFT', 'us', 2.250, '2021-06-30'),
  (3, 'SAP', 'eu', 0.125, '2019-12-31'), (4, 'BMW', 'eu', NULL, NULL), (5, 'TSLA', 'us', 3.000, '2022-02-28');
CREATE VIEW trades_iceberg AS SELECT * FROM trades;
-- random integers and numerics up to the types' limits, in 97 groups plus groups of equal values and of one row
DROP TABLE IF EXISTS nums CASCADE;
CREATE TABLE nums (id int4, g int4, a int2, b int4, c int8, d numeric(10,3), e numeric(18,0), f numeric(6,6));
SELECT setseed(0.42);
INSERT INTO nums SELECT i, i % 97, (random()*60000-30000)::int2, (random()*4e9-2e9)::int4,
  CASE WHEN i % 5 = 0 THEN (random()*1.8e19-9e18)::numeric::int8 ELSE (random()*1000)::int8 END,
  (random()*2e7-1e7)::numeric(10,3), (random()*1e18)::numeric(18,0), random()::numeric(6,6)
  FROM generate_series(1, 5000) i;
INSERT INTO nums VALUES (-1, 1000, 5, 5, 5, 5, 5, 0.5), (-2, 1000, 5, 5, 5, 5, 5, 0.5), (-3, 1001, 7, 7, 7, 7, 7, 0.7);
CREATE VIEW nums_iceberg AS SELECT * FROM nums;
`;

// 40 rows with NULLs, negatives, DST-crossing timestamps, unicode, jsonb of several shapes
function rows(): string {
  const syms = ['AAPL', 'MSFT', 'SAP', 'BMW', 'TSLA', 'Ünïcode'];
  const out: string[] = [];
  for (let i = 1; i <= 40; i++) {
    const sym = i % 13 === 0 ? 'NULL' : `'${syms[i % syms.length]}'`;
    const side = i % 3 === 0 ? `'sell'` : i % 7 === 0 ? `'b'` : `'buy'`;
    const qty = i % 11 === 0 ? 'NULL' : String(((i * 37) % 200) - 50);
    const price = i % 17 === 0 ? 'NULL' : `${(i * 12.3456) % 500 + 0.0001 * i}`;
    const amount = `${((i * 7919) % 100000) / 100 - 250}`;
    const fee = i % 9 === 0 ? 'NULL' : i % 5 === 0 ? `${i}.25` : `${i / 8}`;
    const ratio = i % 10 === 0 ? 'NULL' : `${(i % 7) / 4}`;
    const day = ((i * 3) % 28) + 1;
    const month = ((i * 5) % 12) + 1;
    const ts = i % 19 === 0 ? 'NULL' : `'2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.${String(i * 1234).padStart(6, '0').slice(0, 6)}+00'`;
    const tdate = i % 23 === 0 ? 'NULL' : `'2023-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}'`;
    const lts = `'2024-03-${String((i % 28) + 1).padStart(2, '0')} ${String((i * 5) % 24).padStart(2, '0')}:30:00'`;
    const note = i % 4 === 0 ? 'NULL' : `'note ${i}${i % 6 === 0 ? " it''s" : ''}'`;
    const tags = i % 8 === 0 ? 'NULL' : i % 5 === 0 ? `'{}'` : `'{t${i % 3},x${i % 2}}'`;
    const attrs = i % 7 === 0 ? 'NULL' : `'{"n": ${i % 5}.50, "k": "v${i % 4}", "arr": [${i}, ${i + 1}], "nested": {"d": ${i % 2 === 0 ? 'true' : 'null'}}}'`;
    const flag = i % 6 === 0 ? 'NULL' : i % 2 === 0 ? 'true' : 'false';
    const big = `${BigInt(i) * 123456789012n - 2000000000000n}`;
    const rawNum = i % 10 === 0 ? 'NULL' : i % 3 === 0 ? `${i}.1` : i % 3 === 1 ? `${i}.000` : `${-i}`;
    const dur = i % 12 === 0 ? 'NULL' : `'${i % 3} days ${i % 24}:${String(i % 60).padStart(2, '0')}:00'`;
    const uid = `'${String(i).padStart(8, '0')}-0000-4000-8000-${String(i * 7).padStart(12, '0')}'`;
    const js = i % 5 === 0 ? 'NULL' : `'{"b": 1, "a": [1, 2.50]}'`;
    out.push(`(${i}, ${sym}, ${side}, ${qty}, ${price}, ${amount}, ${fee}, ${ratio}, ${ts}, ${tdate}, ${lts}, ${note}, ${tags}, ${attrs}, ${flag}, ${big}, ${rawNum}, ${dur}, ${uid}, ${js})`);
  }
  return `INSERT INTO trades VALUES ${out.join(',\n')};`;
}

/** The table layer's storage type for a source column (src/table/column-types.ts). */
function stored(typ: string): string {
  if (typ.endsWith('[]')) return `${stored(typ.slice(0, -2))}[]`;
  if (/^numeric\((\d+),(\d+)\)$/.test(typ)) return typ.replace('numeric', 'DECIMAL');
  const m: Record<string, string> = {
    integer: 'INTEGER', smallint: 'INTEGER', bigint: 'BIGINT', numeric: 'VARCHAR', 'double precision': 'DOUBLE', real: 'FLOAT',
    text: 'VARCHAR', 'character(4)': 'VARCHAR', 'character varying(20)': 'VARCHAR', 'timestamp with time zone': 'TIMESTAMPTZ',
    date: 'DATE', 'timestamp without time zone': 'TIMESTAMP', jsonb: 'VARCHAR', json: 'VARCHAR', boolean: 'BOOLEAN',
    interval: 'VARCHAR', uuid: 'UUID',
  };
  const s = m[typ];
  if (!s) throw new Error('no storage type for ' + typ);
  return s;
}

/** Copies a Postgres table into DuckDB in the table layer's storage types (values in setting-independent forms). */
async function loadMirror(table: string, duckTable: string): Promise<void> {
  const cols = await admin.simple(
    `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  );
  const sel: string[] = [];
  const conv: string[] = [];
  cols.forEach(([name, typ], i) => {
    const c = `"${name}"`;
    const st = stored(typ!);
    let s = `${c}::text`;
    let v = `CAST(c${i} AS ${st})`;
    if (typ!.endsWith('[]')) {
      s = `array_to_json(${c})::text`;
      v = `from_json(c${i}, '["${st.slice(0, -2)}"]')`;
    } else if (typ === 'double precision' || typ === 'real') s = `encode(float8send(${c}::float8), 'hex')`;
    else if (typ === 'timestamp with time zone' || typ === 'timestamp without time zone') {
      s = `(extract(epoch FROM ${c}) * 1000000)::int8::text`;
      v = `${typ.includes('with ') ? 'make_timestamptz' : 'make_timestamp'}(CAST(c${i} AS BIGINT))`;
    } else if (typ === 'date') {
      s = `(${c} - DATE '2000-01-01')::text`;
      v = `CAST(DATE '2000-01-01' + CAST(c${i} AS INTEGER) AS DATE)`;
    } else if (typ === 'character(4)') s = c; // keep the padding
    sel.push(s);
    conv.push(`${v} AS "${name}"`);
  });
  await admin.simple(`SET IntervalStyle = postgres`);
  const data = await admin.simple(`SELECT ${sel.join(', ')} FROM ${table}`);
  const c = await db.connect();
  try {
    await c.run(`CREATE OR REPLACE TABLE ${duckTable}_s (${cols.map((_, i) => `c${i} VARCHAR`).join(', ')})`);
    const app = await c.createAppender(`${duckTable}_s`);
    for (const row of data) {
      row.forEach((v, i) => {
        const typ = cols[i]![1]!;
        if (v === null) return app.appendNull();
        if (typ === 'double precision' || typ === 'real') {
          const x = Buffer.from(v, 'hex').readDoubleBE(0);
          return app.appendValue(Number.isNaN(x) ? 'nan' : !Number.isFinite(x) ? (x > 0 ? 'inf' : '-inf') : String(x), VARCHAR);
        }
        app.appendValue(v, VARCHAR);
      });
      app.endRow();
    }
    app.closeSync();
    await c.run(`CREATE OR REPLACE TABLE ${duckTable} AS SELECT ${conv.join(', ')} FROM ${duckTable}_s`);
    await c.run(`DROP TABLE ${duckTable}_s`);
  } finally {
    c.closeSync();
  }
}

before(async () => {
  if (process.env.ENGINE_TEST_PGPORT) port = Number(process.env.ENGINE_TEST_PGPORT);
  else {
    pg = await startPostgres();
    port = pg.port;
  }
  admin = await DirectChannel.connect({ port, user: 'postgres', database: 'postgres' });
  await admin.simple(engineCatalogSql());
  await admin.simple(SCHEMA);
  await admin.simple(rows());
  db = await DuckDBInstance.create(':memory:');
  await loadMirror('trades', 'lg_trades');
  await loadMirror('nums', 'lg_nums');
  router = await EngineRouter.create({
    duckdb: { instance: db, connect: () => db.connect() },
    mirrors: new StaticMirrorSource([
      { schema: 'public', name: 'trades_iceberg', relation: 'lg_trades' },
      { schema: 'public', name: 'nums_iceberg', relation: 'lg_nums' },
    ]),
  });
  ch = await DirectChannel.connect({ port, user: 'postgres', database: 'postgres', params: { extra_float_digits: '1' } });
  session = { id: 1, user: 'postgres', database: 'postgres', oracle: false, params: ch.status, txStatus: 'I', upstream: ch };
});

after(async () => {
  ch?.close();
  admin?.close();
  db?.closeSync();
  await pg?.destroy();
});

interface Result {
  fields: { name: string; typeOid: number; typeMod: number; typeSize: number; format: number }[];
  rows: (Buffer | null)[][];
  command: string;
}

function decodeDataRow(m: Buffer): (Buffer | null)[] {
  const n = m.readInt16BE(5);
  const out: (Buffer | null)[] = [];
  let p = 7;
  for (let k = 0; k < n; k++) {
    const len = m.readInt32BE(p);
    p += 4;
    if (len < 0) out.push(null);
    else {
      out.push(Buffer.from(m.subarray(p, p + len)));
      p += len;
    }
  }
  return out;
}

async function viaEngine(sql: string, params: (string | null)[] = [], formats: number[] = [], s: SessionInfo = session): Promise<Result> {
  const q: LocalQuery = await router.prepare(sql, [], s);
  const portal = await q.bind(params.map((p) => (p === null ? null : Buffer.from(p))), [], formats);
  const msgs: Buffer[] = [];
  const sink: ResultSink = { write: (m) => (msgs.push(m), true), drain: async () => {} };
  try {
    await portal.execute(0, sink);
  } finally {
    portal.close();
  }
  const fields = portal.fields()!.map((f) => ({ name: f.name, typeOid: f.typeOid, typeMod: f.typeMod ?? -1, typeSize: f.typeSize, format: f.format ?? 0 }));
  const rows = msgs.filter((m) => m[0] === 0x44).map(decodeDataRow);
  const cc = msgs.find((m) => m[0] === 0x43);
  return { fields, rows, command: cc ? cc.toString('utf8', 5, cc.length - 1) : '' };
}

function show(r: Result): string {
  return r.rows.map((row) => row.map((v) => (v === null ? 'NULL' : v.toString('utf8'))).join(' | ')).join('\n');
}

async function same(sql: string, o: { params?: (string | null)[]; formats?: number[]; unordered?: boolean } = {}): Promise<void> {
  const want = await ch.raw(sql, o.params ?? [], o.formats ?? []);
  const got = await viaEngine(sql, o.params ?? [], o.formats ?? []);
  assert.deepEqual(got.fields, want.fields, `RowDescription of: ${sql}`);
  if (o.unordered) {
    const key = (r: (Buffer | null)[]) => r.map((v) => (v === null ? '\u0000N' : v.toString('hex'))).join(',');
    want.rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    got.rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  assert.equal(show(got), show(want), `rows of: ${sql}`);
  assert.deepEqual(got.rows, want.rows, `row bytes of: ${sql}`);
  assert.equal(got.command, want.command, `command tag of: ${sql}`);
}

async function refused(sql: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(viaEngine(sql), (e: { code?: string; message: string }) => {
    assert.equal(e.code, '0A000', `${sql}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  }, `${sql} was answered`);
}

const QUERIES: (string | [string, { params?: (string | null)[]; formats?: number[]; unordered?: boolean }])[] = [
  // projections, NULLs, types
  'SELECT * FROM trades_iceberg ORDER BY id',
  'SELECT id, sym, side, qty, price, amount FROM trades_iceberg WHERE id <= 12 ORDER BY id',
  'SELECT id, fee, ratio, fee * 3, ratio * 2, fee / 7 FROM trades_iceberg ORDER BY id',
  'SELECT id, big, big * 2, big / 7, big % 1000, -big FROM trades_iceberg ORDER BY id',
  'SELECT id, qty, qty / 3, qty % 7, qty * qty, qty + 1 FROM trades_iceberg WHERE qty IS NOT NULL ORDER BY id',
  // int2 widened to int4 (comparisons, arithmetic with int4, casts) reads the stored INTEGER directly
  'SELECT id, qty FROM trades_iceberg WHERE qty BETWEEN -10 AND 10 OR qty IN (100, 149) OR qty = id ORDER BY id',
  'SELECT id, qty + id, qty::int4, qty::int8 + 1, qty * 2 FROM trades_iceberg WHERE qty <> 0 AND qty * 1000 > -20000 ORDER BY id',
  'SELECT a.id, b.id FROM trades_iceberg a JOIN trades_iceberg b ON a.qty = b.id WHERE a.qty > 0 ORDER BY 1, 2',
  'SELECT id, raw_num, dur, uid, js FROM trades_iceberg ORDER BY id',
  'SELECT id, tags, attrs FROM trades_iceberg ORDER BY id',
  // aggregates and numeric scale
  'SELECT count(*), count(sym), count(DISTINCT sym), sum(qty), sum(big), sum(price), sum(amount), sum(fee) FROM trades_iceberg',
  'SELECT avg(qty), avg(price), avg(amount), avg(big), avg(fee), avg(ratio) FROM trades_iceberg',
  // regex match operators: literal, bracket, group, alternation, bound and anchor patterns; char(n) keeps its padding
  "SELECT id, sym ~ '^A', sym !~ 'S', note ~ 'it''s$', sym ~ '' FROM trades_iceberg ORDER BY id",
  "SELECT id FROM trades_iceberg WHERE note ~ '^note (1|2)[0-9]?$' ORDER BY id",
  "SELECT id FROM trades_iceberg WHERE sym ~ '[A-M]{2,3}' AND sym !~ 'x|Z' ORDER BY id",
  "SELECT id, side ~ 'y $', side ~ 'y$', side ~ '^b..?$', side::char(6) ~ 'y  $', CAST(sym AS char(8)) ~ 'L   $' FROM trades_iceberg ORDER BY id",
  "SELECT id, sym ~ 'Ü', sym ~ '[^A-Z]', sym ~ 'n.c', sym ~ '(?:ïc)+o', sym ~ 'A{2}', sym ~ 'P{1,}L' FROM trades_iceberg ORDER BY id",
  "SELECT id, note ~ '[]x]', note ~ '[a-]', note ~ '\\.', note ~ '[-e]', note ~ 'e\\ 1', note ~ 'o*?t', note ~ 'a|', note ~ '(t|n)(o|e)+' FROM trades_iceberg ORDER BY id",
  "SELECT id, E'a\\nb' ~ 'a.b', E'a\\nb' ~ '^b', E'a\\nb' ~ 'a$', E'a\\nb' ~ '[^x]b', sym ~ '^.{3,4}$', sym ~ 'S{0}A' FROM trades_iceberg ORDER BY id",
  `SELECT count(*) FILTER (WHERE sym ~ 'A$'), count(*) FILTER (WHERE attrs::text ~ '"k": "v[12]"') FROM trades_iceberg`,
  // ~* and !~*: ASCII letters in both cases, in literals, brackets and ranges
  "SELECT id, sym ~* '^a', sym !~* 's', note ~* 'IT''S$', sym ~* '[a-c]', sym ~* '[^A-Z]', sym ~* '[Z-a]', sym ~* 'N.C' FROM trades_iceberg ORDER BY id",
  "SELECT id, sym ~* 'MsFt|tsl', side ~* 'Y $', sym !~* '[^b-z]', note ~* 'E\\ [2-3]' FROM trades_iceberg ORDER BY id",
  // ascii, translate, array_to_string over text and integer arrays (NULL elements skipped or replaced)
  "SELECT id, ascii(sym), ascii(''), ascii(note), translate(sym, 'AS', 'as'), translate(note, 'not', 'N'), translate(sym, 'ïÜ', 'iU'), translate(sym, 'AA', 'xy') FROM trades_iceberg ORDER BY id",
  "SELECT id, array_to_string(tags, ','), array_to_string(tags, ''), array_to_string(tags, NULL), array_to_string(ARRAY['a', NULL, sym], '-'), array_to_string(ARRAY['a', NULL, sym], '-', '*'), array_to_string(ARRAY[qty, NULL, id], ';', NULL) FROM trades_iceberg ORDER BY id",
  "SELECT array_to_string(array_agg(sym ORDER BY id), ', ') FROM trades_iceberg",
  // numeric % and mod(): the truncated division's remainder at the larger scale, integers and numerics mixed
  'SELECT id, amount % 7, price % 1, amount % qty, big::numeric % 7, price % 0.3, -amount % 2.5, amount % big, mod(amount, 7), mod(price, 0.25), mod(7, amount), mod(big, price) FROM trades_iceberg ORDER BY id',
  'SELECT g, sum(d) % 7, sum(e) % 1000, mod(sum(c), 13) FROM nums_iceberg GROUP BY g ORDER BY g',
  // reverse() by code point (a combining accent stays a character of its own)
  "SELECT id, reverse(sym), reverse(note), reverse(side), reverse(E'ae\\u0301x\\U0001F642'), reverse('') FROM trades_iceberg ORDER BY id",
  // width_bucket(): the float8 form for floats and integers (IEEE arithmetic, the quotient clamped below count),
  // the numeric form for numerics (exact, in DuckDB on scaled integers or in JS past HUGEINT's reach), both directions
  'SELECT width_bucket(price, 0, 500, 10) b, count(*) FROM trades_iceberg GROUP BY 1 ORDER BY 1',
  'SELECT id, width_bucket(price, 0, 500, 10), width_bucket(amount, 500, -300, 7), width_bucket(price, 0.5, 499.99, 3), width_bucket(qty, -50, 150, 9), width_bucket(fee, 0, 5, 4), width_bucket(ratio, 0.25, 1.5, 5), width_bucket(raw_num, -10, 40, 6), width_bucket(big, -2000000000000, 3000000000000, 11) FROM trades_iceberg ORDER BY id',
  'SELECT width_bucket(6.57::float8, 3.6, 6.9, 50), width_bucket(2.92::float8, 2.5, 3.9, 10), width_bucket(6.57, 3.6, 6.9, 50), width_bucket(price, NULL, 1, 3), width_bucket(fee, 0, 1, NULL::int) FROM trades_iceberg WHERE id = 1',
  'SELECT width_bucket(d, -1e7, 1e7, 100) b, count(*) FROM nums_iceberg GROUP BY 1 ORDER BY 1',
  'SELECT width_bucket(e, 0.000000001, 1e18, 1000) b, count(*) FROM nums_iceberg GROUP BY 1 ORDER BY 1',
  'SELECT id, width_bucket(c, -9e18, 9e18, 2147483646), width_bucket(f, 0.999999, 0.000001, 997), width_bucket(a, 0, 1, 5) FROM nums_iceberg ORDER BY id LIMIT 200',
  // date_bin(): whole strides down from the origin (before it too), timestamp or timestamptz as Postgres resolves
  // the arguments, strides of days and odd seconds, infinite sources passed through
  "SELECT date_bin('15 minutes', ts, TIMESTAMPTZ '2001-01-01') b, count(*) FROM trades_iceberg GROUP BY 1 ORDER BY 1",
  "SELECT id, date_bin('1 day 1 hour', ts, '2024-01-01'), date_bin('7 minutes 3.5 seconds', local_ts, '1999-12-31 23:00'), date_bin('2 days', trade_date, '2023-01-01'), date_bin('1 hour'::interval, ts, '2030-01-01 00:17:00+05'::timestamptz), date_bin(dur, local_ts, '2024-03-01') FROM trades_iceberg ORDER BY id",
  "SELECT date_bin('5 min', 'infinity'::timestamptz, ts), date_bin('5 min', '-infinity'::timestamp, local_ts), date_bin(NULL, ts, ts) FROM trades_iceberg ORDER BY id LIMIT 2",
  // window aggregates over the query's aggregates: shares of a total, per-partition totals of groups
  'SELECT sym, sum(amount) / sum(sum(amount)) OVER () FROM trades_iceberg GROUP BY sym ORDER BY 1',
  'SELECT sym, count(*) * 100.0 / sum(count(*)) OVER () AS pct FROM trades_iceberg GROUP BY sym ORDER BY 1',
  'SELECT sym, side, sum(qty), sum(sum(qty)) OVER (PARTITION BY sym), rank() OVER (PARTITION BY sym ORDER BY sum(qty) DESC) FROM trades_iceberg GROUP BY sym, side ORDER BY 1, 2',
  'SELECT sym, avg(avg(price)) OVER (), max(min(id)) OVER (ORDER BY sym ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM trades_iceberg GROUP BY sym ORDER BY 1',
  'SELECT sum(sum(qty)) OVER () FROM trades_iceberg',
  // floor/ceil of numeric division and avg() results: Grafana's time buckets; exact in DuckDB where the quotient's
  // rounding cannot reach the next integer, in JS elsewhere (a quotient rounded up to the integer: …0001)
  'SELECT floor(extract(epoch from ts)/60)*60 AS time, count(*) FROM trades_iceberg WHERE ts IS NOT NULL GROUP BY 1 ORDER BY 1',
  'SELECT floor(extract(epoch from ts)/86400)*86400 AS "time", avg(amount) FROM trades_iceberg GROUP BY 1 ORDER BY 1 NULLS FIRST',
  'SELECT id, floor(amount / 7), ceil(amount / 7), ceiling(price / 3), floor(-amount / 1), floor(big::numeric / 1000), ceil(big::numeric / 13) FROM trades_iceberg ORDER BY id',
  'SELECT g, floor(avg(a)), ceil(avg(c)), floor(sum(d) / 3), ceil(avg(e)) FROM nums_iceberg GROUP BY g ORDER BY g',
  'SELECT id, floor(e / 7), ceil(e / 3), floor(e * 1000000 / 7), floor(d / 1), floor(f / 7), floor(raw_num / 3) FROM nums_iceberg, (SELECT raw_num FROM trades_iceberg WHERE id = 2) r ORDER BY id LIMIT 300',
  'SELECT floor((e * 0 + 999999990000000099999998::numeric) / 99999999), floor((e * 0 + 12345599987654398::numeric) / 99999999) FROM nums_iceberg WHERE id = 1',
  // mode(): the most frequent value, ties to the first in sort order (ASC and DESC), NULLs skipped, FILTER
  'SELECT mode() WITHIN GROUP (ORDER BY qty), mode() WITHIN GROUP (ORDER BY qty DESC), mode() WITHIN GROUP (ORDER BY sym), mode() WITHIN GROUP (ORDER BY note) FROM trades_iceberg',
  'SELECT g, mode() WITHIN GROUP (ORDER BY a % 3), mode() WITHIN GROUP (ORDER BY c % 5 DESC), mode() WITHIN GROUP (ORDER BY f) FROM nums_iceberg GROUP BY g ORDER BY g',
  'SELECT sym, mode() WITHIN GROUP (ORDER BY trade_date), mode() WITHIN GROUP (ORDER BY ts DESC), mode() WITHIN GROUP (ORDER BY flag) FILTER (WHERE id > 5), mode() WITHIN GROUP (ORDER BY price) FROM trades_iceberg GROUP BY sym ORDER BY sym',
  'SELECT sym, mode() WITHIN GROUP (ORDER BY qty) + 1 FROM trades_iceberg GROUP BY sym ORDER BY mode() WITHIN GROUP (ORDER BY qty), 1',
  'SELECT mode() WITHIN GROUP (ORDER BY id) FROM trades_iceberg WHERE id < 0',
  // variance/stddev over integers and numerics: numeric_stddev_internal's scale, rounding and square root
  'SELECT variance(a), var_samp(b), var_pop(c), stddev(d), stddev_samp(e), stddev_pop(f) FROM nums_iceberg',
  'SELECT g, variance(a), var_samp(b), var_pop(c), stddev(d), stddev_samp(e), stddev_pop(f) FROM nums_iceberg GROUP BY g ORDER BY g',
  'SELECT g, stddev_pop(a), stddev_samp(b), stddev(c), var_pop(d), var_samp(e), variance(f) FROM nums_iceberg GROUP BY g ORDER BY g',
  'SELECT g, stddev_pop(a), stddev_samp(b), stddev(c) FROM nums_iceberg WHERE id < 0 OR id % 50 = 1 GROUP BY g ORDER BY g',
  // numerics past 18 digits (three-limb squares), and the variance used inside DuckDB (HAVING, ORDER BY)
  'SELECT g, stddev(e * 100), stddev_pop(e::numeric(38,0) * 1000000000000000000) FROM nums_iceberg GROUP BY g ORDER BY g',
  'SELECT g, var_samp(-e * 1000), stddev(d::numeric(30,3)) FROM nums_iceberg GROUP BY g HAVING var_samp(-e * 1000) > 0 ORDER BY 2, 1',
  'SELECT variance(qty), var_samp(price), var_pop(amount), stddev(big), stddev_samp(qty), stddev_pop(price) FROM trades_iceberg',
  'SELECT sym, stddev(amount), variance(big), var_pop(qty), stddev_samp(id) FROM trades_iceberg GROUP BY sym ORDER BY sym',
  'SELECT side, stddev_pop(id), var_samp(id) FILTER (WHERE id > 30) FROM trades_iceberg GROUP BY side ORDER BY side',
  'SELECT id, stddev(qty) OVER (PARTITION BY side ORDER BY id), var_pop(price) OVER (PARTITION BY side) FROM trades_iceberg ORDER BY id',
  'SELECT round(stddev(qty), 2), stddev(qty)::float8, stddev(qty) + 1, var_samp(5), stddev(qty * 0), var_pop(1) FROM trades_iceberg',
  'SELECT sym FROM trades_iceberg GROUP BY sym HAVING stddev(qty) > 10 ORDER BY sym',
  'SELECT sym, stddev(qty) FROM trades_iceberg GROUP BY sym ORDER BY 2 NULLS FIRST, 1',
  'SELECT min(price), max(price), min(ts), max(ts), min(trade_date), max(sym), min(note) FROM trades_iceberg',
  'SELECT sym, count(*), avg(price), round(avg(price), 2), sum(amount) FROM trades_iceberg GROUP BY sym ORDER BY sym',
  'SELECT sym, round(avg(qty), 3) AS a, round(sum(amount) / count(*), 4) AS per FROM trades_iceberg GROUP BY 1 ORDER BY 1 NULLS FIRST',
  'SELECT side, sum(amount) / sum(qty) AS r FROM trades_iceberg GROUP BY side ORDER BY side',
  'SELECT sym, avg(price) AS ap FROM trades_iceberg GROUP BY sym ORDER BY ap DESC NULLS LAST, sym',
  'SELECT sym, avg(amount) FROM trades_iceberg GROUP BY sym ORDER BY 2 LIMIT 3',
  'SELECT flag, count(*), bool_and(qty > 0), bool_or(qty > 100) FROM trades_iceberg GROUP BY flag ORDER BY flag',
  'SELECT sym, string_agg(note, \', \' ORDER BY id) FROM trades_iceberg GROUP BY sym ORDER BY sym',
  'SELECT sym, array_agg(id ORDER BY id DESC) FROM trades_iceberg GROUP BY sym ORDER BY sym',
  'SELECT sym, count(*) FILTER (WHERE flag), sum(qty) FILTER (WHERE side = \'buy\') FROM trades_iceberg GROUP BY sym ORDER BY sym',
  'SELECT sym, count(*) FROM trades_iceberg GROUP BY sym HAVING count(*) > 6 ORDER BY count(*) DESC, sym',
  'SELECT price * qty AS notional, price + amount, amount - price, round(price, 1), round(amount), trunc(price, 2) FROM trades_iceberg ORDER BY id',
  'SELECT id, price::numeric(10,1), amount::int, fee::numeric(8,3), qty::float8, big::numeric, ratio::float8 FROM trades_iceberg ORDER BY id',
  'SELECT id, 1.50 * qty, qty * 2.5 + 1, 10 / 4, 10 % 4, -7 / 2, -7 % 3 FROM trades_iceberg WHERE id < 5 ORDER BY id',
  'SELECT id, abs(amount), ceil(price), floor(amount), ceil(fee), floor(fee), round(fee), sqrt(abs(fee)) FROM trades_iceberg ORDER BY id',
  // numeric without declared scale: every value keeps its own scale
  'SELECT sum(raw_num), avg(raw_num), min(raw_num), max(raw_num), count(raw_num) FROM trades_iceberg',
  'SELECT side, sum(raw_num), avg(raw_num), max(raw_num) FROM trades_iceberg GROUP BY side ORDER BY side',
  // grouping by a numeric without a declared scale, where each value is written one way (as Postgres groups)
  'SELECT raw_num, count(*), sum(qty) FROM trades_iceberg GROUP BY raw_num ORDER BY raw_num',
  // arithmetic on them inside DuckDB (WHERE), NULLs included
  'SELECT id FROM trades_iceberg WHERE raw_num * 2 > 5 OR -raw_num > 3 OR raw_num + 1 IS NULL ORDER BY id',
  'SELECT side, raw_num, count(*) FROM trades_iceberg GROUP BY 2, side HAVING raw_num > 10 OR raw_num IS NULL ORDER BY 2 DESC, 1',
  'SELECT x, count(*), max(id) FROM (SELECT CASE WHEN raw_num > 0 THEN raw_num END AS x, id FROM trades_iceberg) s GROUP BY x ORDER BY x',
  'SELECT x, count(*) FROM (SELECT raw_num * 0 + 1 AS x FROM trades_iceberg WHERE raw_num::text NOT LIKE \'%.%\') s GROUP BY 1 ORDER BY 1',
  'SELECT id, raw_num, raw_num * 2, raw_num + price, raw_num - 1.5, -raw_num, raw_num / 3 FROM trades_iceberg ORDER BY id',
  'SELECT id, raw_num::int, raw_num::float8, raw_num::numeric(10,1), raw_num::text FROM trades_iceberg WHERE raw_num > 5 AND raw_num <= 30.1 ORDER BY trades_iceberg.raw_num DESC, id',
  'SELECT id, CASE WHEN raw_num > 0 THEN raw_num ELSE 0 END, coalesce(raw_num, amount) FROM trades_iceberg ORDER BY id',
  'SELECT id, round(raw_num, 1), round(fee::numeric, 2), fee::numeric, ratio::numeric, round(avg(fee) OVER (PARTITION BY side)::numeric, 3) FROM trades_iceberg ORDER BY id',
  "SELECT id, ts AT TIME ZONE 'America/New_York', local_ts AT TIME ZONE 'Asia/Tokyo', date(ts), trade_date AT TIME ZONE 'UTC' FROM trades_iceberg ORDER BY id",
  // avg()/numeric division where DuckDB uses the value: HAVING, WHERE, subqueries, ORDER BY, window ordering
  'SELECT sym, avg(qty) FROM trades_iceberg GROUP BY sym HAVING avg(qty) > 40 ORDER BY sym',
  'SELECT id, price FROM trades_iceberg WHERE price > (SELECT avg(price) FROM trades_iceberg) ORDER BY id',
  'WITH s AS (SELECT side, avg(amount) AS a, sum(amount) / count(*) AS r FROM trades_iceberg GROUP BY side) SELECT side, a, r, round(a, 2), a * 2, a = r FROM s WHERE a > 0 ORDER BY a DESC',
  'SELECT id, raw_num FROM trades_iceberg WHERE raw_num * 2 > 3 AND raw_num / 3 < 10 AND raw_num IN (5, 7.000, 8.1, -1) ORDER BY raw_num, id',
  'SELECT side, count(*) FROM trades_iceberg GROUP BY side ORDER BY avg(qty) DESC',
  'SELECT id, rank() OVER (ORDER BY price / qty DESC NULLS LAST, id) FROM trades_iceberg WHERE qty <> 0 ORDER BY id',
  'SELECT sym, avg(price) FILTER (WHERE qty > 0) IS DISTINCT FROM avg(price), nullif(avg(qty), 25) FROM trades_iceberg GROUP BY sym ORDER BY sym',
  // ORDER BY, LIMIT, DISTINCT
  'SELECT id, sym FROM trades_iceberg ORDER BY sym DESC, id LIMIT 10 OFFSET 5',
  'SELECT id, fee FROM trades_iceberg ORDER BY fee NULLS FIRST, id',
  'SELECT DISTINCT sym FROM trades_iceberg ORDER BY sym',
  'SELECT DISTINCT ON (sym) sym, id, price FROM trades_iceberg ORDER BY sym, price DESC NULLS LAST, id',
  ['SELECT DISTINCT side, flag FROM trades_iceberg', { unordered: true }],
  'SELECT id, note FROM trades_iceberg ORDER BY note, id',
  'SELECT side, percentile_cont(0.5) WITHIN GROUP (ORDER BY fee), percentile_cont(0.33) WITHIN GROUP (ORDER BY price), percentile_disc(0.9) WITHIN GROUP (ORDER BY ts), percentile_disc(0.25) WITHIN GROUP (ORDER BY amount) FROM trades_iceberg GROUP BY side ORDER BY side',
  // grouping sets
  'SELECT side, flag, count(*), sum(amount) FROM trades_iceberg GROUP BY ROLLUP (side, flag) ORDER BY side NULLS FIRST, flag NULLS FIRST, 3',
  'SELECT side, sym, count(*), grouping(side, sym) FROM trades_iceberg GROUP BY CUBE (side, sym) ORDER BY 4, 1, 2',
  'SELECT side, flag, count(*) FROM trades_iceberg GROUP BY GROUPING SETS ((side), (flag), ()) ORDER BY 1, 2, 3',
  'SELECT sym, coalesce(avg(qty), 0), coalesce(avg(price), -1.5) FROM trades_iceberg GROUP BY sym ORDER BY sym',
  // windows
  'SELECT id, sym, row_number() OVER (PARTITION BY sym ORDER BY id), rank() OVER (ORDER BY qty), dense_rank() OVER (ORDER BY side) FROM trades_iceberg ORDER BY id',
  'SELECT id, sum(amount) OVER (ORDER BY id), avg(price) OVER (PARTITION BY sym), count(*) OVER () FROM trades_iceberg ORDER BY id',
  'SELECT id, lag(price) OVER w, lead(price, 2, 0) OVER w, first_value(id) OVER w, last_value(id) OVER w FROM trades_iceberg WINDOW w AS (PARTITION BY side ORDER BY id) ORDER BY id',
  'SELECT id, sum(qty) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), max(fee) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 3 FOLLOWING) FROM trades_iceberg ORDER BY id',
  'SELECT id, ntile(4) OVER (ORDER BY id), percent_rank() OVER (ORDER BY id), cume_dist() OVER (ORDER BY id) FROM trades_iceberg ORDER BY id',
  // RANGE frames with offsets (integers, numerics, floats in double precision, dates and timestamps with
  // intervals; NULL keys are their own peers), GROUPS frames and EXCLUDE
  'SELECT id, qty, count(*) OVER (ORDER BY qty RANGE BETWEEN 20 PRECEDING AND 10 FOLLOWING), sum(id) OVER (ORDER BY qty DESC RANGE BETWEEN 5 PRECEDING AND CURRENT ROW) FROM trades_iceberg ORDER BY id',
  'SELECT id, count(*) OVER (ORDER BY qty NULLS FIRST RANGE BETWEEN CURRENT ROW AND 32767 FOLLOWING), count(*) OVER (ORDER BY big RANGE BETWEEN 9223372036854775807 PRECEDING AND 123456789012 FOLLOWING) FROM trades_iceberg ORDER BY id',
  'SELECT id, sum(amount) OVER (ORDER BY price RANGE BETWEEN 50.5 PRECEDING AND 10 FOLLOWING), min(id) OVER (PARTITION BY side ORDER BY amount DESC RANGE 100 PRECEDING) FROM trades_iceberg ORDER BY id',
  'SELECT id, count(*) OVER (ORDER BY fee RANGE BETWEEN 1.5 PRECEDING AND 0.25 FOLLOWING), count(*) OVER (ORDER BY ratio DESC RANGE BETWEEN 0.1 PRECEDING AND 0.3 FOLLOWING) FROM trades_iceberg ORDER BY id',
  "SELECT id, x, count(*) OVER (ORDER BY x RANGE BETWEEN 1 PRECEDING AND 2 FOLLOWING), count(*) OVER (ORDER BY x DESC RANGE BETWEEN CURRENT ROW AND '1e308' FOLLOWING) FROM (SELECT id, CASE id % 7 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity' WHEN 2 THEN '-Infinity' ELSE fee END AS x FROM trades_iceberg) s ORDER BY id",
  "SELECT id, count(*) OVER (ORDER BY trade_date RANGE BETWEEN '20 days' PRECEDING AND '1 mon' FOLLOWING), max(id) OVER (ORDER BY trade_date DESC RANGE BETWEEN interval '1 year' PRECEDING AND '-1 day 36 hours' FOLLOWING) FROM trades_iceberg ORDER BY id",
  "SELECT id, count(*) OVER (ORDER BY local_ts RANGE BETWEEN '1 day 2 hours' PRECEDING AND CURRENT ROW), count(*) OVER (ORDER BY ts RANGE BETWEEN '90 minutes' PRECEDING AND '36:00:00' FOLLOWING) FROM trades_iceberg ORDER BY id",
  ["SELECT id, count(*) OVER (ORDER BY qty RANGE BETWEEN $1 PRECEDING AND $2 FOLLOWING), count(*) OVER (ORDER BY local_ts RANGE $3::interval PRECEDING) FROM trades_iceberg ORDER BY id", { params: ['7', '3', '3 days'] }],
  'SELECT id, count(*) OVER (ORDER BY qty GROUPS BETWEEN 2 PRECEDING AND 1 FOLLOWING), sum(id) OVER (PARTITION BY side ORDER BY sym GROUPS CURRENT ROW) FROM trades_iceberg ORDER BY id',
  'SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING EXCLUDE CURRENT ROW), count(*) OVER (ORDER BY side ROWS UNBOUNDED PRECEDING EXCLUDE TIES), max(id) OVER (ORDER BY qty RANGE BETWEEN 10 PRECEDING AND 10 FOLLOWING EXCLUDE GROUP) FROM trades_iceberg ORDER BY id',
  'SELECT id, min(id) OVER (ORDER BY side GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING EXCLUDE CURRENT ROW), sum(qty) OVER (ORDER BY side GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE GROUP), count(*) OVER (ORDER BY id ROWS BETWEEN 1 + 1 PRECEDING AND CURRENT ROW EXCLUDE NO OTHERS) FROM trades_iceberg ORDER BY id',
  // DISTINCT ON keeps each group's first row by an ORDER BY over columns it does not show
  'SELECT DISTINCT ON (side) side, id, sym FROM trades_iceberg ORDER BY side, amount DESC, id',
  'SELECT DISTINCT ON (sym, flag) sym, flag, id FROM trades_iceberg ORDER BY sym, flag, ts DESC NULLS LAST, id',
  // comparisons with ANY/ALL (subquery): NULLs among the values, empty subqueries, NaN and infinities
  'SELECT id, qty > ALL (SELECT qty FROM trades_iceberg WHERE id < 6), qty <= ANY (SELECT qty FROM trades_iceberg WHERE id BETWEEN 9 AND 12), qty < ALL (SELECT qty FROM trades_iceberg WHERE false), qty < ANY (SELECT qty FROM trades_iceberg WHERE false) FROM trades_iceberg ORDER BY id',
  "SELECT id, x >= ALL (SELECT fee FROM trades_iceberg WHERE id < 9), x <> ANY (SELECT 'NaN'::float8), price > ANY (SELECT weight FROM accounts), trade_date < ALL (SELECT opened FROM accounts WHERE opened IS NOT NULL) FROM (SELECT id, price, trade_date, CASE id % 5 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN '-Infinity' ELSE fee END AS x FROM trades_iceberg) s ORDER BY id",
  "SELECT id FROM trades_iceberg WHERE note = ANY (SELECT note FROM trades_iceberg WHERE id < 10) AND sym <> ALL (SELECT sym FROM accounts WHERE region = 'eu') ORDER BY id",
  // make_date: negative years are BC (-1 is 1 BC), leap years counted on the proleptic calendar, the ends of the range
  'SELECT id, make_date(-id * 4 - 1, 2, 29), make_date(-id, id % 12 + 1, id % 28 + 1), make_date(2000 + id, 2, 28), make_date(5874897 + id - id, 12, 31), make_date(-4714 + id - id, 11, 24) FROM trades_iceberg WHERE id < 20 ORDER BY id',
  // years before 1 AD: extract() counts 1 BC as -1 (DuckDB as 0), to_char() prints the era's year
  "SELECT id, d, extract(year FROM d), extract(isoyear FROM d), date_part('year', t), date_part('isoyear', t), extract(year FROM z), to_char(d, 'YYYY Y,YYY YYY YY Y IYYY IYY IY'), to_char(t, 'FMYYYY-MM-DD FMIYYY'), to_char(z, 'YYYY-MM-DD') FROM (SELECT id, DATE '0001-01-01' - id * 97 AS d, local_ts - interval '2024 years' - id * interval '400 days' AS t, ts - interval '2030 years' AS z FROM trades_iceberg) s ORDER BY id",
  // num_nulls/num_nonnulls, ^@, cbrt
  "SELECT id, num_nulls(sym, qty, price, tags), num_nonnulls(sym, qty, fee, attrs, NULL), sym ^@ 'A', note ^@ 'note 1', cbrt(fee), cbrt(qty), cbrt(price), cbrt(-fee * 1e300::float8) FROM trades_iceberg ORDER BY id",
  // CTEs, subqueries, set operations
  'WITH s AS (SELECT sym, sum(amount) AS tot FROM trades_iceberg GROUP BY sym) SELECT sym, tot FROM s WHERE tot > 0 ORDER BY tot DESC, sym',
  'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5) SELECT i, (SELECT count(*) FROM trades_iceberg WHERE qty > i * 20) FROM n ORDER BY i',
  'SELECT id FROM trades_iceberg t WHERE EXISTS (SELECT 1 FROM trades_iceberg u WHERE u.sym = t.sym AND u.id > t.id + 30) ORDER BY id',
  'SELECT id, (SELECT max(price) FROM trades_iceberg u WHERE u.side = t.side) FROM trades_iceberg t ORDER BY id',
  'SELECT id FROM trades_iceberg WHERE sym IN (SELECT sym FROM trades_iceberg WHERE qty > 100) ORDER BY id',
  'SELECT sym FROM trades_iceberg WHERE id < 10 UNION SELECT sym FROM trades_iceberg WHERE id > 30 ORDER BY 1',
  'SELECT id FROM trades_iceberg WHERE id < 10 UNION ALL SELECT id FROM trades_iceberg WHERE id < 5 ORDER BY 1',
  ['SELECT side FROM trades_iceberg INTERSECT SELECT side FROM trades_iceberg WHERE flag', { unordered: true }],
  ['SELECT sym FROM trades_iceberg EXCEPT ALL SELECT sym FROM trades_iceberg WHERE id > 10', { unordered: true }],
  'SELECT s.sym, s.n FROM (SELECT sym, count(*) AS n FROM trades_iceberg GROUP BY sym) AS s(sym, n) ORDER BY s.n, s.sym',
  // joins with an ordinary table
  'SELECT t.id, t.sym, a.region FROM trades_iceberg t JOIN accounts a ON a.sym = t.sym WHERE t.id < 15 ORDER BY t.id',
  'SELECT a.region, count(t.id), sum(t.amount) FROM accounts a LEFT JOIN trades_iceberg t ON t.sym = a.sym GROUP BY a.region ORDER BY a.region',
  'SELECT t.id, a.id, a.weight * t.qty FROM trades_iceberg t JOIN accounts a USING (sym) WHERE a.region = \'eu\' ORDER BY 1, 2',
  'SELECT sym, t.id, region FROM trades_iceberg t FULL JOIN accounts USING (sym) WHERE t.id IS NULL OR t.id < 4 ORDER BY 1, 2',
  'SELECT t.id, a.opened FROM trades_iceberg t, accounts a WHERE t.sym = a.sym AND a.opened > \'2020-06-01\' ORDER BY 1',
  // dates and timestamps
  "SELECT id, ts FROM trades_iceberg WHERE ts >= '2024-06-01' AND ts < '2024-09-01' ORDER BY id",
  "SELECT id, trade_date FROM trades_iceberg WHERE trade_date BETWEEN DATE '2023-03-01' AND '2023-08-31' ORDER BY id",
  "SELECT date_trunc('month', ts) AS m, count(*) FROM trades_iceberg GROUP BY 1 ORDER BY 1",
  "SELECT id, date_trunc('day', local_ts), date_trunc('hour', ts), date_trunc('week', trade_date) FROM trades_iceberg ORDER BY id",
  'SELECT id, extract(year FROM ts), extract(month FROM trade_date), extract(dow FROM ts), extract(epoch FROM ts), extract(second FROM ts), date_part(\'hour\', ts) FROM trades_iceberg ORDER BY id',
  'SELECT id, trade_date + 30, trade_date - 1, trade_date - DATE \'2023-01-01\', local_ts + interval \'1 day 2 hours\', ts - interval \'90 minutes\' FROM trades_iceberg ORDER BY id',
  'SELECT id, ts::date, ts::timestamp, trade_date::timestamptz, local_ts::timestamptz FROM trades_iceberg ORDER BY id',
  "SELECT id, local_ts - timestamp '2024-03-01', ts - timestamptz '2024-01-01 00:00+00' FROM trades_iceberg ORDER BY id",
  "SELECT id, to_char(ts, 'YYYY-MM-DD HH24:MI:SS.US'), to_char(trade_date, 'Mon DD, YYYY'), to_char(local_ts, 'FMMonth FMDDth \"of\" YYYY, Day HH12:MI am'), to_char(ts, 'IYYY-\"W\"IW-ID DDD WW Q CC J'), to_char(local_ts, 'DY dy MON mon MONTH Y,YYY FF3 SSSS') FROM trades_iceberg ORDER BY id",
  "SELECT to_char(date_trunc('month', ts), 'YYYY-MM') AS m, count(*) FROM trades_iceberg GROUP BY 1 ORDER BY 1",
  // text
  "SELECT id, sym || '-' || side, upper(sym), lower(note), length(note), substr(sym, 2, 2), left(sym, 2), right(note, 3) FROM trades_iceberg ORDER BY id",
  "SELECT id, concat(sym, qty, flag), concat_ws('/', sym, note, id), replace(note, 'note', 'N'), position('o' IN note), split_part(note, ' ', 2) FROM trades_iceberg ORDER BY id",
  "SELECT id, note LIKE 'note 1%', sym ILIKE 'a%', trim(side), side = 'buy', coalesce(note, sym, 'none') FROM trades_iceberg ORDER BY id",
  // constant patterns without a backslash are emitted without ESCAPE; with one, the default escape applies
  "SELECT id, note LIKE '%e 1_%', note NOT LIKE '%te%', sym LIKE '%A%', note LIKE 'note\\_1%', note LIKE '%\\%%' FROM trades_iceberg ORDER BY id",
  "SELECT id, lpad(sym, 6, '*'), rpad(sym, 3), md5(sym), repeat(side, 2), starts_with(sym, 'M') FROM trades_iceberg ORDER BY id",
  // char(n), NULL-aware IN, short-circuit CASE, casts of computed values
  "SELECT id, side, length(side), side || '|', upper(side), side = 'buy ', side IN ('b', 'sell') FROM trades_iceberg ORDER BY id",
  "SELECT id, sym IN ('AAPL', NULL), sym NOT IN ('AAPL', NULL), CASE WHEN qty = 0 THEN 0 ELSE 100 / qty END FROM trades_iceberg ORDER BY id",
  'SELECT id, extract(epoch FROM ts)::bigint, (sum(qty) OVER (ORDER BY id))::float8 / count(*) OVER (ORDER BY id), trade_date::text, ts::date - trade_date FROM trades_iceberg ORDER BY id',
  "SELECT max(attrs ->> 'k'), min(sym || note), count(DISTINCT side), date_trunc('quarter', min(trade_date)) FROM trades_iceberg",
  // CASE, COALESCE, NULLIF, GREATEST
  "SELECT id, CASE WHEN qty > 50 THEN 'big' WHEN qty > 0 THEN 'small' ELSE 'neg' END, CASE side WHEN 'buy' THEN 1 ELSE -1 END FROM trades_iceberg ORDER BY id",
  'SELECT id, CASE WHEN qty > 0 THEN price ELSE 0 END, coalesce(price, 0), nullif(qty, 0), greatest(qty, 10, id), least(fee, 1.5) FROM trades_iceberg ORDER BY id',
  // NULLIF's type is the left input of the = Postgres picks: int vs numeric compares (and answers) as numeric,
  // int/numeric vs float8 as float8; cross-type operators (int2 = int8, float4 = float8, date = timestamp) keep
  // the first argument's type
  'SELECT id, nullif(qty, 1.5), nullif(id, price), nullif(qty, fee), nullif(price, fee), nullif(big, 5.0), nullif(qty, big), nullif(trade_date, local_ts), nullif(ratio, fee), nullif(amount, price) FROM trades_iceberg ORDER BY id',
  // GREATEST/LEAST over numerics of different scales: the winner keeps its own scale, the first of equal values
  // wins (price vs round(price, 2) tie whenever price has two decimals), NULLs are skipped
  'SELECT id, greatest(price, amount), least(price, amount), greatest(price, round(price, 2)), greatest(round(price, 2), price), least(round(price, 1), price, NULL) FROM trades_iceberg ORDER BY id',
  'SELECT id, greatest(qty, price, NULL, amount), least(1.5, price, amount, 2.25), greatest(NULL, amount, price), least(amount, id) FROM trades_iceberg ORDER BY id',
  'SELECT id, greatest(price, amount) AS g FROM trades_iceberg ORDER BY g NULLS FIRST, id',
  'SELECT sym, max(greatest(price, amount)), min(least(price, amount)) FROM trades_iceberg GROUP BY sym ORDER BY sym',
  'SELECT id, flag IS TRUE, flag IS NOT FALSE, flag IS UNKNOWN, qty IS DISTINCT FROM 10, NOT flag FROM trades_iceberg ORDER BY id',
  // jsonb and arrays
  "SELECT id, attrs -> 'n', attrs ->> 'k', attrs -> 'arr' -> 1, attrs #> '{nested,d}', attrs #>> '{arr,0}', jsonb_typeof(attrs -> 'nested') FROM trades_iceberg ORDER BY id",
  "SELECT attrs ->> 'k' AS k, count(*), sum((attrs ->> 'n')::numeric(6,2)) FROM trades_iceberg WHERE attrs IS NOT NULL GROUP BY 1 ORDER BY 1",
  "SELECT id, js -> 'a', js ->> 'b', jsonb_array_length(attrs -> 'arr') FROM trades_iceberg ORDER BY id",
  // intervals compare, sort and take extremes by total span (a month is 30 days), not months first: even ids get
  // '-1 mon +N days', odd ones 'N-29 days' (no two rows have equal spans)
  "SELECT id, x FROM (SELECT id, CASE WHEN id % 2 = 0 THEN dur - interval '1 mon' ELSE dur - interval '29 days' END AS x FROM trades_iceberg) s ORDER BY x, id",
  "SELECT min(x), max(x), count(*) FILTER (WHERE x < interval '-28 days'), greatest(min(x), interval '-28 days 12:00'), least(max(x), interval '-1 mon +30 days') FROM (SELECT CASE WHEN id % 2 = 0 THEN dur - interval '1 mon' ELSE dur - interval '29 days' END AS x FROM trades_iceberg) s",
  "SELECT id, rank() OVER (ORDER BY x), max(x) OVER (PARTITION BY side ORDER BY id), x = interval '-28 days -10:00' FROM (SELECT id, side, CASE WHEN id % 2 = 0 THEN dur - interval '1 mon' ELSE dur - interval '29 days' END AS x FROM trades_iceberg) s ORDER BY id",
  "SELECT x, count(*) FROM (SELECT CASE WHEN id % 2 = 0 THEN dur - interval '1 mon' ELSE dur - interval '29 days' END AS x FROM trades_iceberg) s GROUP BY x ORDER BY 1 DESC",
  "SELECT DISTINCT ON (x) x, id FROM (SELECT id, CASE WHEN id % 3 = 0 THEN interval '1 mon' ELSE interval '30 days' END AS x FROM trades_iceberg) s ORDER BY x, id",
  // float sums and averages with infinite inputs (no overflow: Postgres gives ±Infinity or NaN)
  "SELECT side, sum(CASE WHEN id % 7 = 0 THEN 'Infinity'::float8 ELSE fee END), avg(CASE WHEN id = 5 THEN '-Infinity'::float8 ELSE fee END), avg(CASE WHEN id % 5 = 0 THEN 'NaN'::float4 ELSE ratio END) FROM trades_iceberg GROUP BY side ORDER BY side",
  // a float ORDER BY column keeps its -0 (DuckDB's sort rebuilds sorted outputs from keys, where -0 is 0)
  "SELECT id, x, y FROM (SELECT id, CASE WHEN id % 3 = 0 THEN fee * '-0'::float8 ELSE fee END AS x, ratio * CASE WHEN id % 2 = 0 THEN -1 ELSE 1 END AS y FROM trades_iceberg) s ORDER BY y, x, id",
  "SELECT y, id FROM (SELECT id, ratio * CASE WHEN id % 2 = 0 THEN -1 ELSE 1 END AS y FROM trades_iceberg) s ORDER BY 1 DESC, 2 LIMIT 12",
  // integer bitwise operators: per type, no overflow checks, shift counts reduced to the width, int2 shifted as int
  "SELECT id, qty & 7, id | qty, qty # id, ~qty, ~big, id << 30, id << 33, qty << 17, big << 40, big >> 70, -id >> 3, qty >> 20, 6 & 3, big & id FROM trades_iceberg ORDER BY id",
  "SELECT side, bit_and(qty), bit_or(id), bit_xor(big), bit_or(DISTINCT qty) FILTER (WHERE id > 5), min(side), max(side) FROM trades_iceberg GROUP BY side ORDER BY side",
  "SELECT id, div(big, qty), div(id, -3), div(qty, 7::int2), to_hex(id - 20), to_hex(big), chr(id * 97 + 60), chr(id + 8360) FROM trades_iceberg ORDER BY id",
  // rounding to a negative scale (tens, hundreds…): no fraction digits shown
  "SELECT id, round(price, -2), trunc(amount, -1), round(raw_num, -1), trunc(raw_num, -2), round(id * 55, -2), round((id * 2400 + 999.9)::numeric(6,1), -5), trunc(-amount, -2) FROM trades_iceberg ORDER BY id",
  // timestamp(p): microseconds since 2000-01-01 rounded half away from zero (before 2000, .5 s rounds down)
  "SELECT id, local_ts::timestamp(0), ts::timestamptz(2), (local_ts - interval '30 years 0.5 seconds')::timestamp(0), (local_ts + interval '0.5 seconds')::timestamp(0), trade_date::timestamp(0), ts::timestamp(3), ts::timestamptz(9) FROM trades_iceberg ORDER BY id",
  // float8 math functions (the same libm results as Postgres; its range checks)
  "SELECT id, sin(fee), cos(qty), tan(id / 7.0), cot(qty - qty), asin(qty / 200.0), acos(-qty / 150.0), atan(fee), atan2(qty, id), radians(qty), degrees(fee), pi() * id, ln(id), log(fee), exp(qty / 10.0::float8), log10(id * 3) FROM trades_iceberg ORDER BY id",
  "SELECT id, sin(CASE WHEN id = 3 THEN 'NaN'::float8 ELSE fee END), exp(CASE WHEN id = 4 THEN '-Infinity'::float8 WHEN id = 5 THEN 'Infinity'::float8 ELSE fee END), ln(CASE WHEN id = 6 THEN 'Infinity'::float8 ELSE id END) FROM trades_iceberg ORDER BY id",
  // time ± interval wraps around midnight and ignores months and days; time - time
  "SELECT id, local_ts::time + interval '1 hour', local_ts::time - interval '25 hours 0.5 sec', interval '1 mon 3 days 23:59:59.999999' + ts::time, local_ts::time - '12:00'::time, local_ts::time - ts::time FROM trades_iceberg ORDER BY id",
  "SELECT id, fee::float4, (fee * '1e-40'::float8)::float4, raw_num::float4, raw_num::float8, (-raw_num)::real FROM trades_iceberg ORDER BY id",
  // generate_series over dates and timestamptz (the timestamptz series; its day steps on the UTC calendar here)
  "SELECT g, count(t.id) FROM generate_series('2023-01-01'::date, '2023-12-31'::date, interval '1 month 3 days') g LEFT JOIN trades_iceberg t ON t.trade_date >= g::date AND t.trade_date < g::date + 34 GROUP BY g ORDER BY g",
  "SELECT id, generate_series(ts, ts + interval '2 days', interval '17 hours') FROM trades_iceberg WHERE id < 6 ORDER BY 1, 2",
  "SELECT t.id, g FROM trades_iceberg t, generate_series(t.local_ts, t.trade_date, interval '-10 days') g WHERE t.id < 4 ORDER BY 1, 2",
  "SELECT id, gcd(id, 12), lcm(qty, 4), gcd(big, id), lcm(id, qty), scale(raw_num), scale(price), scale(raw_num * 2), scale(amount * price), lcm(big, 3) FROM trades_iceberg ORDER BY id",
  // a NULL delimiter adds nothing
  "SELECT side, string_agg(sym, NULL ORDER BY id), string_agg(sym, '' ORDER BY id DESC) FROM trades_iceberg GROUP BY side ORDER BY side",
  // real against an integer or numeric compares in double precision (float48eq), except an IN list of two or more
  // constants, which takes the common type real
  "SELECT id, ratio = 0.25, ratio = 1.75, (ratio * 0.1::real) = 0.1, (ratio * 0.1::real) IN (0.1, 2), (ratio * 0.1::real) IN (0.1), ratio IS DISTINCT FROM 0.5, NULLIF(ratio * 0.1::real, 0.1), CASE ratio * 0.1::real WHEN 0.1 THEN 'eq' ELSE 'ne' END, (ratio * 0.1::real) < 0.1, ratio = qty, (ratio * 0.1::real) NOT IN (0.1, qty) FROM trades_iceberg ORDER BY id",
  "SELECT id, sign(qty), sign(big), sign(id - id), sign(CASE WHEN id = 3 THEN 'NaN'::float8 ELSE fee END), sign(-ratio) FROM trades_iceberg ORDER BY id",
  // make_interval() by position and by name
  "SELECT id, make_interval(days => qty), make_interval(0, qty, 1, 2, 3, 4, fee), make_interval(hours => id, secs => ratio), trade_date + make_interval(weeks => 2), make_interval(), make_interval(years => CASE WHEN id = 2 THEN 1000000000 ELSE 1 END, secs => CASE WHEN id = 2 THEN NULL ELSE 1.5 END) FROM trades_iceberg ORDER BY id",
  // numeric NaN / 0 is NaN
  "SELECT id, (CASE WHEN id = 3 THEN 'NaN'::float8 ELSE fee END)::numeric / (id - id), (CASE WHEN id = 3 THEN 'NaN'::float8 ELSE fee END)::numeric / (qty - qty) FROM trades_iceberg WHERE id = 3",
  // float NaN and ±Infinity become numeric's own; numeric(p,s) casts of values that fit
  "SELECT id, (CASE WHEN id % 4 = 0 THEN 'NaN'::float8 WHEN id % 4 = 1 THEN '-Infinity'::float8 ELSE fee END)::numeric, raw_num::numeric(12,1), fee::numeric(10,3) FROM trades_iceberg ORDER BY id",
  // dates: BC years as text, ± integer keeping infinity, and ages past JS Date's last year (275760)
  "SELECT id, (trade_date - 800000)::text, (local_ts - interval '2100 years')::text, (CASE WHEN id = 2 THEN 'infinity'::date ELSE trade_date END + 1)::text FROM trades_iceberg ORDER BY id",
  "SELECT id, age('290000-06-01 12:00'::timestamp, local_ts), age(local_ts, '280000-01-31'::timestamp) FROM trades_iceberg ORDER BY id",
  // a jsonb scalar is a one-element array to `->`/`->>` with an index (not to `#>`), a json scalar is not
  "SELECT id, attrs -> 'n' -> 0, attrs -> 'k' ->> -1, attrs -> 'n' -> 1, attrs -> 'arr' -> 0 -> 0, attrs -> 'n' #> '{0}', js -> 'b' -> 0 FROM trades_iceberg ORDER BY id",
  "SELECT id, tags[1], cardinality(tags), array_length(tags, 1), 'x1' = ANY(tags) FROM trades_iceberg ORDER BY id",
  "SELECT id FROM trades_iceberg WHERE id = ANY('{3,5,7}') ORDER BY id",
  "SELECT id, attrs ? 'k', attrs ?| array['x', 'n'], attrs ?& array['k', 'arr'], attrs @> '{\"k\": \"v1\"}', attrs @> '{\"arr\": [3]}', '{\"n\": 2.5}' <@ attrs FROM trades_iceberg ORDER BY id",
  "SELECT id, tags @> '{x1}', tags && array['t2', 'zz'], array['t0'] <@ tags FROM trades_iceberg ORDER BY id",
  // set-returning functions: lateral in FROM, in lockstep in the select list
  ["SELECT t.id, e.value, e2.value, k FROM trades_iceberg t, jsonb_array_elements(t.attrs -> 'arr') e, jsonb_array_elements_text(t.attrs -> 'arr') AS e2, jsonb_object_keys(t.attrs) k WHERE t.id < 6", { unordered: true }],
  ["SELECT t.id, x.key, x.value, y.* FROM trades_iceberg t, jsonb_each(t.attrs) x, json_each_text(t.js) AS y(k, v) WHERE t.id < 5", { unordered: true }],
  ["SELECT id, unnest(tags), generate_series(1, 3), jsonb_array_elements(attrs -> 'arr'), jsonb_object_keys(attrs) FROM trades_iceberg WHERE id < 7", { unordered: true }],
  ["SELECT t.id, tag FROM trades_iceberg t, unnest(t.tags) tag WHERE t.id < 12", { unordered: true }],
  // DISTINCT aggregates list their values in sorted order, as Postgres' sort-based DISTINCT does
  'SELECT side, array_agg(DISTINCT sym), string_agg(DISTINCT sym, \',\'), string_agg(DISTINCT note, \'; \') FROM trades_iceberg GROUP BY side ORDER BY side',
  'SELECT flag, array_agg(DISTINCT qty), array_agg(DISTINCT trade_date), array_agg(DISTINCT fee), array_agg(DISTINCT ts) FROM trades_iceberg GROUP BY flag ORDER BY flag',
  'SELECT array_agg(DISTINCT side), array_agg(DISTINCT uid) FILTER (WHERE id < 5), count(DISTINCT qty) FROM trades_iceberg',
  // float8 ^ and power() (ints and floats take the float8 form), with NaN and infinities as dpow() treats them
  'SELECT id, qty ^ 2, power(qty, 3), pow(fee, 0.5::float8), fee ^ ratio, 2 ^ 10, ratio ^ 2, power(id, -2), power(big, 2), power(price, fee) FROM trades_iceberg ORDER BY id',
  "SELECT id, 'NaN'::float8 ^ 0, 'NaN'::float8 ^ 2, 1 ^ 'NaN'::float8, 2 ^ 'NaN'::float8, 'Infinity'::float8 ^ 2, '-Infinity'::float8 ^ 3, '-Infinity'::float8 ^ -3, '-Infinity'::float8 ^ 2, 0.5::float8 ^ 'Infinity'::float8, 2::float8 ^ '-Infinity'::float8, (-1)::float8 ^ 'Infinity'::float8, 'Infinity'::float8 ^ 0, 2::float8 ^ -1074 FROM trades_iceberg WHERE id = 1",
  // float arithmetic near the ends of the range, float literals beyond 38 digits, NaN / 0
  "SELECT id, fee * 1e-300::float8, 1e300::float8 / fee, fee * ratio, fee - ratio, ratio / 3, fee * -0.0::float8, 1e-320::float8 * 0.5::float8, 3e38::float4 + ratio FROM trades_iceberg ORDER BY id",
  "SELECT id, 'NaN'::float8 / (fee - fee), fee / 'Infinity'::float8, 'Infinity'::float8 * 0 FROM trades_iceberg WHERE fee IS NOT NULL ORDER BY id",
  // to_timestamp(epoch seconds): rint of the microseconds, infinities, BC and far-future years
  'SELECT id, to_timestamp(extract(epoch FROM ts)), to_timestamp(id * 1000000.5), to_timestamp(fee * 1e9), to_timestamp(big / 1000), to_timestamp(qty) FROM trades_iceberg ORDER BY id',
  "SELECT id, to_timestamp('Infinity'::float8), to_timestamp('-Infinity'::float8), to_timestamp(-62135596800 - id * 86400 * 400), to_timestamp(253402300800 + id) FROM trades_iceberg WHERE id < 4 ORDER BY id",
  'SELECT id, to_timestamp(0.0000005), to_timestamp(0.0000015), to_timestamp(1.0000005), to_timestamp(-0.0000005) FROM trades_iceberg WHERE id = 1',
  "SELECT date_trunc('day', to_timestamp(big / 100000)), count(*) FROM trades_iceberg GROUP BY 1 ORDER BY 1",
  // round(float8) is rint() (half to even) at any magnitude, keeping the sign of zero
  "SELECT id, round(fee * -1e14 - 0.5), round(-0.4::float8 * id), round(id + 0.5::float8), round(big::float8 / 3), round(1e300::float8 * id), round('NaN'::float8), trunc(-0.4::float8 * id) FROM trades_iceberg WHERE id < 8 ORDER BY id",
  'SELECT id, round(-946684800000000.5::float8), round(4503599627370495.5::float8), round(-4503599627370495.5::float8) FROM trades_iceberg WHERE id = 1',
  // BI tools' spelling: every column as "schema"."table"."column", typed timestamp literals, CAST chains
  `SELECT "public"."trades_iceberg"."id" AS "id", "public"."trades_iceberg"."sym" AS "sym" FROM "public"."trades_iceberg" ORDER BY "public"."trades_iceberg"."id" ASC LIMIT 2000`,
  `SELECT CAST(date_trunc('week', CAST(("public"."trades_iceberg"."ts" + INTERVAL '1 day') AS timestamp)) AS timestamp) + INTERVAL '-1 day' AS "ts", count(*) AS "count" FROM "public"."trades_iceberg" GROUP BY 1 ORDER BY 1 ASC`,
  `SELECT CAST(extract(dow from "public"."trades_iceberg"."ts") AS integer) + 1 AS "ts", count(distinct "public"."trades_iceberg"."sym") AS "count" FROM "public"."trades_iceberg" GROUP BY 1 ORDER BY 1 ASC`,
  `SELECT count(*) AS "count" FROM "public"."trades_iceberg" WHERE ("public"."trades_iceberg"."ts" >= timestamp with time zone '2024-03-01 00:00:00.000Z' AND "public"."trades_iceberg"."ts" < timestamp with time zone '2024-09-01 00:00:00.000Z')`,
  `SELECT "public"."trades_iceberg"."sym", "public"."accounts"."region" FROM "public"."trades_iceberg" LEFT JOIN "public"."accounts" ON "public"."trades_iceberg"."sym" = "public"."accounts"."sym" WHERE "public"."trades_iceberg"."id" < 10 ORDER BY "public"."trades_iceberg"."id"`,
  // extract()/date_part() of intervals (durations): numeric fields, epoch with 365.25-day years, float8 date_part
  'SELECT id, extract(epoch FROM dur), extract(hour FROM dur), extract(day FROM dur), extract(minute FROM dur), extract(second FROM dur), extract(milliseconds FROM dur), extract(microseconds FROM dur), extract(epoch FROM -dur), extract(hour FROM -dur) FROM trades_iceberg ORDER BY id',
  // date_part() of seconds/milliseconds is float8 arithmetic rounded twice (1.003691 s → 1.0036909999999999): a
  // sweep over 5003 instants with varied microseconds hits ~80 of the values where that differs
  "SELECT sum(CASE WHEN date_part('second', timestamp '2000-01-01' + id * interval '1.000997 s') = extract(second FROM timestamp '2000-01-01' + id * interval '1.000997 s')::float8 THEN 0 ELSE 1 END) FROM nums_iceberg",
  "SELECT id, date_part('second', timestamp '2000-01-01' + id * interval '1.000997 s'), date_part('milliseconds', timestamptz '2000-01-01 00:00+00' + id * interval '3.016036 s') FROM nums_iceberg WHERE id BETWEEN 1 AND 400 ORDER BY id",
  // ±infinity: year, isoyear and epoch are ±Infinity in date_part(), every other field NULL
  "SELECT id, date_part('epoch', CASE WHEN id % 2 = 0 THEN 'infinity'::timestamptz ELSE '-infinity'::timestamptz END), date_part('year', CASE WHEN id % 3 = 0 THEN '-infinity'::timestamp ELSE local_ts END), date_part('second', CASE WHEN id % 2 = 0 THEN 'infinity'::timestamptz ELSE ts END), date_part('month', CASE WHEN id > 3 THEN 'infinity'::date ELSE trade_date END), date_part('isoyear', CASE WHEN id > 3 THEN '-infinity'::date ELSE trade_date END), date_part('epoch', CASE WHEN id > 3 THEN 'infinity'::date ELSE trade_date END), extract(hour FROM CASE WHEN id % 2 = 0 THEN 'infinity'::timestamp ELSE local_ts END), extract(dow FROM CASE WHEN id % 2 = 0 THEN '-infinity'::timestamptz ELSE ts END) FROM trades_iceberg ORDER BY id",
  // epoch of instants more than 2^53 µs from 1970: Postgres rounds the microseconds to float8 first
  "SELECT id, date_part('epoch', timestamp '1000-01-01' + id * interval '1.000001 s'), date_part('epoch', timestamptz '2600-01-01 00:00+00' - id * interval '3.000003 s') FROM nums_iceberg WHERE id BETWEEN 1 AND 300 ORDER BY id",
  "SELECT id, date_part('second', date_trunc('minute', local_ts) + interval '1.003691 s'), date_part('milliseconds', date_trunc('minute', ts) + interval '1.016036 s') FROM trades_iceberg ORDER BY id",
  // extract()/date_part() of time: hour, minute, second, milliseconds, microseconds, epoch
  'SELECT id, extract(hour FROM local_ts::time), extract(minute FROM ts::time), extract(second FROM local_ts::time), extract(milliseconds FROM ts::time), extract(microseconds FROM local_ts::time), extract(epoch FROM ts::time) FROM trades_iceberg ORDER BY id',
  "SELECT id, date_part('hour', ts::time), date_part('minute', local_ts::time), date_part('second', (local_ts + interval '1.003691 s')::time), date_part('milliseconds', (ts + interval '1.016036 s')::time), date_part('microseconds', ts::time), date_part('epoch', (ts + interval '0.003691 s')::time) FROM trades_iceberg ORDER BY id",
  "SELECT id, extract(epoch FROM time '23:59:59.999999'), date_part('second', time '10:11:12.345678'), extract(hour FROM (timestamp '2000-01-01' + id * interval '37 minutes 1.000997 s')::time) FROM nums_iceberg WHERE id BETWEEN 1 AND 60 ORDER BY id",
  "SELECT id, date_part('epoch', dur), date_part('hour', dur), date_part('second', dur), date_part('milliseconds', dur), date_part('microseconds', dur), date_part('day', dur) FROM trades_iceberg ORDER BY id",
  "SELECT id, extract(epoch FROM ts - local_ts::timestamptz), extract(epoch FROM local_ts - timestamp '2024-01-01 00:00:00.5'), date_part('epoch', ts - timestamptz '2020-02-29 12:00+00') FROM trades_iceberg ORDER BY id",
  "SELECT id, extract(epoch FROM dur + interval '1 year 5 months 3 days 1.25 seconds'), extract(year FROM dur + interval '27 months'), extract(month FROM dur - interval '27 months'), extract(decade FROM interval '127 months' * 10), extract(century FROM -interval '2500 years'), extract(millennium FROM interval '3500 years') FROM trades_iceberg WHERE id < 6 ORDER BY id",
  "SELECT id, date_part('epoch', dur + interval '1 year 5 months 3 days 1.25 seconds'), date_part('epoch', -dur - interval '7 months 0.000001 seconds'), date_part('second', interval '-61.75 seconds' + dur) FROM trades_iceberg WHERE id < 9 ORDER BY id",
  "SELECT side, avg(extract(epoch FROM ts - local_ts::timestamptz)), sum(extract(epoch FROM dur)), max(date_part('hour', dur)) FROM trades_iceberg GROUP BY side ORDER BY side",
  "SELECT id, sym || NULL, NULL || sym, 'a' || NULL::text, 'a' || 1 || 2.5 || true, id || sym FROM trades_iceberg ORDER BY id",
  // interval × and ÷ a fractional factor (interval_mul/interval_div cascade months and days down), sum/avg of intervals
  'SELECT id, dur * 1.5, dur * 0.3333, 2.5 * dur, dur * fee, dur * ratio, dur / 3, dur / 7.5, dur / fee, dur * -0.7 FROM trades_iceberg ORDER BY id',
  "SELECT id, interval '14 months 1 day' / id, interval '1 year -1 day 59 seconds' * 0.125, interval '29 days 23:59:59.999999' * 1.5, interval '1 month 3 days 4 hours' * ratio FROM trades_iceberg ORDER BY id",
  'SELECT side, sum(dur), avg(dur), avg(ts - local_ts::timestamptz), avg(dur * 1.3), sum(dur) / count(*) FROM trades_iceberg GROUP BY side ORDER BY side',
  "SELECT sum(dur), avg(dur), avg(dur) FILTER (WHERE false), sum(dur) FILTER (WHERE false), avg(interval '1 month' * id) FROM trades_iceberg",
  'SELECT id, avg(dur) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), sum(dur) OVER (PARTITION BY side ORDER BY id) FROM trades_iceberg ORDER BY id',
  // justify_hours/days/interval, mixed signs included
  "SELECT id, justify_hours(dur * 20), justify_days(dur * 20), justify_interval(dur * 20), justify_hours(-dur * 7), justify_days(dur * -13), justify_interval(dur * 7 - interval '3 days'), justify_interval(interval '1 month' - dur * 9) FROM trades_iceberg ORDER BY id",
  "SELECT id, justify_interval(interval '-1 month 35 days -49 hours' * id), justify_days(interval '2 months -65 days 3 hours' * id), justify_hours(interval '-2 days 50 hours' * id), justify_interval(interval '1 month -1 day 25 hours' * id), justify_interval(interval '-1 month 30 days -1 second' * id) FROM trades_iceberg WHERE id < 12 ORDER BY id",
  // age(): field-by-field differences borrowing the earlier month's length, one-argument form from today
  "SELECT id, age(local_ts, timestamp '2020-02-29 12:30:00.5'), age(timestamp '2020-02-29', local_ts), age(trade_date, date '2023-03-31'), age(date '2023-01-31', trade_date), age(ts) > interval '0', age(local_ts) > interval '0' FROM trades_iceberg ORDER BY id",
  "SELECT id, age(timestamp '2024-03-31' + id * interval '1 day 7 hours 11 minutes 13.000017 seconds', timestamp '2024-01-31 23:59:59.999999'), age(timestamp '2023-01-31', timestamp '2024-03-01' + id * interval '3 days 5 hours') FROM trades_iceberg ORDER BY id",
  "SELECT extract(year FROM age(trade_date, date '1990-06-15')) AS years, count(*) FROM trades_iceberg GROUP BY 1 ORDER BY 1 NULLS FIRST",
  // BETWEEN SYMMETRIC and row comparisons (keyset pagination), with NULLs on either side
  'SELECT id FROM trades_iceberg WHERE qty BETWEEN SYMMETRIC 50 AND -20 ORDER BY id',
  "SELECT id, qty BETWEEN SYMMETRIC id AND 10, price NOT BETWEEN SYMMETRIC NULL AND 100, ts BETWEEN SYMMETRIC '2024-06-01' AND '2024-01-01' FROM trades_iceberg ORDER BY id",
  'SELECT id, (qty, id) > (10, 5), (qty, id) >= (10, 5), (qty, id) < (10, 5), (qty, id) <= (10, 5), (qty, id) = (10, 5), (qty, id) <> (10, 5) FROM trades_iceberg ORDER BY id',
  "SELECT id, (sym, qty, price) < ('MSFT', 20, 100.5), (sym, note) = ('AAPL', NULL), (sym, note) <> ('AAPL', NULL), ROW(side, flag) >= ROW('buy', true), (price, amount) > (fee, qty) FROM trades_iceberg ORDER BY id",
  "SELECT id, ts FROM trades_iceberg WHERE (ts, id) > ('2024-05-01 00:00+00', 10) ORDER BY ts, id LIMIT 5",
  // LATERAL subqueries (top-N per group, correlated aggregates) and functions on the right of a JOIN
  'SELECT a.id, l.id, l.price FROM accounts a, LATERAL (SELECT t.id, t.price FROM trades_iceberg t WHERE t.sym = a.sym ORDER BY t.price DESC NULLS LAST, t.id LIMIT 2) l ORDER BY a.id, l.id',
  'SELECT a.id, l.id FROM accounts a LEFT JOIN LATERAL (SELECT t.id FROM trades_iceberg t WHERE t.sym = a.sym ORDER BY t.id LIMIT 1) l ON true ORDER BY a.id',
  'SELECT a.id, l.n FROM accounts a JOIN LATERAL (SELECT count(*) AS n FROM trades_iceberg t WHERE t.sym = a.sym AND t.qty > 0) l ON l.n > 1 ORDER BY a.id',
  'SELECT t.id, x.q2, x.v FROM trades_iceberg t CROSS JOIN LATERAL (SELECT t.qty * 2 AS q2, (SELECT min(u.id) FROM trades_iceberg u WHERE u.id > t.id) AS v) x ORDER BY t.id',
  'SELECT s.sym, l.total FROM (SELECT DISTINCT sym FROM trades_iceberg) s, LATERAL (SELECT sum(amount) AS total FROM trades_iceberg t WHERE t.sym IS NOT DISTINCT FROM s.sym) l ORDER BY s.sym NULLS FIRST',
  'SELECT t.id, tag FROM trades_iceberg t JOIN LATERAL unnest(t.tags) tag ON true WHERE t.id < 12 ORDER BY t.id, tag',
  'SELECT t.id, g FROM trades_iceberg t JOIN generate_series(1, 2) g ON g <= t.id % 3 ORDER BY 1, 2',
  // functions in FROM
  'SELECT g, count(t.id) FROM generate_series(1, 12) AS g LEFT JOIN trades_iceberg t ON extract(month FROM t.ts) = g GROUP BY g ORDER BY g',
  "SELECT d, count(t.id) FROM generate_series(timestamp '2024-01-01', timestamp '2024-06-01', interval '1 month') d LEFT JOIN trades_iceberg t ON date_trunc('month', t.local_ts) = d GROUP BY d ORDER BY d",
  'SELECT tag, count(*) FROM trades_iceberg, unnest(ARRAY[\'t0\', \'t1\', \'x0\']) AS tag WHERE tag = ANY(tags) GROUP BY tag ORDER BY tag',
  // parameters
  ['SELECT id, price FROM trades_iceberg WHERE qty > $1 AND sym = $2 ORDER BY id', { params: ['10', 'AAPL'] }],
  ['SELECT id, ts FROM trades_iceberg WHERE ts < $1 ORDER BY id LIMIT $2', { params: ['2024-05-01 12:00:00+02', '4'] }],
  ['SELECT $1::numeric * price, $2::text || sym FROM trades_iceberg WHERE id < 4 ORDER BY id', { params: ['1.500', 'x'] }],
  ['SELECT id FROM trades_iceberg WHERE trade_date = $1 ORDER BY id', { params: ['2023-06-07'] }],
  // binary results
  ['SELECT id, qty, big, price, fee, ratio, ts, trade_date, flag, sym, uid FROM trades_iceberg ORDER BY id', { formats: [1] }],
  ['SELECT sym, avg(price), count(*) FROM trades_iceberg GROUP BY sym ORDER BY sym', { formats: [1, 1, 0] }],
  // FETCH … WITH TIES: the first n rows and every row equal to the last of them under the ORDER BY (side has 4
  // 'b', 23 'buy', 13 'sell'); with OFFSET at a group's edge; a count of 0 or NULL; grouped; over a UNION
  ['SELECT id, side FROM trades_iceberg ORDER BY side FETCH FIRST 5 ROWS WITH TIES', { unordered: true }],
  ['SELECT id, side FROM trades_iceberg ORDER BY side DESC, id % 2 FETCH FIRST 2 ROWS WITH TIES', { unordered: true }],
  'SELECT count(*), min(id), max(id) FROM (SELECT id FROM trades_iceberg ORDER BY side OFFSET 4 ROWS FETCH NEXT 1 ROW WITH TIES) s',
  'SELECT id FROM (SELECT id, qty FROM trades_iceberg ORDER BY qty NULLS FIRST FETCH FIRST 4 ROWS WITH TIES) s ORDER BY id',
  'SELECT id FROM trades_iceberg ORDER BY side OFFSET 2 FETCH FIRST 0 ROWS WITH TIES',
  ['SELECT sym, count(*) FROM trades_iceberg GROUP BY sym ORDER BY count(*) DESC FETCH FIRST 2 ROWS WITH TIES', { unordered: true }],
  ['SELECT sym, count(*) AS n FROM trades_iceberg GROUP BY sym ORDER BY n FETCH FIRST 1 ROW WITH TIES', { unordered: true }],
  'SELECT side FROM trades_iceberg UNION ALL SELECT side FROM trades_iceberg ORDER BY 1 FETCH FIRST 3 ROWS WITH TIES',
  ['SELECT count(*) FROM (SELECT id FROM trades_iceberg ORDER BY side FETCH FIRST $1 ROWS WITH TIES) s', { params: ['24'] }],
  ['SELECT count(*) FROM (SELECT id FROM trades_iceberg ORDER BY side FETCH FIRST $1 ROWS WITH TIES) s', { params: [null] }],
  // initcap(): words start after any non-alphanumeric character (ASCII text: the test database's ctype is C.UTF-8)
  "SELECT id, initcap(sym), initcap(note), initcap('hello wORLD-foo_bar 3rd o''neil  x1y'), initcap(side), initcap(''), initcap(NULL) FROM trades_iceberg WHERE id % 6 <> 5 ORDER BY id",
  // format(): %s as the value's output text (NULL as ''), %L quoted (NULL unquoted, backslashes as E''), %%,
  // positions (plain specifiers continue after them), widths right- and left-aligned (never cutting)
  "SELECT id, format('%s/%s', id, qty), format('[%5s|%-6s|%2s]', sym, qty, note), format('%L and %L', note, price), format('%2$s %1$s %s', sym, side, flag), format('100%% %s', amount) FROM trades_iceberg ORDER BY id",
  "SELECT format('%s', 'plain'), format('%L', E'a\\b''c'), format('%s %s', NULL, 1), format('no args'), format('%3s|%-3s|', 'abcd', 'ü') FROM trades_iceberg WHERE id = 1",
  "SELECT format('%s: %s', sym, count(*)) FROM trades_iceberg GROUP BY sym ORDER BY 1",
  // char(n) keeps its padding in concat(), concat_ws() and format() (bpcharout), loses it in || and ::text
  "SELECT id, concat(side, '|'), concat_ws(',', side, 'x'), format('%s|%L', side, side), side || '|', side::text FROM trades_iceberg ORDER BY id",
  // json_build_object / jsonb_build_object: keys as JSON strings, values as datum_to_json renders them (numeric
  // scale kept, json as written, jsonb normalised, char(n) padded, control characters escaped)
  "SELECT id, json_build_object('id', id, 'sym', sym, 'qty', qty, 'price', price, 'flag', flag, 'attrs', attrs, 'js', js, 'uid', uid, 'side', side, 'raw', raw_num, 'big', big) FROM trades_iceberg ORDER BY id",
  "SELECT id, jsonb_build_object('id', id, 'sym', sym, 'qty', qty, 'price', price, 'flag', flag, 'attrs', attrs, 'js', js, 'uid', uid, 'side', side, 'raw', raw_num, 'big', big) FROM trades_iceberg ORDER BY id",
  "SELECT json_build_object(sym, count(*), 'total', sum(amount), 'avg', round(avg(qty), 2)) FROM trades_iceberg WHERE sym IS NOT NULL GROUP BY sym ORDER BY sym",
  "SELECT id, jsonb_build_object('b', 1, 'a', note, 'b', qty), json_build_object(), jsonb_build_object(), json_build_object(id, E'tab\\there \"q\" \\\\ \\u0001', coalesce(flag, true), NULL, coalesce(qty, 0), id > 3) FROM trades_iceberg ORDER BY id",
  "SELECT jsonb_build_object('k', sym) ->> 'k', json_build_object('n', price) -> 'n' FROM trades_iceberg ORDER BY id",
  // json[b]_agg / json[b]_object_agg (json_agg_transfn's separators, NULL elements as null, no rows as NULL) and
  // json[b]_build_array
  "SELECT sym, json_agg(id ORDER BY id), jsonb_agg(qty ORDER BY id DESC), json_agg(note ORDER BY id) FILTER (WHERE id > 2), count(*) FROM trades_iceberg GROUP BY sym ORDER BY sym NULLS FIRST",
  'SELECT json_agg(price ORDER BY id), jsonb_agg(attrs ORDER BY id), json_agg(js ORDER BY id), json_agg(flag ORDER BY id), json_agg(uid ORDER BY id), json_agg(side ORDER BY id), jsonb_agg(raw_num ORDER BY id) FROM trades_iceberg',
  "SELECT json_object_agg(id, price ORDER BY id), jsonb_object_agg(coalesce(sym, 'none'), qty ORDER BY id), json_object_agg(flag IS NULL, note ORDER BY id) FILTER (WHERE id < 3) FROM trades_iceberg",
  'SELECT json_agg(id), jsonb_agg(sym), json_object_agg(id, sym), jsonb_object_agg(id, qty) FROM trades_iceberg WHERE id < 0',
  'SELECT id, json_agg(id) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), jsonb_agg(qty) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) FROM trades_iceberg ORDER BY id',
  "SELECT id, json_build_array(id, sym, price, flag, NULL, js, side), jsonb_build_array(attrs, qty, uid), json_build_array(), jsonb_build_array(), json_build_array(E'a\\b\u0001') FROM trades_iceberg ORDER BY id",
  "SELECT json_agg(id ORDER BY id) ->> 0, jsonb_agg(sym ORDER BY id DESC) -> 1 FROM trades_iceberg",
  // to_char of integers and numerics: 9 0 . , and FM (rounding, '#' overflow, the sign position, FM trimming)
  "SELECT id, to_char(qty, '999'), to_char(qty, 'FM999'), to_char(price, 'FM999,999.00'), to_char(price, '9,999.9'), to_char(amount, '9,999,999.99'), to_char(amount, '99.9'), to_char(raw_num, 'FM9990.999'), to_char(raw_num, '0000.00'), to_char(big, '9,999,999,999,999,999,999'), to_char(-price, '0000.0'), to_char(id, 'FM09'), to_char(qty, '9.99'), to_char(price, 'FM9999.9999') FROM trades_iceberg ORDER BY id",
  // sum()/avg() of a numeric without typmod, read inside DuckDB (HAVING, ORDER BY, to_char's argument)
  "SELECT side, sum(raw_num), avg(raw_num), to_char(sum(raw_num), 'FM99990.000'), to_char(avg(raw_num), '9990.99') FROM trades_iceberg GROUP BY side HAVING sum(raw_num) > -1000 AND avg(raw_num) IS NOT NULL ORDER BY sum(raw_num) DESC",
  "SELECT sym, to_char(sum(amount), 'FM999,999,990.00'), to_char(avg(qty), '990.99'), to_char(count(*), '999'), to_char(sum(price) / 7, 'FM99,990.000') FROM trades_iceberg GROUP BY sym ORDER BY sym",
  "SELECT v, to_char(v, '9.99'), to_char(v, 'FM9.99'), to_char(v, '999,999'), to_char(v, 'FM0.00'), to_char(v, '.99'), to_char(v, '999.'), to_char(v * 123457, 'FM9,999,999.9') FROM (SELECT (id - 20) * 0.4995::numeric(10,4) AS v FROM trades_iceberg) x ORDER BY v",
  // DISTINCT over numerics without a declared scale (as GROUP BY: refused per run when equal values differ in scale)
  'SELECT DISTINCT raw_num FROM trades_iceberg ORDER BY raw_num NULLS FIRST',
  'SELECT DISTINCT raw_num, side FROM trades_iceberg ORDER BY 1 DESC, 2 LIMIT 6',
  'SELECT count(*), count(DISTINCT raw_num) FROM (SELECT DISTINCT raw_num, raw_num > 0 FROM trades_iceberg) s',
  'SELECT DISTINCT x FROM (SELECT raw_num + 1 AS x FROM trades_iceberg WHERE id < 9) s ORDER BY x FETCH FIRST 3 ROWS WITH TIES',
];

test('differential: engine results equal Postgres', async (t) => {
  for (const q of QUERIES) {
    const [sql, o] = typeof q === 'string' ? [q, {}] : q;
    await t.test(sql, () => same(sql, o));
  }
});

/** Postgres raises an error for the query on its source table: the engine raises the same SQLSTATE and message. */
async function sameError(sql: string): Promise<void> {
  const want = await ch.raw(sql, [], []).then(
    () => assert.fail(`Postgres answered ${sql}`),
    (e: { code?: string; message: string }) => `${e.code} ${e.message}`,
  );
  await assert.rejects(viaEngine(sql), (e: { code?: string; message: string }) => {
    assert.equal(`${e.code} ${e.message}`, want, sql);
    return true;
  });
}

test('differential: errors equal Postgres', async (t) => {
  for (const sql of [
    'SELECT qty::float8 ^ 0.5 FROM trades_iceberg WHERE qty < 0',
    'SELECT (qty - qty)::float8 ^ -1 FROM trades_iceberg WHERE qty IS NOT NULL',
    'SELECT fee ^ 400 FROM trades_iceberg WHERE fee > 10',
    'SELECT fee ^ -400 FROM trades_iceberg WHERE fee > 10',
    'SELECT 2::float8 ^ -1075 FROM trades_iceberg',
    'SELECT fee * 1e307::float8 FROM trades_iceberg WHERE fee > 10',
    'SELECT fee * 1e-320::float8 * 1e-10::float8 FROM trades_iceberg WHERE fee > 10',
    'SELECT fee / 1e-310::float8 FROM trades_iceberg WHERE fee > 10',
    'SELECT fee + 1.7e308::float8 + 1.7e308::float8 FROM trades_iceberg WHERE fee > 10',
    'SELECT ratio * 3e38::float4 * 2::float4 FROM trades_iceberg WHERE ratio > 1',
    'SELECT fee / (fee - fee) FROM trades_iceberg WHERE fee IS NOT NULL',
    'SELECT 10 / (qty - qty) FROM trades_iceberg WHERE qty IS NOT NULL',
    "SELECT note::int FROM trades_iceberg",
    'SELECT (qty * 1000)::int2 FROM trades_iceberg',
    'SELECT big + 9223372036854775000 FROM trades_iceberg',
    // integer overflow where DuckDB's rewrites would drop its check (sum(x + c), x + c > k) and in minus/abs
    'SELECT sum(b + 2147483647) FROM nums_iceberg',
    'SELECT count(*) FROM nums_iceberg WHERE b + 2147483647 > 0',
    'SELECT count(*) FROM nums_iceberg WHERE a * 2::int2 = 0',
    'SELECT min(c * 4) FROM nums_iceberg',
    'SELECT -(big - big - 9223372036854775807 - 1) FROM trades_iceberg',
    'SELECT abs(id - id - 2147483647 - 1) FROM trades_iceberg',
    'SELECT sum(-(qty - qty - 32767::int2 - 1::int2)) FROM trades_iceberg',
    "SELECT to_timestamp('NaN'::float8) FROM trades_iceberg",
    'SELECT dur / (fee - fee) FROM trades_iceberg WHERE fee IS NOT NULL AND dur IS NOT NULL',
    'SELECT to_timestamp(1e20::float8) FROM trades_iceberg',
    'SELECT to_timestamp(-210866803201::float8) FROM trades_iceberg',
    'SELECT mod(amount, qty - qty) FROM trades_iceberg WHERE qty IS NOT NULL',
    'SELECT width_bucket(price, 0, 500, 0) FROM trades_iceberg',
    'SELECT width_bucket(price, 5, 5, 3) FROM trades_iceberg',
    'SELECT width_bucket(fee, 5, 5.0, 3) FROM trades_iceberg',
    "SELECT width_bucket(fee, 0, 'inf', 3) FROM trades_iceberg",
    "SELECT width_bucket('nan'::float8, 0, fee, 3) FROM trades_iceberg WHERE fee IS NOT NULL",
    'SELECT width_bucket(fee, 0, 1, 2147483647) FROM trades_iceberg',
    'SELECT width_bucket(-price, 1, 0, 2147483647) FROM trades_iceberg WHERE price > 0',
    "SELECT date_bin('1 month', ts, '2024-01-01') FROM trades_iceberg",
    "SELECT date_bin('1 day -24 hours', local_ts, '2024-01-01') FROM trades_iceberg",
    "SELECT date_bin('5 min', ts, 'infinity'::timestamptz) FROM trades_iceberg",
    'SELECT json_build_object(sym, 1) FROM trades_iceberg',
    "SELECT jsonb_build_object('a', 1, sym, 2) FROM trades_iceberg",
    'SELECT json_object_agg(sym, id ORDER BY id) FROM trades_iceberg',
    'SELECT jsonb_object_agg(sym, id) FROM trades_iceberg',
    // numeric(p,s) overflow and infinities: 22003 numeric field overflow
    'SELECT raw_num::numeric(2,1) FROM trades_iceberg',
    'SELECT fee::numeric(2,1) FROM trades_iceberg',
    "SELECT (CASE WHEN id = 3 THEN 'Infinity'::float8 ELSE fee END)::numeric(10,2) FROM trades_iceberg",
    "SELECT (CASE WHEN id = 3 THEN '-Infinity'::float8 ELSE fee END)::numeric::numeric(10,2) FROM trades_iceberg",
    "SELECT sin(CASE WHEN id = 3 THEN 'Infinity'::float8 ELSE fee END) FROM trades_iceberg",
    'SELECT asin(qty / 100.0) FROM trades_iceberg',
    'SELECT ln(qty) FROM trades_iceberg WHERE qty < 0',
    'SELECT log(qty - qty) FROM trades_iceberg',
    'SELECT exp(fee * 100) FROM trades_iceberg',
    'SELECT exp(-fee * 500) FROM trades_iceberg WHERE fee > 5',
    "SELECT degrees(fee * '1e307'::float8) FROM trades_iceberg",
    'SELECT make_interval(years => id * 10000000) FROM trades_iceberg',
    "SELECT make_interval(secs => CASE WHEN id = 4 THEN 'Infinity'::float8 ELSE fee END) FROM trades_iceberg",
    "SELECT (fee * '1e300'::float8)::float4 FROM trades_iceberg",
    "SELECT (fee * '1e-300'::float8)::float4 FROM trades_iceberg WHERE fee > 0",
    'SELECT lcm(id * 50000000, id * 50000000 + 1) FROM trades_iceberg',
    'SELECT gcd(id - id - 2147483647 - 1, 0) FROM trades_iceberg',
    // date_part(text, date) and date_trunc(text, date) go through timestamp(tz): past its range, 22008
    "SELECT date_part('dow', CASE WHEN id = 3 THEN '5874897-12-31'::date ELSE trade_date END) FROM trades_iceberg",
    "SELECT date_trunc('month', CASE WHEN id = 3 THEN '5874897-12-31'::date ELSE trade_date END) FROM trades_iceberg",
    'SELECT chr(id - 20) FROM trades_iceberg',
    'SELECT chr(id + 55290) FROM trades_iceberg',
    'SELECT chr(id * 40000) FROM trades_iceberg',
    'SELECT div(id, qty - qty) FROM trades_iceberg',
    // date arithmetic at the ends of the ranges and with infinities
    "SELECT trade_date - 'infinity'::date FROM trades_iceberg",
    "SELECT '5874897-12-31'::date + (id - id + 1) FROM trades_iceberg",
    "SELECT trade_date - 2147483647 FROM trades_iceberg WHERE trade_date IS NOT NULL",
    "SELECT ('5874897-12-31'::date - id)::timestamp FROM trades_iceberg",
    "SELECT age(CASE WHEN id = 2 THEN 'infinity'::timestamp ELSE local_ts END, 'infinity'::timestamp) FROM trades_iceberg",
    "SELECT CASE WHEN id = 2 THEN '-infinity'::timestamptz ELSE ts END - '-infinity'::timestamptz FROM trades_iceberg",
    // make_date: no year 0, days the month does not have, the ends of the date range (the year as Postgres holds it)
    'SELECT make_date(id - id, 1, 1) FROM trades_iceberg',
    'SELECT make_date(2023, 2, 28 + id) FROM trades_iceberg',
    'SELECT make_date(-44 - id + id, 2, 29) FROM trades_iceberg',
    'SELECT make_date(2024, 13 - id, 1) FROM trades_iceberg',
    'SELECT make_date(5874897 + id, 1, 1) FROM trades_iceberg',
    'SELECT make_date(-4714 + id - id, 11, 23) FROM trades_iceberg',
    // frame offsets: NULL (22004), negative (22013), constant or computed, and RANGE's single ORDER BY column
    'SELECT count(*) OVER (ORDER BY id ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM trades_iceberg',
    'SELECT count(*) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND NULL FOLLOWING) FROM trades_iceberg',
    'SELECT count(*) OVER (ORDER BY id ROWS BETWEEN 1 - 5 PRECEDING AND CURRENT ROW) FROM trades_iceberg',
    'SELECT count(*) OVER (ORDER BY qty GROUPS BETWEEN 1 PRECEDING AND -2 FOLLOWING) FROM trades_iceberg',
    'SELECT count(*) OVER (ORDER BY qty RANGE BETWEEN -1 PRECEDING AND CURRENT ROW) FROM trades_iceberg',
    'SELECT count(*) OVER (ORDER BY qty RANGE BETWEEN NULL PRECEDING AND CURRENT ROW) FROM trades_iceberg',
    "SELECT count(*) OVER (ORDER BY fee RANGE BETWEEN 'NaN' PRECEDING AND CURRENT ROW) FROM trades_iceberg",
    "SELECT count(*) OVER (ORDER BY fee RANGE BETWEEN CURRENT ROW AND -0.5 FOLLOWING) FROM trades_iceberg",
    "SELECT count(*) OVER (ORDER BY local_ts RANGE BETWEEN '1 mon -31 days' PRECEDING AND CURRENT ROW) FROM trades_iceberg",
    'SELECT count(*) OVER (ORDER BY qty, id RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM trades_iceberg',
  ]) {
    await t.test(sql, () => sameError(sql));
  }
});

test('differential: TimeZone and DateStyle settings', async (t) => {
  const settings = [
    ['UTC', 'ISO, MDY'],
    ['Europe/Berlin', 'ISO, MDY'],
    ['America/New_York', 'SQL, DMY'],
    ['Asia/Kolkata', 'German'],
    ['Australia/Lord_Howe', 'Postgres, MDY'],
  ];
  const qs = [
    'SELECT id, ts, trade_date, local_ts FROM trades_iceberg ORDER BY id',
    "SELECT date_trunc('day', ts) AS d, count(*) FROM trades_iceberg GROUP BY 1 ORDER BY 1",
    'SELECT id, ts::date, extract(hour FROM ts), ts + interval \'1 month\', to_char(ts, \'YYYY-MM-DD HH24:MI Dy\') FROM trades_iceberg ORDER BY id',
    "SELECT id FROM trades_iceberg WHERE ts > '2024-03-10 02:30' ORDER BY id",
    "SELECT count(*) FROM trades_iceberg WHERE trade_date < now() AND ts::date <= current_date",
    // local times in DST gaps and overlaps (New York, Berlin, Lord Howe's half hour)
    "SELECT id, (timestamp '2024-03-10 02:30' + id * interval '1 hour')::timestamptz, (timestamp '2024-11-03 00:30' + id * interval '30 minutes')::timestamptz, (timestamp '2024-03-31 01:45' + id * interval '15 minutes')::timestamptz, (timestamp '2024-04-07 01:40' + id * interval '10 minutes')::timestamptz FROM trades_iceberg WHERE id <= 8 ORDER BY id",
    "SELECT id, date_trunc('day', ts + id * interval '7 hours'), (ts + interval '1 day')::date FROM trades_iceberg ORDER BY id",
    // instants in a fall-back's repeated hour: ± a time-only interval and date_trunc below a day keep their
    // UTC offset; date_trunc in a named zone
    "SELECT id, timestamptz '2024-11-03 05:30+00' + id * interval '10 minutes', timestamptz '2024-11-03 06:50+00' - id * interval '10 minutes', timestamptz '2024-11-02 05:40+00' + interval '1 day' + id * interval '1 minute', timestamptz '2024-10-03 05:40+00' + interval '1 month 10 minutes' FROM trades_iceberg WHERE id < 8 ORDER BY id",
    "SELECT id, date_trunc('hour', timestamptz '2024-11-03 05:30+00' + id * interval '20 minutes'), date_trunc('minute', timestamptz '2024-04-06 15:29:30+00' + id * interval '7 minutes'), date_trunc('second', ts), date_trunc('day', timestamptz '2024-03-10 06:30+00' + id * interval '1 hour') FROM trades_iceberg WHERE id < 10 ORDER BY id",
    "SELECT id, age(ts, timestamptz '2024-01-01 00:00+00'), age(timestamptz '2024-01-01 00:00+00', ts), age(trade_date, date '2023-03-31') FROM trades_iceberg ORDER BY id",
    // time of day: local to the zone for timestamptz, infinite values have none; date_bin() is zone-independent
    "SELECT id, ts::time, local_ts::time, ts::time < '12:00', date_bin('1 day', ts, '2024-01-01'), 'infinity'::timestamptz::time FROM trades_iceberg ORDER BY id",
    "SELECT date_trunc('hour', ts)::time AS h, count(*) FROM trades_iceberg WHERE ts::time BETWEEN '09:00' AND '4:05 PM' GROUP BY 1 ORDER BY 1",
    // the timestamptz series by a time-only step adds elapsed time (across DST changes as well)
    "SELECT g, count(t.id) FROM generate_series(date '2024-03-09', timestamptz '2024-03-12 00:00+00', interval '5 hours 30 minutes') g LEFT JOIN trades_iceberg t ON t.ts < g GROUP BY g ORDER BY g",
    "SELECT id, date_trunc('day', ts, 'Asia/Tokyo'), date_trunc('month', ts, 'America/New_York'), date_trunc('hour', timestamptz '2024-11-03 05:30+00' + id * interval '20 minutes', 'America/New_York'), date_trunc('minute', timestamptz '2024-04-06 15:29:30+00' + id * interval '7 minutes', 'Australia/Lord_Howe'), date_trunc('week', local_ts, 'Europe/Berlin') FROM trades_iceberg ORDER BY id",
  ];
  try {
    for (const [tz, ds] of settings) {
      await ch.simple(`SET TimeZone = '${tz}'; SET DateStyle = '${ds}'`);
      for (const sql of qs) await t.test(`${tz} / ${ds}: ${sql}`, () => same(sql));
    }
  } finally {
    await ch.simple(`RESET TimeZone; RESET DateStyle`);
  }
});

test('differential: float output and IntervalStyle settings', async (t) => {
  try {
    for (const efd of ['0', '3', '-5']) {
      await ch.simple(`SET extra_float_digits = ${efd}`);
      await t.test(`extra_float_digits ${efd}`, () => same('SELECT id, fee, ratio, fee / 3, avg(fee) OVER () FROM trades_iceberg ORDER BY id'));
    }
    for (const style of ['postgres_verbose', 'sql_standard', 'iso_8601']) {
      await ch.simple(`SET IntervalStyle = ${style}`);
      await t.test(`IntervalStyle ${style}`, () => same('SELECT id, dur, dur + interval \'1 hour\' FROM trades_iceberg ORDER BY id'));
    }
  } finally {
    await ch.simple(`RESET extra_float_digits; RESET IntervalStyle`);
  }
});

async function copyViaEngine(sql: string): Promise<{ data: string; command: string }> {
  const q = await router.prepare(sql, [], session);
  assert.equal(q.fields(), null, 'COPY answers Describe with NoData');
  const portal = await q.bind([], [], []);
  const msgs: Buffer[] = [];
  try {
    await portal.execute(0, { write: (m) => (msgs.push(m), true), drain: async () => {} });
  } finally {
    portal.close();
  }
  assert.equal(msgs[0]![0], 0x48, 'CopyOutResponse first');
  assert.equal(msgs[msgs.length - 2]![0], 0x63, 'CopyDone before CommandComplete');
  const cc = msgs[msgs.length - 1]!;
  return {
    data: Buffer.concat(msgs.filter((m) => m[0] === 0x64).map((m) => m.subarray(5))).toString('utf8'),
    command: cc.toString('utf8', 5, cc.length - 1),
  };
}

test('COPY … TO STDOUT in text and CSV formats', async (t) => {
  const cases = [
    'COPY (SELECT id, sym, note, tags, attrs, ts, price, fee, flag FROM trades_iceberg ORDER BY id) TO STDOUT',
    "COPY (SELECT id, note, side, amount FROM trades_iceberg WHERE id < 20 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER, NULL 'nil')",
    "COPY (SELECT sym, avg(price) FROM trades_iceberg GROUP BY sym ORDER BY 2 DESC NULLS LAST, 1) TO STDOUT (FORMAT csv, DELIMITER ';', FORCE_QUOTE *)",
    'COPY trades_iceberg (id, note, js) TO STDOUT CSV HEADER',
  ];
  for (const sql of cases) {
    await t.test(sql, async () => {
      // Postgres refuses COPY from a view; the mirror copies like its source table
      const want = await ch.raw(sql.replace(/^COPY trades_iceberg /, 'COPY trades '));
      const got = await copyViaEngine(sql);
      assert.equal(got.data, Buffer.concat(want.copy).toString('utf8'));
      assert.equal(got.command, want.command);
    });
  }
});

/** The test tables in a database of their own (created with `options`), for `fn` with a session there; dropped after. */
async function withDatabase(name: string, options: string, id: number, fn: (c: DirectChannel, s: SessionInfo) => Promise<void>): Promise<void> {
  await admin.simple(`DROP DATABASE IF EXISTS ${name}`);
  await admin.simple(`CREATE DATABASE ${name} TEMPLATE template0 ${options}`);
  const setup = await DirectChannel.connect({ port, user: 'postgres', database: name });
  const c = await DirectChannel.connect({ port, user: 'postgres', database: name, params: { extra_float_digits: '1' } });
  try {
    await setup.simple(engineCatalogSql());
    await setup.simple(SCHEMA);
    await setup.simple(rows());
    await fn(c, { id, user: 'postgres', database: name, oracle: false, params: c.status, txStatus: 'I', upstream: c });
  } finally {
    setup.close();
    c.close();
    await admin.simple(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

test('differential: LC_CTYPE C (initcap, upper, lower change ASCII letters only)', async () => {
  // the same tables in a database whose ctype is C; the engine reads the same DuckDB copy of them
  await withDatabase('ctype_c', `LC_CTYPE 'C' LC_COLLATE 'C'`, 2, async (c, s) => {
    const sql = "SELECT id, initcap(sym), initcap(note || ' ÿx Éa'), upper(sym), lower(sym), upper('ïé-ß') FROM trades_iceberg ORDER BY id";
    const want = await c.raw(sql, [], []);
    const got = await viaEngine(sql, [], [], s);
    assert.equal(show(got), show(want));
    // under C, 'Ünïcode' keeps its non-ASCII letters and starts a word after each: ÜNïCode
    assert.ok(show(want).includes('ÜNïCode'), show(want));
  });
});

test('differential: collations decide case mapping (COLLATE "C", columns with their own collation, ICU)', async () => {
  // COLLATE "C" on the argument: only ASCII letters change, and ILIKE folds ASCII only ('Ünïcode' keeps ï)
  await same(`SELECT id, upper(sym COLLATE "C"), lower(sym COLLATE "C"), initcap(sym COLLATE "C"), sym COLLATE "C" ILIKE '%ünÏ%',
    sym ILIKE 'ü%' COLLATE "C" FROM trades_iceberg ORDER BY id`);
  await same(`SELECT id, sym ILIKE '%ünÏ%', upper(sym), lower(sym) FROM trades_iceberg ORDER BY id`);
  // a COLLATE that reaches the argument through an operator is not followed: refused, not answered under C.UTF-8
  await refused(`SELECT upper(sym || ('x' COLLATE "C")) FROM trades_iceberg`, /upper\(\) under a collation other than/);
  // a text column with a collation of its own in the statement: its rules are not tracked per expression
  await admin.simple(`DROP TABLE IF EXISTS coll_c; CREATE TABLE coll_c (id int4, code text COLLATE "C"); INSERT INTO coll_c VALUES (6, 'ï')`);
  try {
    await refused(`SELECT upper(t.sym), c.code FROM trades_iceberg t JOIN coll_c c ON c.id = t.id`, /upper\(\) under a collation other than/);
    await refused(`SELECT t.sym ILIKE c.code FROM trades_iceberg t JOIN coll_c c ON c.id = t.id`, /ILIKE under a collation other than/);
    await same(`SELECT t.id, c.code, t.sym FROM trades_iceberg t JOIN coll_c c ON c.id = t.id`);
  } finally {
    await admin.simple(`DROP TABLE coll_c`);
  }
  // an ICU database: ASCII text changes case as everywhere; other text (ß → SS there) is refused per value
  await withDatabase('icu_db', `LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C.UTF-8'`, 3, async (c, s) => {
    const sql = "SELECT id, upper(side), lower(side), note ILIKE 'NOTE 1%', lower(note), upper(sym COLLATE \"C\") FROM trades_iceberg ORDER BY id";
    assert.equal(show(await viaEngine(sql, [], [], s)), show(await c.raw(sql, [], [])));
    assert.ok(show(await c.raw("SELECT upper('ß')", [], [])).includes('SS'), 'ICU maps ß to SS');
    for (const q of ['SELECT upper(sym) FROM trades_iceberg', "SELECT sym ILIKE '%x%' FROM trades_iceberg"]) {
      await assert.rejects(viaEngine(q, [], [], s), (e: any) => e.code === '0A000' && /non-ASCII text under an ICU/.test(e.message), q);
    }
    await assert.rejects(viaEngine('SELECT initcap(side) FROM trades_iceberg', [], [], s), (e: any) => e.code === '0A000' && /initcap\(\) under an ICU/.test(e.message));
  });
});

// regexp_replace is translated only for patterns on which both regex engines provably agree (translate/regex.ts)
test('regexp_replace: same answers as Postgres where translated, 0A000 elsewhere', async () => {
  const urls = [
    'https://www.example.com/path', 'http://example.com/', 'http://www./x', 'http://www.www.x/y', 'http://www.x/y',
    'ftp://x/y', 'http://x', 'http://www.x.com', '', 'https://www.x.com/a/b?q=1', 'http://ünï.de/ä', 'http:/x/y',
    'https://wwwx.com/a', 'http://www.x/y\nz', 'http://a\nb/c', 'HTTP://www.x.com/a', 'http://www.x.com/a/',
  ];
  const values = urls.map((u) => (u.includes('\\') ? `(E'${u}')` : `('${u}')`)).join(', ') + ', (NULL)';
  const from = `FROM trades_iceberg t CROSS JOIN (VALUES ${values}) v(s) WHERE t.id = 1`;
  await same(`SELECT s, regexp_replace(s, '^https?://(?:www\\.)?([^/]+)/.*$', '\\1') AS k ${from} ORDER BY s COLLATE "C" NULLS FIRST`);
  await same(`SELECT s, regexp_replace(s, '^([^:]+)://(.*)$', '\\2 via \\1 \\\\ done') ${from} ORDER BY s COLLATE "C" NULLS FIRST`);
  await same(`SELECT k, count(*) FROM (SELECT regexp_replace(sym, '^([^Ü]+)[Ü](.+)$', '[\\2\\1]') AS k FROM trades_iceberg) x GROUP BY k ORDER BY k COLLATE "C" NULLS FIRST`);
  await refused("SELECT regexp_replace(sym, 'A', 'x') FROM trades_iceberg", /regexp_replace/);
  await refused("SELECT regexp_replace(sym, '^(A|B).*$', 'x') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, '^(.*)/(.*)$', '\\1') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, '^a?(?:ab)?(b*)$', '\\1') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, '^(\\w+)$', '\\1') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, '^([a-z]+)$', '\\1') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, '^(x+?)$', '\\1') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, '^(x+)$', '\\2') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, '^(x+)$', '\\&') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, '^(x+)$', 'y', 'g') FROM trades_iceberg");
  await refused("SELECT regexp_replace(sym, sym, 'y') FROM trades_iceberg");
});

test('refused constructs give 0A000', async () => {
  await refused("SELECT to_char(ts, 'YYYY TZ') FROM trades_iceberg");
  await refused("SELECT to_char(amount, 'L999.99') FROM trades_iceberg", /format character "L"/);
  await refused('SELECT stddev(fee) FROM trades_iceberg');
  await refused('SELECT var_samp(DISTINCT qty) FROM trades_iceberg');
  await refused('SELECT variance(raw_num) FROM trades_iceberg', /declared scale/);
  await refused("SELECT sym ~* 'ü' FROM trades_iceberg", /non-ASCII/);
  await refused("SELECT sym ~ '\\d' FROM trades_iceberg", /escape/);
  await refused("SELECT sym ~ '[[:alpha:]]' FROM trades_iceberg", /classes/);
  await refused("SELECT sym ~ '(a)\\1' FROM trades_iceberg");
  await refused('SELECT sym ~ note FROM trades_iceberg', /constant/);
  // grouping a numeric without a declared scale: refused (per run) when two groups hold equal values
  await refused('SELECT x, count(*) FROM (SELECT raw_num * 0 AS x FROM trades_iceberg) s GROUP BY x', /equal but written with different scales/);
  await refused('SELECT sym, z, count(*) FROM (SELECT sym, raw_num * 0 AS z FROM trades_iceberg) s GROUP BY sym, z ORDER BY 1, 2', /different scales/);
  // a value finished in JS as it is sent (numeric * of varying scales) cannot be a DuckDB grouping key
  await refused('SELECT raw_num * 0, count(*) FROM trades_iceberg GROUP BY 1', /grouping by this expression/);
  await refused('SELECT raw_num, count(*) FROM trades_iceberg GROUP BY ROLLUP (raw_num)', /declared scale/);
  await refused('SELECT raw_num, sym, count(*) FROM trades_iceberg GROUP BY raw_num, ROLLUP (sym)', /grouping sets over numeric/);
  await refused('SELECT DISTINCT x FROM (SELECT raw_num * 0 AS x FROM trades_iceberg) s', /equal but written with different scales/);
  await refused('SELECT DISTINCT ON (sym) raw_num FROM trades_iceberg', /declared scale/);
  // intervals of equal span written differently ('1 mon' = '30 days' in Postgres) in one group, or tied as an extreme
  const monthOrDays = "(SELECT id, CASE WHEN id % 3 = 0 THEN interval '1 mon' ELSE interval '30 days' END AS x FROM trades_iceberg) s";
  await refused(`SELECT x, count(*) FROM ${monthOrDays} GROUP BY x`, /grouping intervals that are equal/);
  await refused(`SELECT DISTINCT x FROM ${monthOrDays}`, /grouping intervals that are equal/);
  await refused(`SELECT max(x) FROM ${monthOrDays}`, /max\(\) over intervals of equal span/);
  await refused(`SELECT x, count(*) FROM ${monthOrDays} GROUP BY ROLLUP (x)`, /grouping sets over interval/);
  // numeric NaN has no DECIMAL (Postgres keeps NaN in numeric(p,s) and in round())
  await refused("SELECT (CASE WHEN id = 3 THEN 'NaN'::float8 ELSE fee END)::numeric::numeric(10,2) FROM trades_iceberg", /numeric NaN as numeric\(10,2\)/);
  await refused("SELECT (CASE WHEN id = 3 THEN 'NaN'::float8 ELSE fee END)::numeric(10,2) FROM trades_iceberg", /numeric NaN as numeric\(10,2\)/);
  await refused("SELECT round((CASE WHEN id = 3 THEN 'NaN'::float8 ELSE fee END)::numeric, 2) FROM trades_iceberg", /round\(\) of NaN/);
  // exact numeric results of more than 38 digits (Postgres' numeric has no such limit)
  await refused('SELECT big::numeric(19,0) * big::numeric(19,0) * big::numeric(19,0) * big::numeric(19,0) FROM trades_iceberg', /more than 38 digits/);
  // float sums where Postgres' running sums could overflow (it raises 22003 at the row where they do)
  await refused('SELECT sum(fee * 1e306::float8) FROM trades_iceberg', /sum\(\) of floating-point values this large/);
  await refused('SELECT side, avg(fee * 1e152::float8) FROM trades_iceberg GROUP BY side', /avg\(\) of floating-point values this large/);
  // time zone rules past the year 287396 (ICU's milliseconds in a double lose the microseconds there)
  await refused("SELECT (local_ts + interval '287500 years') AT TIME ZONE 'UTC' FROM trades_iceberg", /beyond the year 287396/);
  // the timestamptz series steps months and days on the session zone's calendar; DuckDB's is UTC
  await ch.simple("SET TimeZone = 'Europe/Berlin'");
  try {
    await refused("SELECT g FROM generate_series(date '2024-03-30', date '2024-04-02', interval '1 day') g, trades_iceberg t WHERE t.id = 1", /in a session TimeZone other than UTC/);
  } finally {
    await ch.simple('RESET TimeZone');
  }
  // extract() reads a date itself, which DuckDB can do only through a timestamp
  await refused("SELECT extract(year FROM CASE WHEN id = 3 THEN '5874897-12-31'::date ELSE trade_date END) FROM trades_iceberg", /dates past the year 294247/);
  // an infinite interval (a difference or age() of an infinite timestamp) has no DuckDB value
  await refused("SELECT CASE WHEN id = 2 THEN 'infinity'::timestamp ELSE local_ts END - '2020-01-01'::timestamp FROM trades_iceberg", /infinite intervals/);
  await refused("SELECT age(CASE WHEN id = 2 THEN 'infinity'::timestamp ELSE local_ts END, local_ts) FROM trades_iceberg", /infinite intervals/);
  await refused('SELECT id FROM trades_iceberg WHERE raw_num IN (SELECT raw_num FROM trades_iceberg)', /varying scale/);
  await refused('SELECT id FROM trades_iceberg WHERE (id, qty) IN ((1, 2), (3, 4))', /row constructors/);
  await refused('SELECT string_agg(DISTINCT sym, side) FROM trades_iceberg', /delimiter/);
  await refused("SELECT string_agg(sym, CASE WHEN id % 2 = 0 THEN '-' END ORDER BY id) FROM trades_iceberg", /delimiter that is not a constant/);
  await refused('SELECT array_agg(DISTINCT qty % 3) FROM trades_iceberg', /DISTINCT aggregates over this expression/);
  await refused('SELECT price ^ 2 FROM trades_iceberg', /power\(\) of numeric/);
  await refused('SELECT public.trades_iceberg.id FROM trades_iceberg', /without its schema/);
  await refused("SELECT extract(quarter FROM dur) FROM trades_iceberg", /quarter/);
  // Postgres rejects these for time too (0A000, its own message): refused before anything runs
  await refused('SELECT extract(day FROM local_ts::time) FROM trades_iceberg', /day from time/);
  // extract() of year/isoyear/epoch is a numeric Infinity in Postgres, which DECIMAL cannot hold: that row is refused
  await refused("SELECT extract(epoch FROM CASE WHEN id = 3 THEN 'infinity'::timestamptz ELSE ts END) FROM trades_iceberg", /extract\(epoch\) of an infinite date or timestamp/);
  // a numeric without a declared scale among them: refused, not compared as text
  await refused('SELECT greatest(raw_num, price) FROM trades_iceberg', /GREATEST\/LEAST over numerics without a declared scale/);
  await refused('SELECT id FROM trades_iceberg WHERE (id, qty) IS DISTINCT FROM (1, 2)', /row constructors/);
  await refused('SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY fee DESC) FROM trades_iceberg');
  await refused('SELECT mode() WITHIN GROUP (ORDER BY fee) FROM trades_iceberg', /double precision/);
  await refused('SELECT mode() WITHIN GROUP (ORDER BY side) FROM trades_iceberg', /character/);
  await refused('SELECT sym FROM trades_iceberg GROUP BY sym HAVING mode() WITHIN GROUP (ORDER BY qty) > 0', /HAVING/);
  await refused("SELECT id FROM trades_iceberg ORDER BY sym COLLATE \"en-x-icu\"");
  await refused('SELECT id FROM trades_iceberg ORDER BY attrs');
  await refused('SELECT ts::time(0) FROM trades_iceberg', /time\(0\)/);
  await refused('SELECT width_bucket(price, ARRAY[1, 10, 100]) FROM trades_iceberg', /width_bucket/);
  // initcap() of non-ASCII text follows the locale's word and case rules (refused per value; here C.UTF-8)
  await refused('SELECT initcap(sym) FROM trades_iceberg', /initcap\(\) of non-ASCII text/);
  await refused("SELECT format('%I', sym) FROM trades_iceberg", /%I/);
  await refused("SELECT format('%s %s', sym) FROM trades_iceberg", /fewer arguments/);
  await refused("SELECT format(note, sym) FROM trades_iceberg", /constant format string/);
  await refused("SELECT json_build_object('fee', fee) FROM trades_iceberg", /double precision/);
  await refused("SELECT jsonb_build_object('ts', ts) FROM trades_iceberg", /timestamp with time zone/);
  await refused("SELECT json_build_object('tags', tags) FROM trades_iceberg", /text\[\]/);
  await refused("SELECT json_build_object('a', 1, 'b') FROM trades_iceberg", /odd number/);
  await refused('SELECT json_agg(fee) FROM trades_iceberg', /double precision/);
  await refused("SELECT to_char(price, '9D99') FROM trades_iceberg", /format character "D"/);
  await refused("SELECT to_char(price, 'S999.99') FROM trades_iceberg", /format character "S"/);
  await refused("SELECT to_char(price, 'FM9.9.9') FROM trades_iceberg", /two decimal points/);
  await refused("SELECT to_char(fee, '999.99') FROM trades_iceberg", /double precision/);
  await refused("SELECT to_char(price, note) FROM trades_iceberg");
  await refused('SELECT json_agg(DISTINCT sym) FROM trades_iceberg', /DISTINCT/);
  await refused('SELECT jsonb_object_agg(attrs, id) FROM trades_iceberg', /key of type jsonb/);
  await refused('SELECT json_build_array(ts) FROM trades_iceberg', /timestamp with time zone/);
  // QUALIFY (which keeps the ties) runs before DISTINCT in DuckDB
  await refused('SELECT DISTINCT side FROM trades_iceberg ORDER BY side FETCH FIRST 1 ROW WITH TIES', /WITH TIES with DISTINCT/);
  // RANGE frames: Postgres' own rules for an infinite offset; days and months over timestamptz step on the session
  // zone's calendar
  await refused("SELECT count(*) OVER (ORDER BY fee RANGE BETWEEN 'Infinity' PRECEDING AND CURRENT ROW) FROM trades_iceberg", /infinite RANGE offset/);
  await refused("SELECT count(*) OVER (ORDER BY ts RANGE BETWEEN '1 day' PRECEDING AND CURRENT ROW) FROM trades_iceberg", /days or months over timestamp with time zone/);
  await refused("SELECT count(*) OVER (ORDER BY sym RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM trades_iceberg");
  // DuckDB tells '1 mon -19 days' and '11 days' apart; Postgres calls them equal
  await refused('SELECT id FROM trades_iceberg WHERE dur IN (SELECT dur FROM trades_iceberg WHERE id < 5)', /over intervals/);
  await refused('SELECT id FROM trades_iceberg WHERE qty > ALL (SELECT ratio FROM trades_iceberg)', /between real and another type/);
  await refused("SELECT to_char(trade_date - 800000, 'CC') FROM trades_iceberg", /CC of dates before 1 AD/);
  // DuckDB's timestamps end in the year 294247, Postgres' in 294276
  await refused("SELECT local_ts + interval '292230 years' FROM trades_iceberg", /past the year 294247/);
});
