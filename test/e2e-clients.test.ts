// Real clients querying a mirror through the real lakegate (full pipeline: control plane, CDC, Iceberg,
// DuckDB), each compared with the same client asking Postgres directly on the source table: node-pg (simple,
// extended with parameters, named statements reused, binary results), the raw protocol (transaction status
// inside BEGIN…COMMIT, an error skipping to Sync, cancel), EXPLAIN, psql, pgjdbc and psycopg2; privileges
// (42501 like Postgres) and row-level security refused at create_table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { repoRoot } from './helpers/lakegate.js';
import { fe, fields, RawClient, transcript, type BackendMessage } from './clients/raw.js';
import { createMirror, JDBC_JAR, psql, PYTHON, RAW, run, sameAnswer, startStack, type Stack } from './clients/compare.js';

const have = {
  psql: spawnSync('psql', ['--version']).status === 0,
  java: spawnSync('java', ['-version']).status === 0 && existsSync(JDBC_JAR),
  psycopg2: spawnSync(PYTHON, ['-c', 'import psycopg2']).status === 0,
};

let s: Stack;
const M: [string, string] = ['sales_iceberg', 'sales'];

before(async () => {
  s = await startStack();
  await s.direct.query(`
    CREATE TABLE sales (
      id int PRIMARY KEY, region text NOT NULL, product varchar(20), amount numeric(12,2), qty smallint, score float8,
      sold_on date, sold_at timestamp, sold_tz timestamptz, paid bool, big bigint, tags text[], meta jsonb, ref uuid);
    INSERT INTO sales
    SELECT i, (ARRAY['north','south','east','west'])[1 + i % 4], CASE WHEN i % 11 = 0 THEN NULL ELSE 'product ' || (i % 9) END,
           round((i * 13.37) % 1000, 2), (i % 50)::int2, i / 7.0, date '2024-01-01' + i % 120,
           timestamp '2024-01-01 08:00' + i * interval '5 hours 7 minutes', timestamptz '2024-01-01 00:00+00' + i * interval '3 hours 1 second',
           i % 3 = 0, i::int8 * 1000000007, ARRAY['t' || i % 4, 't' || i % 6], jsonb_build_object('n', i, 'even', i % 2 = 0),
           md5(i::text)::uuid
      FROM generate_series(1, 300) i;
    CREATE ROLE lg_analyst LOGIN; GRANT SELECT ON sales TO lg_analyst;
    CREATE ROLE lg_nobody LOGIN;
    CREATE ROLE lg_partial LOGIN; GRANT SELECT (id, region) ON sales TO lg_partial;
  `);
  await createMirror(s, 'sales_iceberg', 'sales');
});

after(async () => {
  await s?.stop();
});

test('node-pg: simple protocol', async () => {
  await sameAnswer(s, 'SELECT * FROM sales_iceberg ORDER BY id', M);
  await sameAnswer(s, 'SELECT region, count(*), sum(amount), avg(amount), min(sold_at), max(sold_tz), sum(qty), avg(score) FROM sales_iceberg GROUP BY region ORDER BY region', M);
  await sameAnswer(s, `SELECT product, count(*) FILTER (WHERE paid), string_agg(id::text, ',' ORDER BY id) FROM sales_iceberg WHERE sold_on BETWEEN '2024-02-01' AND '2024-02-10' GROUP BY product ORDER BY product NULLS FIRST`, M);
  await sameAnswer(s, `SELECT id, tags, meta->>'n', meta, ref FROM sales_iceberg WHERE 't2' = ANY(tags) AND (meta->>'even')::bool ORDER BY id DESC LIMIT 7`, M);
  await sameAnswer(s, `SELECT date_trunc('month', sold_at) m, region, sum(big) FROM sales_iceberg GROUP BY ROLLUP (1, 2) ORDER BY 1, 2`, M);
});

