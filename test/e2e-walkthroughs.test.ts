// The walkthroughs end to end through the real lakegate (control plane, CDC, Iceberg, DuckDB engine) with a
// real Postgres: the quickstart as a psql script written exactly as a user would type it, the orders, archive
// and logs examples, DROP TABLE of a mirror and the mooncake.* calls. Every mirror query is compared with the
// same query on the source table on Postgres directly: RowDescription (names, types, typmods) and every value.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { eventually } from './helpers/eventually.js';
import { RawClient, fe } from './clients/raw.js';
import { createMirror, psql, RAW, sameAnswer, startStack, type Stack } from './clients/compare.js';

const HAVE_PSQL = spawnSync('psql', ['--version']).status === 0;
let s: Stack;

before(async () => {
  s = await startStack();
});

after(async () => {
  await s?.stop();
});

/** the mirror a query through lakegate must be answered from (never from Postgres, whose view refuses) */
async function servedByLakegate(sql: string): Promise<void> {
  await assert.rejects(s.direct.query(sql), { code: '0A000', message: /is a lakegate mirror/ });
}

test('quickstart as a psql script: create_table, then the very next statement reads the mirror', async (t) => {
  if (!HAVE_PSQL) return t.skip('psql is not installed (Debian package postgresql-client)');
  const script = `
CREATE TABLE trades(id int primary key, symbol text, time timestamp, price numeric);
INSERT INTO trades VALUES
  (1, 'AMD', '2024-06-05 10:00:00', 119.20),
  (2, 'AMZN', '2024-06-05 10:05:00', 207),
  (3, 'AAPL', '2024-06-05 10:10:00', 203.5),
  (4, 'AMZN', '2024-06-05 10:15:00', 210.25);
CALL mooncake.create_table('trades_iceberg', 'trades');
SELECT avg(price) FROM trades_iceberg WHERE symbol = 'AMZN';
UPDATE trades SET price = 300 WHERE id = 2;
SELECT avg(price) FROM trades_iceberg WHERE symbol = 'AMZN';
SELECT * FROM trades_iceberg ORDER BY id;
`;
  const r = await psql(s.gate.port, ['-f', '-'], { input: script });
  assert.equal(r.code, 0, r.stderr);
  // what psql prints when Postgres answers the same questions on the source table
  const pgOut = async (sql: string) => {
    const o = await psql(s.pg.port, ['-c', sql]);
    assert.equal(o.code, 0, o.stderr);
    return o.stdout;
  };
  const avgOf = (vals: string) => pgOut(`SELECT avg(price) FROM (VALUES ${vals}) AS trades(price)`);
  const want =
    'CREATE TABLE\nINSERT 0 4\nCALL\n' +
    (await avgOf('(207::numeric), (210.25)')) +
    'UPDATE 1\n' +
    (await avgOf('(300::numeric), (210.25)')) + // the UPDATE is seen at once
    (await pgOut('SELECT * FROM trades ORDER BY id'));
  assert.equal(r.stdout, want);
  await servedByLakegate('SELECT count(*) FROM trades_iceberg');
});

test('quickstart: results equal Postgres on the source; writes are visible at once, in other sessions too', async () => {
  const q = "SELECT avg(price) FROM trades_iceberg WHERE symbol = 'AMZN'";
  await sameAnswer(s, q, ['trades_iceberg', 'trades']);
  await sameAnswer(s, 'SELECT * FROM trades_iceberg ORDER BY id', ['trades_iceberg', 'trades']);
  await sameAnswer(s, 'SELECT symbol, count(*), sum(price), min(time), max(price) FROM trades_iceberg GROUP BY symbol ORDER BY symbol', ['trades_iceberg', 'trades']);
  const other = await s.gate.client();
  for (const price of ['301.5', '17', '1234.125']) {
    await s.lake.query('UPDATE trades SET price = $1 WHERE id = 2', [price]);
    // strict freshness: the very next query through lakegate, in this session and another one
    await sameAnswer(s, q, ['trades_iceberg', 'trades']);
    await sameAnswer(s, q, ['trades_iceberg', 'trades'], { lake: other });
  }
  // written straight to Postgres, read through lakegate
  await s.direct.query("INSERT INTO trades VALUES (5, 'AMZN', '2024-06-05 10:20:00', 99.99)");
  await s.direct.query('DELETE FROM trades WHERE id = 1');
  await sameAnswer(s, 'SELECT * FROM trades_iceberg ORDER BY id', ['trades_iceberg', 'trades'], { lake: other });
  await sameAnswer(s, q, ['trades_iceberg', 'trades']);
  await other.end();
});

