// The engine behind the real wire session: node-pg clients of lakegate (simple and extended protocol, parameters,
// named statements, binary results, transactions, errors) get exactly what the same client gets from Postgres.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { DuckDBInstance } from '@duckdb/node-api';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { engineCatalogSql } from './helpers/engine-catalog.js';
import { startGate, type Gate } from './helpers/lakegate.js';
import { EngineRouter, StaticMirrorSource } from '../src/engine/index.js';

let pgdb: TestPostgres;
let gate: Gate;
let db: DuckDBInstance;
let direct: pg.Client;
let viaGate: pg.Client;

// raw text values, no client-side parsing
const raw = { getTypeParser: () => (v: unknown) => v } as unknown as pg.CustomTypesConfig;

before(async () => {
  pgdb = await startPostgres();
  await pgdb.sql(engineCatalogSql());
  await pgdb.sql(`
    CREATE TABLE sales (id int4, region text, amount numeric(10,2), sold_at timestamptz, qty int2, score float8);
    INSERT INTO sales SELECT i, (ARRAY['north','south','east'])[i % 3 + 1], (i * 3.75)::numeric(10,2),
      timestamptz '2024-01-01 00:00+00' + i * interval '7 hours 13 minutes', (i % 17)::int2, i / 8.0
      FROM generate_series(1, 200) i;
    CREATE VIEW sales_iceberg AS SELECT * FROM sales;
  `);
  db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`CREATE TABLE lg_sales (id INTEGER, region VARCHAR, amount DECIMAL(10,2), sold_at TIMESTAMPTZ, qty INTEGER, score DOUBLE)`);
  await c.run(`INSERT INTO lg_sales SELECT i, (['north','south','east'])[i % 3 + 1], CAST(i * 3.75 AS DECIMAL(10,2)),
      TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '7 hours 13 minutes', i % 17, i / 8.0 FROM range(1, 201) t(i)`);
  c.closeSync();
  const router = await EngineRouter.create({
    duckdb: { instance: db, connect: () => db.connect() },
    mirrors: new StaticMirrorSource([{ schema: 'public', name: 'sales_iceberg', relation: 'lg_sales' }]),
  });
  gate = await startGate({ 'upstream.url': `postgres://postgres@127.0.0.1:${pgdb.port}/postgres` }, { router });
  direct = await pgdb.client();
  viaGate = await gate.client();
});

after(async () => {
  await viaGate?.end().catch(() => {});
  await direct?.end().catch(() => {});
  await gate?.close();
  db?.closeSync();
  await pgdb?.destroy();
});

async function both(q: pg.QueryConfig): Promise<void> {
  const cfg = { ...q, rowMode: 'array' as const, types: raw };
  const want = await direct.query(cfg);
  const got = await viaGate.query(cfg);
  assert.deepEqual(got.fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier, f.format]), want.fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier, f.format]), q.text);
  assert.deepEqual(got.rows, want.rows, q.text);
  assert.equal(got.command, want.command);
  assert.equal(got.rowCount, want.rowCount);
}

test('simple and extended protocol through the session', async () => {
  await both({ text: 'SELECT region, count(*), sum(amount), avg(amount), max(sold_at) FROM sales_iceberg GROUP BY region ORDER BY region' });
  await both({ text: 'SELECT id, amount, sold_at, score FROM sales_iceberg WHERE region = $1 AND qty > $2 ORDER BY id LIMIT $3', values: ['south', 5, 10] });
  await both({ text: 'SELECT id, amount * $1 AS x FROM sales_iceberg WHERE id = ANY($2::int[]) ORDER BY id', values: ['1.5', '{3,5,8}'] });
  await both({ name: 'by_region', text: 'SELECT count(*), avg(score) FROM sales_iceberg WHERE region = $1', values: ['north'] });
  await both({ name: 'by_region', text: 'SELECT count(*), avg(score) FROM sales_iceberg WHERE region = $1', values: ['east'] });
  await both({ text: 'SELECT id, qty, amount, sold_at, score FROM sales_iceberg ORDER BY id LIMIT 20', binary: true } as pg.QueryConfig);
});

test('session settings and transactions are the client\'s own', async () => {
  for (const c of [direct, viaGate]) await c.query("SET TimeZone = 'Asia/Kathmandu'; SET DateStyle = 'SQL, DMY'");
  await both({ text: "SELECT id, sold_at, sold_at::date, date_trunc('day', sold_at) FROM sales_iceberg WHERE sold_at < '15/01/2024' ORDER BY id" });
  for (const c of [direct, viaGate]) await c.query('RESET TimeZone; RESET DateStyle');
  await viaGate.query('BEGIN');
  try {
    const r = await viaGate.query({ text: 'SELECT count(*) FROM sales_iceberg', rowMode: 'array' });
    assert.deepEqual(r.rows, [['200']]);
    // an upstream statement in the same transaction still works, and now() is the transaction's
    const t1 = await viaGate.query({ text: 'SELECT extract(epoch FROM now())', rowMode: 'array', types: raw });
    const t2 = await viaGate.query({ text: 'SELECT extract(epoch FROM max(now())) FROM sales_iceberg', rowMode: 'array', types: raw });
    assert.deepEqual(t2.rows, t1.rows);
  } finally {
    await viaGate.query('COMMIT');
  }
});

test('errors reach the client as Postgres would send them, and the session continues', async () => {
  await assert.rejects(viaGate.query('SELECT nope FROM sales_iceberg'), { code: '42703' });
  await assert.rejects(viaGate.query('SELECT id / (qty - qty) FROM sales_iceberg'), { code: '22012' });
  await assert.rejects(viaGate.query('UPDATE sales_iceberg SET qty = 1'), { code: '0A000' });
  await both({ text: 'SELECT count(*) FROM sales_iceberg' });
});