test('node-pg: extended protocol with parameters, named statements reused, binary results', async () => {
  await sameAnswer(s, 'SELECT id, amount, sold_at FROM sales_iceberg WHERE region = $1 AND amount > $2 ORDER BY id LIMIT $3', M, { values: ['east', '500', 10] });
  await sameAnswer(s, 'SELECT count(*), sum(amount) FROM sales_iceberg WHERE sold_tz >= $1 AND paid = $2', M, { values: ['2024-01-20 12:00:00+00', true] });
  await sameAnswer(s, 'SELECT id FROM sales_iceberg WHERE id = ANY($1::int[]) ORDER BY id', M, { values: ['{3,5,8,13}'] });
  // one named statement, executed again and again with other values (Parse once, Bind/Execute each time)
  for (const region of ['north', 'south', 'east', 'west', 'north']) {
    await sameAnswer(s, 'SELECT count(*), avg(score), max(product) FROM sales_iceberg WHERE region = $1', M, { values: [region], name: `by_region_${M[0]}` });
  }
  // binary result format for every column type in the table
  await sameAnswer(s, 'SELECT id, region, product, amount, qty, score, sold_on, sold_at, sold_tz, paid, big, meta, ref FROM sales_iceberg ORDER BY id LIMIT 40', M, { binary: true });
  await sameAnswer(s, 'SELECT region, sum(amount), count(*) FROM sales_iceberg WHERE id < $1 GROUP BY region ORDER BY 1', M, { values: [150], binary: true });
  // a parameter Postgres rejects: its error, and the session goes on
  const bad = (c: pg.Client, tab: string) => c.query(`SELECT count(*) FROM ${tab} WHERE sold_on > $1`, ['not a date']).then(() => null, (e: pg.DatabaseError) => [e.code, e.message]);
  assert.deepEqual(await bad(s.lake, M[0]), await bad(s.direct, M[1]));
  await sameAnswer(s, 'SELECT count(*) FROM sales_iceberg WHERE sold_on > $1', M, { values: ['2024-03-01'] });
});