test('SHOW lakegate.freshness_wait: none before a mirror query, then how long the last one waited for freshness', async () => {
  const c = await s.gate.client();
  try {
    const show = async () => {
      // one named statement, prepared once and reused: it must report the query before each execution
      const r = await c.query({ name: 'lg_freshness_wait', text: 'SHOW lakegate.freshness_wait', rowMode: 'array' });
      assert.deepEqual(r.fields.map((f) => f.name), ['lakegate.freshness_wait']);
      return r.rows[0][0] as string;
    };
    assert.equal(await show(), 'none');
    // a statement that went upstream is not a mirror query: still none
    await c.query('SELECT 1');
    assert.equal(await show(), 'none');
    const figures: number[] = [];
    for (let i = 0; i < 3; i++) {
      await s.direct.query('UPDATE trades SET price = price + 1 WHERE id = 2');
      // simple and extended protocol
      const r = i % 2 === 0
        ? await c.query("SELECT count(*)::int AS n FROM trades_iceberg WHERE symbol = 'AMZN'")
        : await c.query('SELECT count(*)::int AS n FROM trades_iceberg WHERE symbol = $1', ['AMZN']);
      assert.equal(r.rows[0].n, (await s.direct.query("SELECT count(*)::int AS n FROM trades WHERE symbol = 'AMZN'")).rows[0].n);
      const v = await show();
      assert.match(v, /^\d+\.\d{3} ms$/);
      figures.push(parseFloat(v));
    }
    // the wait is part of the query: never longer than the timeout a strict query waits at most
    for (const f of figures) assert.ok(f >= 0 && f < 10_000, String(f));
  } finally {
    await c.end();
  }
});