test('cursors over mirrors: DECLARE, FETCH, MOVE, CLOSE as Postgres answers them on the source', async () => {
  const lake = await s.gate.client();
  type Step = { sql: string; rows?: unknown[]; command?: string | null; rowCount?: number | null; fields?: string[]; error?: string };
  const steps = async (c: pg.Client, tab: string, sqls: string[]): Promise<Step[]> => {
    const out: Step[] = [];
    for (const sql of sqls.map((q) => q.replaceAll('$T', tab))) {
      const r = await c.query({ text: sql, rowMode: 'array' }).then(
        (x) => ({ sql, rows: x.rows, command: x.command, rowCount: x.rowCount, fields: x.fields.map((f) => `${f.name}:${f.dataTypeID}`) }),
        (e: pg.DatabaseError) => ({ sql, error: `${e.code} ${e.message}` }),
      );
      out.push(r);
    }
    return out;
  };
  const same = async (sqls: string[]) => {
    const mine = await steps(lake, M[0], sqls);
    const theirs = await steps(s.direct, M[1], sqls);
    assert.deepEqual(mine.map((x) => ({ ...x, sql: x.sql.replace(M[0], M[1]) })), theirs);
    return mine;
  };
  try {
    // a transaction's cursor, read in steps; MOVE skips; reads past the end return nothing; gone after COMMIT
    const r = await same([
      'BEGIN',
      'DECLARE c1 CURSOR FOR SELECT id, region, amount, sold_tz FROM $T WHERE id <= 40 ORDER BY id',
      'FETCH 3 FROM c1', 'FETCH FORWARD 2 IN c1', 'FETCH NEXT c1', 'FETCH c1', 'MOVE 5 c1', 'FETCH FORWARD 4 c1',
      'MOVE ALL IN c1', 'FETCH c1', 'CLOSE c1',
      'DECLARE c2 NO SCROLL CURSOR FOR SELECT region, count(*) FROM $T GROUP BY region ORDER BY region',
      'FETCH ALL c2', 'FETCH 1 c2',
      'COMMIT',
      'FETCH 1 c2',
    ]);
    assert.equal(r[2]!.rowCount, 3);
    assert.equal(r[r.length - 1]!.error?.split(' ')[0], '34000', 'the cursor ended with its transaction');
    // errors as Postgres gives them: outside a transaction, backward on a NO SCROLL cursor, a duplicate name
    await same(['DECLARE c3 CURSOR FOR SELECT id FROM $T']);
    await same(['BEGIN', 'DECLARE c4 NO SCROLL CURSOR FOR SELECT id FROM $T ORDER BY id', 'FETCH 2 c4', 'FETCH BACKWARD 1 c4', 'ROLLBACK']);
    await same(['BEGIN', 'DECLARE c5 CURSOR FOR SELECT id FROM $T ORDER BY id', 'DECLARE c5 CURSOR FOR SELECT id FROM $T', 'ROLLBACK']);
    // WITH HOLD, declared outside a transaction, outlives later transactions until CLOSE
    await same([
      'DECLARE h1 CURSOR WITH HOLD FOR SELECT id, product, tags FROM $T WHERE id % 7 = 0 ORDER BY id',
      'FETCH 2 h1', 'BEGIN', 'FETCH 2 h1', 'COMMIT', 'FETCH 100 h1', 'CLOSE h1', 'FETCH 1 h1',
    ]);
    // DISCARD ALL (a pooler's reset) closes HOLD cursors too; inside a transaction block Postgres refuses it and
    // the cursor stays (on a connection of its own: DISCARD ALL resets the session)
    const direct = await s.pg.client();
    try {
      const sqls = ['DECLARE h2 CURSOR WITH HOLD FOR SELECT id FROM $T ORDER BY id', 'FETCH 1 h2', 'BEGIN', 'DISCARD ALL', 'ROLLBACK', 'FETCH 1 h2', 'DISCARD ALL', 'FETCH 1 h2'];
      const mine = await steps(lake, M[0], sqls);
      const theirs = await steps(direct, M[1], sqls);
      assert.deepEqual(mine.map((x) => ({ ...x, sql: x.sql.replace(M[0], M[1]) })), theirs);
      assert.equal(theirs[3]!.error?.split(' ')[0], '25001');
      assert.deepEqual(theirs[5]!.rows, mine[5]!.rows);
      assert.equal(theirs[7]!.error?.split(' ')[0], '34000');
    } finally {
      await direct.end();
    }
  } finally {
    await lake.end();
  }
});

test('strict freshness: asynchronous commits and writes straight to Postgres are seen by the next query', async () => {
  const other = await s.gate.client();
  await s.lake.query('SET synchronous_commit = off');
  for (let i = 0; i < 5; i++) {
    await s.lake.query('UPDATE sales SET amount = amount + 1 WHERE id = 9');
    await sameAnswer(s, 'SELECT amount FROM sales_iceberg WHERE id = 9', M);
    await s.direct.query('UPDATE sales SET qty = qty + 1 WHERE id = 9');
    await sameAnswer(s, 'SELECT qty, amount FROM sales_iceberg WHERE id = 9', M, { lake: other });
  }
  await s.lake.query('UPDATE sales SET amount = amount - 5, qty = qty - 5 WHERE id = 9');
  await s.lake.query('RESET synchronous_commit');
  await other.end();
});

test('a mirror queried while its initial copy runs: the query waits; created in the open transaction: 55000', async () => {
  await s.direct.query(`CREATE TABLE slow (id int PRIMARY KEY, v text); INSERT INTO slow SELECT i, 'v' || i FROM generate_series(1, 2000) i`);
  const c = await s.gate.client();
  await c.query('BEGIN');
  await c.query(`CALL mooncake.create_table('slow_iceberg', 'slow')`);
  await assert.rejects(c.query('SELECT count(*) FROM slow_iceberg'), { code: '55000', message: 'mirror "public.slow_iceberg" was created in this transaction' });
  await c.query('ROLLBACK');
  await c.query(`CALL mooncake.create_table('slow_iceberg', 'slow')`);
  const r = await c.query('SELECT count(*)::int AS n, max(v) FROM slow_iceberg');
  assert.deepEqual(r.rows, [{ n: 2000, max: 'v999' }]);
  await c.end();
});

// ---- raw protocol: exact message sequences ------------------------------------------------------------------

async function rawSession(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.startup();
  return c;
}

/**
 * Sends each group of messages (ending with Sync or a Query) on a fresh session to Postgres (source table) and
 * to lakegate (mirror), waiting for its ReadyForQuery before the next group unless `pipelined`; both
 * transcripts.
 */
async function transcripts(
  build: (table: string) => Buffer[][],
  pipelined = false,
): Promise<{ pg: string[]; lake: string[]; raw: { pg: BackendMessage[]; lake: BackendMessage[] } }> {
  const out = { pg: [] as string[], lake: [] as string[], raw: { pg: [] as BackendMessage[], lake: [] as BackendMessage[] } };
  for (const [side, port, table] of [['pg', s.pg.port, 'sales'], ['lake', s.gate.port, 'sales_iceberg']] as const) {
    const c = await rawSession(port);
    const groups = build(table);
    const msgs: BackendMessage[] = [];
    if (pipelined) c.write(...groups.flat());
    for (const g of groups) {
      if (!pipelined) c.write(...g);
      msgs.push(...(await c.readUntil('Z', 15_000)));
    }
    c.end(fe.terminate());
    out[side] = transcript(msgs);
    out.raw[side] = msgs;
  }
  return out;
}

const TX_SCRIPT = (tab: string): Buffer[][] => [
  [fe.query('BEGIN')],
  [fe.query(`SELECT count(*) FROM ${tab}`)],
  [fe.parse('', `SELECT id, amount FROM ${tab} WHERE id <= $1 ORDER BY id`), fe.bind('', '', ['3']), fe.describe('P', ''), fe.execute('', 0), fe.sync()],
  [fe.query('COMMIT')],
  [fe.query('BEGIN')],
  // fails while running; the Execute after it in the same batch is skipped up to Sync
  [fe.parse('bad', `SELECT id / (qty - qty) FROM ${tab}`), fe.bind('', 'bad'), fe.execute('', 0),
    fe.parse('', `SELECT 1 FROM ${tab} LIMIT 1`), fe.bind('', ''), fe.execute('', 0), fe.sync()],
  [fe.query(`SELECT count(*) FROM ${tab}`)],
  [fe.query('COMMIT')],
  [fe.query(`SELECT count(*) FROM ${tab} WHERE paid`)],
];

test('transaction status inside BEGIN…COMMIT, and an error in a transaction block aborts it like Postgres', async () => {
  const t = await transcripts(TX_SCRIPT);
  assert.deepEqual(t.lake, t.pg);
  assert.deepEqual(t.pg.filter((m) => m.startsWith('Z:')), ['Z:T', 'Z:T', 'Z:T', 'Z:I', 'Z:T', 'Z:E', 'Z:E', 'Z:I', 'Z:I']);
});

test('the same, pipelined: every message sent before the first answer', async () => {
  const t = await transcripts(TX_SCRIPT, true);
  assert.deepEqual(t.lake, t.pg);
});

test('two unnamed statements in one batch run in order', async () => {
  const t = await transcripts((tab) => [
    [fe.parse('', `SELECT count(*) FROM ${tab} WHERE paid`), fe.bind('', ''), fe.execute('', 0),
      fe.parse('', `SELECT id FROM ${tab} WHERE id < $1 ORDER BY id`), fe.bind('', '', ['3']), fe.execute('', 0), fe.sync()],
  ]);
  assert.deepEqual(t.lake, t.pg);
  assert.deepEqual(t.pg, ['1', '2', 'D:100', 'C:SELECT 1', '1', '2', 'D:1', 'D:2', 'C:SELECT 2', 'Z:I']);
});