test('several statements in one query string with mirror queries: in order, one implicit transaction', async () => {
  const c = await s.gate.client();
  const d = await s.pg.client();
  try {
    // every statement's answer, as node-pg returns a multi-statement simple Query
    const all = async (client: typeof c, sql: string) => {
      const r = (await client.query({ text: sql, rowMode: 'array', types: RAW })) as unknown as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(r) ? r : [r]).map((x) => ({ command: x.command, fields: x.fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier]), rows: x.rows }));
    };
    const same = async (sql: string) => {
      const got = await all(c, sql);
      assert.deepEqual(got, await all(d, sql.split('trades_iceberg').join('trades')), sql);
      return got;
    };
    // mirror queries, an ordinary table, SET and SHOW relayed from Postgres; the SET applies to what follows
    const got = await same(
      "SELECT symbol, count(*), sum(price) FROM trades_iceberg GROUP BY symbol ORDER BY symbol; SELECT count(*) FROM trades; " +
        "SET TimeZone = 'Asia/Tokyo'; SHOW TimeZone; SELECT max(time)::timestamptz, min(price) FROM trades_iceberg",
    );
    assert.deepEqual(got.map((r) => r.command), ['SELECT', 'SELECT', 'SET', 'SHOW', 'SELECT']);
    assert.equal((await c.query('SHOW TimeZone')).rows[0].TimeZone, 'Asia/Tokyo');
    await c.query('RESET TimeZone');
    const zone = (await c.query('SHOW TimeZone')).rows[0].TimeZone as string;
    // one transaction: the statements share now()
    const times = await all(c, 'SELECT now() FROM trades_iceberg LIMIT 1; SELECT pg_sleep(0.02); SELECT now() FROM trades_iceberg LIMIT 1');
    assert.equal(times[0]!.rows[0]![0], times[2]!.rows[0]![0]);
    // an error ends the string and rolls back its SET; the session goes on outside a transaction
    await assert.rejects(c.query("SET TimeZone = 'Asia/Tokyo'; SELECT 1 / (id - id) FROM trades_iceberg"), { code: '22012' });
    assert.equal((await c.query('SHOW TimeZone')).rows[0].TimeZone, zone);
    await assert.rejects(d.query("SET TimeZone = 'Asia/Tokyo'; SELECT 1 / (id - id) FROM trades"), { code: '22012' });
    // an error in a statement Postgres answers points into the whole string
    const bad = "SELECT count(*) FROM trades_iceberg; SELECT 'x'::int";
    await assert.rejects(c.query(bad), (e: pg.DatabaseError) => e.code === '22P02' && e.position === String(bad.indexOf("'x'") + 1));
    // BEGIN … COMMIT around the string; afterwards no transaction is open
    await same('BEGIN; SELECT count(*), max(id) FROM trades_iceberg; SELECT count(*) FROM trades; COMMIT');
    assert.equal((await all(c, 'SELECT count(*) FROM trades_iceberg; SELECT 1'))[1]!.rows[0]![0], '1');
    // transaction control elsewhere cannot share the string's transaction as Postgres would: refused, nothing runs
    await assert.rejects(c.query('SELECT count(*) FROM trades_iceberg; BEGIN; SELECT 1'), { code: '0A000', message: /BEGIN at this place/ });
    // a Parse takes one statement, as in Postgres
    await assert.rejects(c.query('SELECT count(*) FROM trades_iceberg WHERE id > $1; SELECT 1', [0]), { code: '42601', message: 'cannot insert multiple commands into a prepared statement' });
    await assert.rejects(d.query('SELECT count(*) FROM trades WHERE id > $1; SELECT 1', [0]), { code: '42601', message: 'cannot insert multiple commands into a prepared statement' });
    assert.equal((await c.query('SELECT count(*)::int AS n FROM trades_iceberg')).rows[0].n, (await d.query('SELECT count(*)::int AS n FROM trades')).rows[0].n);
    // a cancel while Postgres runs one of the statements cancels that statement, and the rest is skipped
    const pid = (c as unknown as { processID: number }).processID;
    const secret = (c as unknown as { secretKey: number | Buffer }).secretKey;
    const key = Buffer.isBuffer(secret) ? secret : Buffer.from([secret >>> 24, (secret >>> 16) & 255, (secret >>> 8) & 255, secret & 255]);
    const sleeping = c.query('SELECT count(*) FROM trades_iceberg; SELECT pg_sleep(30); SELECT count(*) FROM trades_iceberg');
    await eventually(async () => {
      const r = await d.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active' AND query = 'SELECT pg_sleep(30)'`, [pid]);
      return r.rows[0].n === 1;
    }, 'the sleep running upstream');
    const started = Date.now();
    const raw = await RawClient.connect(s.gate.port);
    raw.write(fe.cancelRequest(pid, key));
    await assert.rejects(sleeping, { code: '57014' });
    assert.ok(Date.now() - started < 5000, 'the cancel took effect at once');
    await raw.closedPromise;
    assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
  } finally {
    await c.end();
    await d.end();
  }
});