test('extended protocol: Describe, PortalSuspended with a row limit, an error skips to Sync', async () => {
  const t = await transcripts((tab) => [
    [fe.query('BEGIN')],
    [fe.parse('q1', `SELECT id, region, amount FROM ${tab} WHERE id <= $1 ORDER BY id`, [23]), fe.describe('S', 'q1'),
      fe.bind('p1', 'q1', ['10']), fe.execute('p1', 4), fe.execute('p1', 4), fe.execute('p1', 4), fe.sync()],
    [fe.execute('p1', 1), fe.close('P', 'p1'), fe.sync()],
    [fe.query('COMMIT')],
    [fe.parse('', `SELECT nope FROM ${tab}`), fe.bind('', ''), fe.execute('', 0), fe.sync()],
    [fe.bind('p2', 'q1', ['2']), fe.execute('p2', 0), fe.sync()],
  ]);
  assert.deepEqual(t.lake, t.pg);
  assert.ok(t.pg.includes('s') && t.pg.includes('E:42703'), t.pg.join(' '));
  const err = (msgs: BackendMessage[]) => fields(msgs.find((m) => m.type === 'E')!.body);
  assert.equal(err(t.raw.lake).M, err(t.raw.pg).M);
});

test('cancel of a long mirror query: 57014, the session goes on', async () => {
  const c = await rawSession(s.gate.port);
  const started = Date.now();
  c.write(fe.query('SELECT count(*) FROM sales_iceberg a, sales_iceberg b, sales_iceberg c, generate_series(1, 100000) g WHERE a.id + b.id + c.id > g'));
  await new Promise((r) => setTimeout(r, 400));
  const k = await RawClient.connect(s.gate.port);
  k.end(fe.cancelRequest(c.pid, c.secret));
  const msgs = await c.readUntil('Z', 20_000);
  const e = msgs.find((m) => m.type === 'E');
  assert.ok(e, transcript(msgs).join(' '));
  assert.deepEqual([fields(e.body).C, fields(e.body).M], ['57014', 'canceling statement due to user request']);
  assert.ok(Date.now() - started < 10_000);
  c.write(fe.query('SELECT count(*) FROM sales_iceberg'));
  assert.deepEqual(transcript(await c.readUntil('Z')), ['T', 'D:300', 'C:SELECT 1', 'Z:I']);
  c.end(fe.terminate());
});

test('EXPLAIN returns the engine\'s plan', async () => {
  const r = await s.lake.query({ text: `EXPLAIN SELECT region, sum(amount) FROM sales_iceberg WHERE id > 10 GROUP BY region`, rowMode: 'array' });
  assert.deepEqual(r.fields.map((f) => [f.name, f.dataTypeID]), [['QUERY PLAN', 25]]);
  const plan = r.rows.map((x) => x[0]).join('\n');
  assert.match(plan, /HASH_GROUP_BY|PERFECT_HASH_GROUP_BY/, plan);
  assert.doesNotMatch(plan, /Seq Scan on sales/);
  const a = await s.lake.query({ text: 'EXPLAIN ANALYZE SELECT count(*) FROM sales_iceberg', rowMode: 'array' });
  assert.match(a.rows.map((x) => x[0]).join('\n'), /Total Time|Query Profiling/i);
});

// ---- psql -------------------------------------------------------------------------------------------------