test('orders: writes to orders, analytics on orders_analytics with CURRENT_DATE filters and GROUP BY', async () => {
  await s.lake.query(`
    CREATE TABLE orders (
      id bigserial PRIMARY KEY,
      customer_id int NOT NULL,
      product text NOT NULL,
      quantity int NOT NULL,
      amount numeric(10,2) NOT NULL,
      status text NOT NULL DEFAULT 'pending',
      order_date date NOT NULL DEFAULT CURRENT_DATE,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  await s.lake.query(`CALL mooncake.create_table('orders_analytics', 'orders')`);
  // the application keeps writing to orders, through lakegate
  await s.lake.query(`
    INSERT INTO orders (customer_id, product, quantity, amount, status, order_date)
    SELECT 100 + i % 7, (ARRAY['widget','gadget','gizmo'])[1 + i % 3], 1 + i % 4, round((i * 7.35)::numeric, 2),
           (ARRAY['pending','shipped','delivered','cancelled'])[1 + i % 4], CURRENT_DATE - (i % 45)
      FROM generate_series(1, 120) i`);
  await s.lake.query(`UPDATE orders SET status = 'shipped' WHERE status = 'pending' AND customer_id = 101`);
  await s.lake.query(`DELETE FROM orders WHERE status = 'cancelled' AND customer_id = 102`);
  const m: [string, string] = ['orders_analytics', 'orders'];
  await sameAnswer(s, `SELECT order_date, count(*) AS orders, sum(amount) AS revenue, avg(amount) AS avg_order
    FROM orders_analytics WHERE order_date >= CURRENT_DATE - INTERVAL '7 days'
    GROUP BY order_date ORDER BY order_date DESC`, m);
  await sameAnswer(s, `SELECT product, status, count(*), sum(quantity), sum(amount)
    FROM orders_analytics WHERE order_date > CURRENT_DATE - 30 GROUP BY product, status ORDER BY product, status`, m);
  await sameAnswer(s, `SELECT customer_id, count(*) AS orders, sum(amount) AS total
    FROM orders_analytics WHERE order_date BETWEEN CURRENT_DATE - 14 AND CURRENT_DATE AND status <> 'cancelled'
    GROUP BY customer_id HAVING count(*) > 1 ORDER BY total DESC, customer_id`, m);
  await sameAnswer(s, `SELECT date_trunc('week', order_date) AS week, count(*), round(avg(amount), 2)
    FROM orders_analytics WHERE order_date >= date_trunc('month', CURRENT_DATE) - INTERVAL '1 month'
    GROUP BY 1 ORDER BY 1`, m);
  await sameAnswer(s, `SELECT count(*) FILTER (WHERE status = 'delivered'), count(DISTINCT customer_id), max(created_at) > now() - interval '1 hour'
    FROM orders_analytics WHERE order_date = CURRENT_DATE - 3`, m);
  await sameAnswer(s, 'SELECT * FROM orders_analytics WHERE id = $1', m, { values: [17] });
});

test('archive: a partitioned source keeps its history in the mirror after a partition is dropped', async () => {
  await s.lake.query(`
    CREATE TABLE transactions (id bigint NOT NULL, account int NOT NULL, amount numeric(12,2), created_at date NOT NULL,
      PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)`);
  await s.lake.query(`CREATE TABLE transactions_p1 PARTITION OF transactions FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')`);
  await s.lake.query(`INSERT INTO transactions VALUES (1, 10, 100.00, '2024-01-05'), (2, 11, -25.50, '2024-01-17'), (3, 10, 310.25, '2024-01-30')`);
  await s.lake.query(`CALL mooncake.create_table('transactions_archive', 'transactions')`);
  const m: [string, string] = ['transactions_archive', 'transactions'];
  await sameAnswer(s, 'SELECT * FROM transactions_archive ORDER BY id', m);
  // retention on the source: p1 goes, p2 arrives
  await s.lake.query('ALTER TABLE transactions DETACH PARTITION transactions_p1');
  await s.lake.query('DROP TABLE transactions_p1');
  await s.lake.query(`CREATE TABLE transactions_p2 PARTITION OF transactions FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')`);
  await s.lake.query(`INSERT INTO transactions VALUES (4, 12, 42.00, '2024-02-02'), (5, 10, 7.77, '2024-02-14'), (6, 11, 1000.00, '2024-02-28')`);
  const src = await s.direct.query('SELECT count(*)::int AS n FROM transactions');
  assert.equal(src.rows[0].n, 3);
  // the mirror keeps all six; its columns are the source's (compared against the source's RowDescription)
  const all = `SELECT * FROM transactions_archive ORDER BY id`;
  const got = await s.lake.query({ text: all, rowMode: 'array' });
  const want = await s.direct.query({ text: 'SELECT * FROM transactions ORDER BY id', rowMode: 'array' });
  assert.deepEqual(got.fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier]), want.fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier]));
  const text = await s.lake.query({ text: `SELECT id, account, amount::text, created_at::text FROM transactions_archive ORDER BY id`, rowMode: 'array' });
  assert.deepEqual(text.rows, [
    ['1', 10, '100.00', '2024-01-05'],
    ['2', 11, '-25.50', '2024-01-17'],
    ['3', 10, '310.25', '2024-01-30'],
    ['4', 12, '42.00', '2024-02-02'],
    ['5', 10, '7.77', '2024-02-14'],
    ['6', 11, '1000.00', '2024-02-28'],
  ]);
  // rows still in the source answer exactly as there
  await sameAnswer(s, `SELECT account, count(*), sum(amount) FROM transactions_archive WHERE created_at >= '2024-02-01' GROUP BY account ORDER BY account`, m);
  await sameAnswer(s, `SELECT date_trunc('month', created_at)::date AS month, sum(amount) FROM transactions_archive
    WHERE created_at >= '2024-02-01' GROUP BY 1 ORDER BY 1`, m);
});

test('logs: no primary key, jsonb attributes, the last hour grouped by service and level', async () => {
  await s.lake.query(`
    CREATE TABLE logs (
      "timestamp" timestamptz NOT NULL DEFAULT now(),
      service text NOT NULL,
      level text NOT NULL,
      message text,
      attributes jsonb
    )`);
  const created = await psql(s.gate.port, ['-c', `CALL mooncake.create_table('logs_iceberg', 'logs')`]);
  assert.equal(created.code, 0, created.stderr);
  // a source without a key becomes REPLICA IDENTITY FULL, and Postgres says so (the call went upstream untouched)
  assert.match(created.stderr, /NOTICE: .*REPLICA IDENTITY FULL/i);
  await s.lake.query(`
    INSERT INTO logs ("timestamp", service, level, message, attributes)
    SELECT now() - (i * interval '97 seconds'), (ARRAY['api','worker','billing'])[1 + i % 3], (ARRAY['info','warn','error','info'])[1 + i % 4],
           'event ' || i,
           jsonb_build_object('user_id', 1000 + i % 9, 'latency_ms', (i * 13) % 700, 'path', '/v1/' || (ARRAY['orders','users'])[1 + i % 2],
                              'tags', jsonb_build_array('t' || i % 3, 't' || i % 5), 'ok', i % 4 <> 2)
      FROM generate_series(1, 90) i`);
  // duplicates are legal without a key; delete one of two equal rows
  await s.lake.query(`INSERT INTO logs SELECT * FROM logs WHERE message = 'event 7'`);
  await s.lake.query(`DELETE FROM logs WHERE ctid = (SELECT min(ctid) FROM logs WHERE message = 'event 7')`);
  await s.lake.query(`UPDATE logs SET level = 'error' WHERE message = 'event 10'`);
  const m: [string, string] = ['logs_iceberg', 'logs'];
  await sameAnswer(s, `SELECT service, level, count(*) FROM logs_iceberg
    WHERE "timestamp" >= NOW() - INTERVAL '1 hour' GROUP BY service, level ORDER BY service, level`, m);
  await sameAnswer(s, `SELECT attributes->>'path' AS path, count(*), avg((attributes->>'latency_ms')::int) AS avg_latency,
      max((attributes->>'latency_ms')::int) FROM logs_iceberg
    WHERE level = 'error' AND "timestamp" >= now() - interval '1 hour' GROUP BY 1 ORDER BY 1`, m);
  await sameAnswer(s, `SELECT attributes->>'user_id' AS user_id, count(*) FROM logs_iceberg
    WHERE attributes @> '{"ok": false}' GROUP BY 1 ORDER BY 2 DESC, 1`, m);
  await sameAnswer(s, `SELECT message, attributes, attributes->'tags'->>0 AS first_tag, jsonb_typeof(attributes->'ok')
    FROM logs_iceberg WHERE attributes ? 'path' AND message LIKE 'event 1%' ORDER BY "timestamp" DESC LIMIT 5`, m);
  await sameAnswer(s, `SELECT count(*), count(DISTINCT message) FROM logs_iceberg WHERE message = 'event 7'`, m);
});

test('DROP TABLE of a mirror through lakegate removes it; Postgres alone would refuse', async () => {
  await s.lake.query('CREATE TABLE drop_src (id int PRIMARY KEY, v text)');
  await s.lake.query(`INSERT INTO drop_src VALUES (1, 'a'), (2, 'b')`);
  await createMirror(s, 'drop_src_iceberg', 'drop_src');
  // straight to Postgres: the mirror is a view
  await assert.rejects(s.direct.query('DROP TABLE drop_src_iceberg'), { code: '42809' });
  const r = await s.lake.query('DROP TABLE drop_src_iceberg');
  assert.equal(r.command, 'DROP');
  const reg = await s.direct.query(`SELECT state FROM mooncake.columnstore_tables WHERE "table" = 'public.drop_src_iceberg'`);
  assert.ok(reg.rows.length === 0 || reg.rows[0].state === 'dropping', JSON.stringify(reg.rows));
  await assert.rejects(s.lake.query('SELECT * FROM drop_src_iceberg'), { code: '42P01', message: 'relation "drop_src_iceberg" does not exist' });
  // the files go and the name can be used again at once
  await waitFor(async () => (await s.direct.query(`SELECT count(*)::int AS n FROM mooncake.mirrors WHERE mirror_name = 'drop_src_iceberg'`)).rows[0].n === 0);
  await s.lake.query(`CALL mooncake.create_table('drop_src_iceberg', 'drop_src')`);
  await sameAnswer(s, 'SELECT * FROM drop_src_iceberg ORDER BY id', ['drop_src_iceberg', 'drop_src']);
  // extended protocol, IF EXISTS, schema-qualified
  await s.lake.query({ text: 'DROP TABLE IF EXISTS public.drop_src_iceberg', values: [] });
  await assert.rejects(s.lake.query('SELECT 1 FROM drop_src_iceberg'), { code: '42P01' });
  // the name reused at once for an ordinary table: Postgres answers for it, never the old mirror's rows
  await createMirror(s, 'reused_iceberg', 'drop_src');
  await s.lake.query('DROP TABLE reused_iceberg');
  await s.lake.query(`CREATE TABLE reused_iceberg (id int, v text); INSERT INTO reused_iceberg VALUES (42, 'new')`);
  const r2 = await s.lake.query({ text: 'SELECT * FROM reused_iceberg', rowMode: 'array' });
  assert.deepEqual(r2.rows, [[42, 'new']]);
  const r3 = await s.lake.query({ text: 'SELECT v FROM reused_iceberg WHERE id = $1', values: [42], rowMode: 'array' });
  assert.deepEqual(r3.rows, [['new']]);
});