test('psql: the same output as Postgres on the source table', async (t) => {
  if (!have.psql) return t.skip('psql is not installed (Debian package postgresql-client)');
  const queries = [
    'SELECT * FROM sales_iceberg WHERE id % 37 = 0 ORDER BY id',
    'SELECT region, count(*), sum(amount), round(avg(score)::numeric, 3) FROM sales_iceberg GROUP BY region ORDER BY region',
    `SELECT sold_on, sold_at, sold_tz, meta FROM sales_iceberg WHERE id IN (1, 2, 299) ORDER BY id`,
  ];
  for (const q of queries) {
    for (const args of [['-c', q], ['-A', '-F', ',', '-c', q], ['-x', '-c', q]]) {
      const lake = await psql(s.gate.port, args);
      const direct = await psql(s.pg.port, args.map((a) => a.split(M[0]).join(M[1])));
      assert.equal(lake.code, 0, lake.stderr);
      assert.equal(lake.stdout, direct.stdout, q);
    }
  }
  // a script: transaction block, SET TimeZone, a query error, and on
  const script = (tab: string) => `BEGIN;
SET LOCAL TimeZone = 'America/Sao_Paulo';
SELECT id, sold_tz, sold_tz::date FROM ${tab} WHERE id < 4 ORDER BY id;
COMMIT;
SELECT id, 1 / (qty - qty) FROM ${tab};
SELECT count(*) FROM ${tab};
`;
  const lake = await psql(s.gate.port, ['-f', '-'], { input: script(M[0]), onErrorStop: false });
  const direct = await psql(s.pg.port, ['-f', '-'], { input: script(M[1]), onErrorStop: false });
  assert.equal(lake.stdout, direct.stdout);
  assert.equal(lake.stderr.replace(/<stdin>:\d+: /g, ''), direct.stderr.replace(/<stdin>:\d+: /g, ''));
  assert.match(lake.stderr, /ERROR: {2}division by zero/);
});

// ---- pgjdbc, psycopg2 -------------------------------------------------------------------------------------

function checks(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const x = /^(OK|FAIL) ([^:]+)(?::\s*(.*))?$/.exec(line);
    if (x) m.set(x[2]!.trim(), x[1] === 'OK' ? 'OK' : `FAIL: ${x[3] ?? ''}`);
  }
  return m;
}

test('pgjdbc: PreparedStatement parameters, setFetchSize in a transaction, ResultSetMetaData, errors, cancel', { timeout: 120_000 }, async (t) => {
  if (!have.java) return t.skip(`java or ${JDBC_JAR} is missing (Debian packages default-jre-headless, libpostgresql-jdbc-java)`);
  const url = (port: number) => `jdbc:postgresql://127.0.0.1:${port}/postgres?sslmode=disable&connectTimeout=10`;
  const r = await run('java', ['-cp', JDBC_JAR, join(repoRoot(), 'test/clients/MirrorJdbcCheck.java'), url(s.gate.port), url(s.pg.port), 'postgres', 'postgres'], { timeoutMs: 110_000 });
  t.diagnostic(r.stdout.trim().replace(/\n/g, ' | '));
  const got = checks(r.stdout);
  for (const name of [
    'connect',
    'prepared statement with parameters',
    'prepared statement reused past prepareThreshold (binary transfer)',
    'setFetchSize inside a transaction (portal suspended and resumed)',
    'ResultSetMetaData',
    'error in a transaction aborts it, like Postgres',
    'Statement.cancel of a long mirror query',
  ]) {
    assert.equal(got.get(name), 'OK', `${name}\n${r.stdout}\n${r.stderr}`);
  }
  assert.equal(r.code, 0, r.stderr);
});

test('psycopg2: parameters, implicit transactions, named cursor, errors', { timeout: 60_000 }, async (t) => {
  if (!have.psycopg2) return t.skip(`${PYTHON} cannot import psycopg2 (Debian package python3-psycopg2)`);
  const dsn = (port: number) => `host=127.0.0.1 port=${port} dbname=postgres user=postgres sslmode=disable connect_timeout=10`;
  const r = await run(PYTHON, [join(repoRoot(), 'test/clients/mirror_psycopg2_check.py'), dsn(s.gate.port), dsn(s.pg.port)], { timeoutMs: 55_000 });
  t.diagnostic(r.stdout.trim().replace(/\n/g, ' | '));
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.ok(r.stdout.split('\n').filter((l) => l.startsWith('OK ')).length >= 6, r.stdout);
});

// ---- security ---------------------------------------------------------------------------------------------