test('DROP TABLE: command tag, transactions, mixes with ordinary tables, CASCADE, privileges', async (t) => {
  await s.lake.query('CREATE TABLE d2 (id int PRIMARY KEY, v text)');
  await s.lake.query(`INSERT INTO d2 VALUES (1, 'x')`);
  await createMirror(s, 'd2_iceberg', 'd2');
  if (HAVE_PSQL) {
    const r = await psql(s.gate.port, ['-c', 'BEGIN', '-c', 'DROP TABLE d2_iceberg', '-c', 'ROLLBACK']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'BEGIN\nDROP TABLE\nROLLBACK\n');
  } else t.diagnostic('psql missing: command tag checked through node-pg only');
  // rolled back: still a mirror, still served
  await sameAnswer(s, 'SELECT * FROM d2_iceberg', ['d2_iceberg', 'd2']);

  // a mirror and an ordinary table in one statement: both go, atomically. (Statements that fail run in
  // sessions of their own: see 'a failed DROP TABLE of a mirror leaves the session usable'.)
  await s.lake.query('CREATE TABLE plain1 (a int)');
  const e1 = await s.gate.client();
  await assert.rejects(e1.query('DROP TABLE d2_iceberg, plain1, no_such_table'), { code: '42P01', message: 'table "no_such_table" does not exist' });
  await e1.end();
  await sameAnswer(s, 'SELECT * FROM d2_iceberg', ['d2_iceberg', 'd2']);
  assert.equal((await s.direct.query(`SELECT to_regclass('plain1') IS NOT NULL AS ok`)).rows[0].ok, true);
  const mixed = await s.lake.query('DROP TABLE IF EXISTS d2_iceberg, plain1, no_such_table');
  assert.equal(mixed.command, 'DROP');
  const gone = await s.direct.query(`SELECT to_regclass('plain1') IS NULL AND to_regclass('d2_iceberg') IS NULL AS ok`);
  assert.equal(gone.rows[0].ok, true);

  // a view over a mirror: RESTRICT refuses like Postgres, CASCADE takes it along
  await createMirror(s, 'd3_iceberg', 'd2');
  await s.lake.query('CREATE VIEW d3_view AS SELECT id FROM d3_iceberg');
  const e2 = await s.gate.client();
  await assert.rejects(e2.query('DROP TABLE d3_iceberg'), { code: '2BP01' });
  await e2.end();
  await s.lake.query('DROP TABLE d3_iceberg CASCADE');
  assert.equal((await s.direct.query(`SELECT to_regclass('d3_view') IS NULL AND to_regclass('d3_iceberg') IS NULL AS ok`)).rows[0].ok, true);
  await waitFor(async () => (await s.direct.query(`SELECT count(*)::int AS n FROM mooncake.mirrors WHERE mirror_name = 'd3_iceberg'`)).rows[0].n === 0);

  // several statements in one string with a DROP of a mirror: refused, nothing happens
  await createMirror(s, 'd4_iceberg', 'd2');
  await assert.rejects(s.lake.query('DROP TABLE d4_iceberg; SELECT 1'), { code: '0A000', message: /on its own/ });
  await sameAnswer(s, 'SELECT * FROM d4_iceberg', ['d4_iceberg', 'd2']);

  // only an owner (or the mirror's creator) may drop it
  await s.direct.query('CREATE ROLE lg_intruder LOGIN');
  const intruder = await s.gate.client({ user: 'lg_intruder' });
  await assert.rejects(intruder.query('DROP TABLE d4_iceberg'), { code: '42501', message: /must be owner of mirror/ });
  await intruder.end();
  await sameAnswer(s, 'SELECT * FROM d4_iceberg', ['d4_iceberg', 'd2']);
  // DROP VIEW goes to Postgres, whose trigger marks the mirror; the name reused at once is Postgres' again
  await s.lake.query('DROP VIEW d4_iceberg');
  await s.lake.query('CREATE TABLE d4_iceberg AS SELECT 5 AS x');
  assert.deepEqual((await s.lake.query({ text: 'SELECT * FROM d4_iceberg', rowMode: 'array' })).rows, [[5]]);
  await waitFor(async () => (await s.direct.query(`SELECT count(*)::int AS n FROM mooncake.mirrors WHERE mirror_name = 'd4_iceberg'`)).rows[0].n === 0);
});