test('privileges: a role without SELECT on the source gets 42501, as Postgres says it for the mirror', async () => {
  const as = async (user: string) => {
    const lake = await s.gate.client({ user });
    const direct = new pg.Client({ host: '127.0.0.1', port: s.pg.port, user, database: 'postgres' });
    await direct.connect();
    return { lake, direct };
  };
  const nobody = await as('lg_nobody');
  try {
    const theirs = await nobody.direct.query('SELECT count(*) FROM sales_iceberg').then(() => null, (e: pg.DatabaseError) => e);
    assert.equal(theirs?.code, '42501');
    for (const q of ['SELECT count(*) FROM sales_iceberg', 'SELECT id FROM sales_iceberg WHERE id = $1']) {
      const mine = await nobody.lake.query(q, q.includes('$1') ? [1] : []).then(() => null, (e: pg.DatabaseError) => e);
      assert.deepEqual([mine?.code, mine?.message], [theirs!.code, theirs!.message]);
    }
  } finally {
    await nobody.lake.end();
    await nobody.direct.end();
  }
  const partial = await as('lg_partial');
  try {
    await sameAnswer(partial, 'SELECT id, region FROM sales_iceberg WHERE id < 20 ORDER BY id', M);
    await sameAnswer(partial, 'SELECT count(*) FROM sales_iceberg', M);
    await assert.rejects(partial.lake.query('SELECT amount FROM sales_iceberg'), { code: '42501', message: 'permission denied for view sales_iceberg' });
    await assert.rejects(partial.lake.query('SELECT * FROM sales_iceberg'), { code: '42501' });
    // the failed requests left nothing behind on the session's upstream connection
    await sameAnswer(partial, 'SELECT region, count(*) FROM sales_iceberg GROUP BY 1 ORDER BY 1', M);
  } finally {
    await partial.lake.end();
    await partial.direct.end();
  }
  // a GRANT on the source reaches the mirror
  await s.direct.query('GRANT SELECT ON sales TO lg_nobody');
  const later = await as('lg_nobody');
  try {
    await sameAnswer(later, 'SELECT region, sum(amount) FROM sales_iceberg GROUP BY 1 ORDER BY 1', M);
  } finally {
    await later.lake.end();
    await later.direct.end();
  }
  const analyst = await as('lg_analyst');
  try {
    await sameAnswer(analyst, 'SELECT * FROM sales_iceberg WHERE id > $1 ORDER BY id', M, { values: [290] });
  } finally {
    await analyst.lake.end();
    await analyst.direct.end();
  }
});

test('row-level security: sources with RLS are refused at create_table, RLS cannot be enabled on a mirrored source', async () => {
  await s.lake.query('CREATE TABLE secrets (id int PRIMARY KEY, owner text, body text)');
  await s.lake.query('ALTER TABLE secrets ENABLE ROW LEVEL SECURITY');
  await assert.rejects(s.lake.query(`CALL mooncake.create_table('secrets_iceberg', 'secrets')`), {
    code: '0A000',
    message: 'cannot mirror public.secrets: it has row-level security enabled',
  });
  assert.equal((await s.direct.query(`SELECT to_regclass('secrets_iceberg') IS NULL AS gone`)).rows[0].gone, true);
  // the name was noted on its way upstream; the failed call leaves it an ordinary missing relation
  await assert.rejects(s.lake.query('SELECT * FROM secrets_iceberg'), { code: '42P01' });
  await assert.rejects(s.lake.query('ALTER TABLE sales ENABLE ROW LEVEL SECURITY'), { code: '0A000', message: /cannot enable row-level security on public\.sales/ });
  await sameAnswer(s, 'SELECT count(*) FROM sales_iceberg', M);
});

test('a failed create_table leaves an ordinary relation of that name to Postgres', async () => {
  await s.lake.query(`CREATE TABLE taken (id int PRIMARY KEY); CREATE TABLE taken_src (id int PRIMARY KEY); INSERT INTO taken VALUES (7)`);
  await assert.rejects(s.lake.query(`CALL mooncake.create_table('taken', 'taken_src')`), { code: '42P07' });
  const r = await s.lake.query({ text: 'SELECT * FROM taken', rowMode: 'array', types: RAW });
  assert.deepEqual(r.rows, [['7']]);
  const b = await s.lake.query({ text: 'SELECT id FROM taken WHERE id = $1', values: [7], rowMode: 'array' });
  assert.deepEqual(b.rows, [[7]]);
});