test('a failed DROP TABLE of a mirror leaves the session usable (Postgres: the next statement just runs)', async () => {
  await s.lake.query('CREATE TABLE d5 (id int PRIMARY KEY)');
  await s.lake.query('INSERT INTO d5 VALUES (1), (2)');
  await createMirror(s, 'd5_iceberg', 'd5');
  await s.lake.query('CREATE VIEW d5_view AS SELECT * FROM d5_iceberg');
  const c = await s.gate.client();
  try {
    await assert.rejects(c.query('DROP TABLE d5_iceberg'), { code: '2BP01' });
    await sameAnswer(s, 'SELECT * FROM d5_iceberg ORDER BY id', ['d5_iceberg', 'd5'], { lake: c });
  } finally {
    await c.end();
  }
});

test('mooncake.* calls through lakegate', async () => {
  const snap = await s.lake.query(`CALL mooncake.create_snapshot('trades_iceberg')`);
  assert.equal(snap.command, 'CALL');
  const opt = await s.lake.query(`CALL mooncake.optimize_table('trades_iceberg', 'full')`);
  assert.equal(opt.command, 'CALL');
  const list = await s.lake.query(`SELECT "table", cardinality FROM mooncake.list_tables() ORDER BY 1`);
  const names = list.rows.map((r) => r.table);
  for (const n of ['public.logs_iceberg', 'public.orders_analytics', 'public.trades_iceberg', 'public.transactions_archive']) assert.ok(names.includes(n), names.join());
  const trades = list.rows.find((r) => r.table === 'public.trades_iceberg');
  assert.equal(trades.cardinality, (await s.direct.query('SELECT count(*) FROM trades')).rows[0].count);
  const st = await s.lake.query(`SELECT state, source FROM mooncake.columnstore_tables WHERE "table" = 'public.orders_analytics'`);
  assert.deepEqual(st.rows, [{ state: 'ready', source: 'public.orders' }]);
  // and the mirror still answers like its source after compaction
  await sameAnswer(s, 'SELECT * FROM trades_iceberg ORDER BY id', ['trades_iceberg', 'trades']);
  // a wrong call fails with the control plane's error
  await assert.rejects(s.lake.query(`CALL mooncake.drop_table('no_such_mirror')`), { code: '42P01' });
  // quoted, schema-qualified names, and a named argument: the very next statement is answered from the mirror
  await s.lake.query('CREATE SCHEMA "Desk"');
  await s.lake.query(`CALL mooncake.create_table(mirror => '"Desk"."Trades Mirror"', source => 'public.trades')`);
  await sameAnswer(s, 'SELECT symbol, sum(price) FROM "Desk"."Trades Mirror" GROUP BY 1 ORDER BY 1', 'SELECT symbol, sum(price) FROM trades GROUP BY 1 ORDER BY 1');
  await s.lake.query('SET search_path = "Desk", public');
  await sameAnswer(s, 'SELECT * FROM "Trades Mirror" ORDER BY id', 'SELECT * FROM public.trades ORDER BY id');
  await s.lake.query('DROP TABLE "Trades Mirror"');
  await s.lake.query('RESET search_path');
  await assert.rejects(s.lake.query('SELECT 1 FROM "Desk"."Trades Mirror"'), { code: '42P01' });
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
