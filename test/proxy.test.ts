// Transparent passthrough with node-pg against a real Postgres: simple, extended, binary, pipelined,
// named statements, lakegate's own `SHOW lakegate.version` interleaved with upstream statements,
// LISTEN/NOTIFY, notices, Terminate, CancelRequest, a 1M-row result, a large parameter, 100 clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startGate, type Gate } from './helpers/lakegate.js';
import { backends } from './helpers/backends.js';
import { eventually } from './helpers/eventually.js';
import { RawClient, fe } from './clients/raw.js';
import { VERSION } from '../src/version.js';

let db: TestPostgres;
let gate: Gate;

before(async () => {
  db = await startPostgres();
  gate = await startGate({ 'upstream.url': db.url });
  await db.sql('create table items (id int primary key, name text, price numeric(10,2), at timestamptz default now())');
});

after(async () => {
  await gate?.close();
  await db?.destroy();
});

/** node-pg query options its type definitions lack (queryMode, binary). */
function q(config: { text: string; values?: unknown[]; queryMode?: 'extended'; binary?: boolean }): pg.QueryConfig {
  return config as pg.QueryConfig;
}

function pidOf(c: pg.Client): number {
  return (c as unknown as { processID: number }).processID;
}

/** The cancel secret node-pg received in BackendKeyData, as the 4 bytes that go into a CancelRequest. */
function cancelKey(c: pg.Client): Buffer {
  const k = (c as unknown as { secretKey: number | Buffer }).secretKey;
  if (Buffer.isBuffer(k)) return k;
  const b = Buffer.alloc(4);
  b.writeInt32BE(k);
  return b;
}

/** Wait until the upstream backend `pid` is executing a statement containing `text` (a cancel sent earlier is lost). */
async function running(pid: number, text: string): Promise<void> {
  await eventually(async () => {
    const r = await db.sql(`select count(*)::int as n from pg_stat_activity where pid = $1 and state = 'active' and strpos(query, $2) > 0`, [pid, text]);
    return r.rows[0].n === 1;
  }, `backend ${pid} running ${text}`);
}

test('simple protocol: upstream statements, errors, and the local SHOW lakegate.version', async () => {
  const c = await gate.client();
  const v = await c.query('select version() as v, current_user as u');
  assert.match(v.rows[0].v, /^PostgreSQL \d+/);
  assert.equal(v.rows[0].u, 'postgres');
  const local = await c.query('SHOW lakegate.version');
  assert.equal(local.rows[0]['lakegate.version'], VERSION);
  assert.deepEqual(local.fields.map((f) => f.name), ['lakegate.version']);
  await assert.rejects(c.query('select * from no_such_table'), (e: any) => e.code === '42P01' && e.severity === 'ERROR');
  await assert.rejects(c.query('select 1/0'), (e: any) => e.code === '22012');
  // several statements in one Query message: one response per statement, then one ReadyForQuery
  const multi = (await c.query('select 1 as a; select 2 as b')) as unknown as pg.QueryResult[];
  assert.deepEqual(multi.map((r) => r.rows[0]), [{ a: 1 }, { b: 2 }]);
  assert.equal((await c.query('select 42 as x')).rows[0].x, 42);
  await c.end();
});

test('extended protocol with parameters, NULLs and binary results', async () => {
  const c = await gate.client();
  await c.query('insert into items (id, name, price) values ($1, $2, $3), ($4, $5, $6)', [1, 'apple', '1.50', 2, null, '2.25']);
  const r = await c.query('select id, name, price from items where id = any($1::int[]) order by id', [[1, 2]]);
  assert.deepEqual(r.rows, [
    { id: 1, name: 'apple', price: '1.50' },
    { id: 2, name: null, price: '2.25' },
  ]);
  // binary results decoded by node-pg must equal what the same query gives directly against Postgres
  const binQuery = q({
    text: 'select $1::int4 + 1 as i, $2::int8 * 2 as big, $3::text as t, true as ok, 1.5::float8 as f, now()::date - now()::date as d',
    values: [41, '21', 'héllo'],
    binary: true,
  });
  const bin = await c.query(binQuery);
  assert.equal(bin.rows[0].i, 42);
  assert.equal(bin.rows[0].big, '42');
  assert.equal(bin.rows[0].t, 'héllo');
  assert.equal(bin.rows[0].ok, true);
  const direct = await db.client();
  assert.deepEqual(bin.rows, (await direct.query(binQuery)).rows);
  await direct.end();
  // a binary-format result checked against the exact bytes Postgres sends: int4 41+1 = 00 00 00 2a
  c.setTypeParser(23, 'binary', (v: any) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
  const raw = await c.query(q({ text: 'select $1::int4 + 1 as i', values: [41], binary: true }));
  assert.equal(raw.rows[0].i, '0000002a');
  await c.end();
});

test('binary int8 overflow is an upstream error, not a lakegate one', async () => {
  const c = await gate.client();
  await assert.rejects(
    c.query(q({ text: 'select $1::int8 * 2 as big', values: ['4611686018427387904'], binary: true })),
    (e: any) => e.code === '22003',
  );
  assert.equal((await c.query(q({ text: 'select $1::int8 * 2 as big', values: ['21'], binary: true }))).rows[0].big, '42');
  await c.end();
});

test('local statement over the extended protocol, unnamed and named, binary result format', async () => {
  const c = await gate.client();
  const ext = await c.query(q({ text: 'SHOW lakegate.version', queryMode: 'extended' }));
  assert.equal(ext.rows[0]['lakegate.version'], VERSION);
  for (let i = 0; i < 3; i++) {
    const named = await c.query({ name: 'lg_version', text: 'SHOW lakegate.version' });
    assert.equal(named.rows[0]['lakegate.version'], VERSION);
  }
  const bin = await c.query(q({ text: 'show lakegate.version', queryMode: 'extended', binary: true }));
  assert.equal(String(bin.rows[0]['lakegate.version']), VERSION);
  await c.end();
});

test('named prepared statements are reused, upstream and local interleaved', async () => {
  const c = await gate.client();
  for (let i = 0; i < 5; i++) {
    const up = await c.query({ name: 'double_it', text: 'select $1::int * 2 as v', values: [i] });
    assert.equal(up.rows[0].v, i * 2);
    const local = await c.query({ name: 'which', text: 'SHOW lakegate.version' });
    assert.equal(local.rows[0]['lakegate.version'], VERSION);
  }
  // the statements live where they were parsed: Postgres knows double_it and not `which`
  const ps = await c.query('select name from pg_prepared_statements order by name');
  assert.deepEqual(ps.rows.map((r) => r.name), ['double_it']);
  await c.end();
});

test('queued queries alternate between upstream and lakegate and come back in order', async () => {
  const c = await gate.client();
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 60; i++) {
    switch (i % 4) {
      case 0:
        jobs.push(c.query('SHOW lakegate.version').then((r) => r.rows[0]['lakegate.version']));
        break;
      case 1:
        jobs.push(c.query(`select ${i} as n`).then((r) => r.rows[0].n));
        break;
      case 2:
        jobs.push(c.query('select $1::int as n', [i]).then((r) => r.rows[0].n));
        break;
      default:
        jobs.push(c.query(q({ text: 'SHOW lakegate.version', queryMode: 'extended' })).then((r) => r.rows[0]['lakegate.version']));
    }
  }
  const got = await Promise.all(jobs);
  got.forEach((v, i) => assert.equal(v, i % 4 === 0 || i % 4 === 3 ? VERSION : i, `query ${i}`));
  await c.end();
});

test('node-pg pipeline mode: many Syncs in flight, local and upstream answers in order', async () => {
  const c = await gate.client({ pipeline: true } as pg.ClientConfig);
  const jobs: Promise<unknown>[] = [];
  for (let i = 0; i < 100; i++) {
    if (i % 3 === 0) jobs.push(c.query(q({ text: 'SHOW lakegate.version', queryMode: 'extended' })).then((r) => r.rows[0]['lakegate.version']));
    else if (i % 3 === 1) jobs.push(c.query({ name: 'pipe_sq', text: 'select $1::int * $1::int as n', values: [i] }).then((r) => r.rows[0].n));
    else jobs.push(c.query('select $1::text as s', [`v${i}`]).then((r) => r.rows[0].s));
  }
  const got = await Promise.all(jobs);
  got.forEach((v, i) => assert.equal(v, i % 3 === 0 ? VERSION : i % 3 === 1 ? i * i : `v${i}`, `pipelined query ${i}`));
  // an error in the middle of a pipeline fails only its own query
  const [a, b, d] = await Promise.allSettled([
    c.query('select $1::int as n', [1]),
    c.query('select $1::int / 0 as n', [1]),
    c.query(q({ text: 'SHOW lakegate.version', queryMode: 'extended' })),
  ]);
  assert.equal(a.status === 'fulfilled' && a.value.rows[0].n, 1);
  assert.equal(b.status === 'rejected' && (b.reason as any).code, '22012');
  assert.equal(d.status === 'fulfilled' && d.value.rows[0]['lakegate.version'], VERSION);
  await c.end();
});

test('transactions: local answers inside BEGIN report status T, rollback works', async () => {
  const c = await gate.client();
  const statuses: string[] = [];
  (c as any).connection.on('readyForQuery', (m: { status: string }) => statuses.push(m.status));
  await c.query('BEGIN');
  await c.query('insert into items (id, name) values (100, $1)', ['in-tx']);
  await c.query('SHOW lakegate.version');
  await c.query(q({ text: 'SHOW lakegate.version', queryMode: 'extended' }));
  assert.equal((await c.query('select count(*)::int as n from items where id = 100')).rows[0].n, 1);
  await c.query('ROLLBACK');
  await c.query('SHOW lakegate.version');
  assert.deepEqual(statuses, ['T', 'T', 'T', 'T', 'T', 'I', 'I']);
  assert.equal((await db.sql('select count(*)::int as n from items where id = 100')).rows[0].n, 0);
  await c.end();
});

test('LISTEN/NOTIFY across two clients; notifications arrive while the listener is idle', async () => {
  const listener = await gate.client();
  const notifier = await gate.client();
  await listener.query('LISTEN lg_channel');
  const got: pg.Notification[] = [];
  listener.on('notification', (n) => got.push(n));
  await notifier.query(`NOTIFY lg_channel, 'first'`);
  await notifier.query(`select pg_notify('lg_channel', 'second')`);
  // the listener sends nothing: both notifications must be pushed to it
  await eventually(() => got.length === 2, 'two notifications on an idle listener');
  assert.deepEqual(got.map((n) => [n.channel, n.payload]), [['lg_channel', 'first'], ['lg_channel', 'second']]);
  // a notification that arrives while a local answer is being written is still delivered, in order
  await listener.query('SHOW lakegate.version');
  await notifier.query(`NOTIFY lg_channel, 'third'`);
  await eventually(() => got.length === 3, 'third notification');
  assert.equal(got[2]!.processId, pidOf(notifier));
  await listener.end();
  await notifier.end();
});

test('notices and warnings reach the client', async () => {
  const c = await gate.client();
  const notices: any[] = [];
  c.on('notice', (n) => notices.push(n));
  await c.query(`DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END $$`);
  await c.query('drop table if exists never_existed');
  assert.deepEqual(notices.map((n) => [n.severity, n.message]), [
    ['NOTICE', 'hello 42'],
    ['WARNING', 'careful'],
    ['NOTICE', 'table "never_existed" does not exist, skipping'],
  ]);
  await c.end();
});

test('Terminate closes the upstream backend and the session', async () => {
  const c = await gate.client({ application_name: 'lg-terminate' });
  await c.query('select 1');
  assert.equal(await backends(db, 'lg-terminate'), 1);
  const live = gate.lakegate.sessions.live.size;
  await c.end(); // sends Terminate
  await eventually(async () => (await backends(db, 'lg-terminate')) === 0, 'upstream backend gone after Terminate');
  await eventually(() => gate.lakegate.sessions.live.size === live - 1, 'session removed from the registry');
});

test('CancelRequest reaches the right upstream backend (57014), the other session is untouched', async () => {
  const a = await gate.client();
  const b = await gate.client();
  assert.notEqual(pidOf(a), pidOf(b));
  // the keys node-pg holds are upstream's own: the pid is the real backend pid
  assert.equal((await a.query('select pg_backend_pid() as p')).rows[0].p, pidOf(a));
  const sleeping = a.query('select pg_sleep(30)');
  const other = b.query('select pg_sleep(0.8) as s, 7 as n');
  await running(pidOf(a), 'pg_sleep(30)');
  const started = Date.now();
  const raw = await RawClient.connect(gate.port);
  raw.write(fe.cancelRequest(pidOf(a), cancelKey(a)));
  await assert.rejects(sleeping, (e: any) => e.code === '57014' && /cancel/i.test(e.message));
  assert.ok(Date.now() - started < 3000, 'cancel took effect quickly');
  await raw.closedPromise;
  assert.equal((await other).rows[0].n, 7);
  // both sessions keep working
  assert.equal((await a.query('SHOW lakegate.version')).rows[0]['lakegate.version'], VERSION);
  assert.equal((await b.query('select 1 as one')).rows[0].one, 1);
  await a.end();
  await b.end();
});

test('a CancelRequest with a wrong key cancels nothing', async () => {
  const a = await gate.client();
  const q = a.query('select pg_sleep(0.6) as done, 1 as n');
  await new Promise((r) => setTimeout(r, 150));
  const raw = await RawClient.connect(gate.port);
  raw.write(fe.cancelRequest(pidOf(a), Buffer.from('00000000', 'hex')));
  await raw.closedPromise;
  assert.equal((await q).rows[0].n, 1);
  await a.end();
});

test('a 1M-row result streams through', { timeout: 60000 }, async (t) => {
  const c = await gate.client();
  const started = Date.now();
  const r = await c.query({ text: `select g, 'row ' || g as t from generate_series(1, 1000000) g`, rowMode: 'array' });
  const ms = Date.now() - started;
  assert.equal(r.rows.length, 1_000_000);
  assert.deepEqual(r.rows[999_999], [1_000_000, 'row 1000000']);
  let sum = 0;
  for (const row of r.rows) sum += row[0] as number;
  assert.equal(sum, 500000500000);
  t.diagnostic(`1M rows through lakegate in ${ms} ms`);
  // the session is still usable, with local and upstream statements
  assert.equal((await c.query('SHOW lakegate.version')).rows[0]['lakegate.version'], VERSION);
  await c.end();
});

test('large parameters (2 MB text, 1 MB bytea) pass through intact', { timeout: 30000 }, async () => {
  const c = await gate.client();
  const big = 'lakegate-'.repeat(233017).slice(0, 2 * 1024 * 1024);
  const r = await c.query('select length($1::text) as n, md5($1::text) as h', [big]);
  assert.equal(r.rows[0].n, big.length);
  assert.equal(r.rows[0].h, createHash('md5').update(big).digest('hex'));
  const bytes = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
  const echo = await c.query('select $1::bytea as b', [bytes]);
  assert.ok(Buffer.compare(echo.rows[0].b, bytes) === 0, 'bytea round trip');
  // a big simple Query (the SQL text itself ≥ 1 MB)
  const lit = await c.query(`select length('${big.slice(0, 1_100_000)}') as n`);
  assert.equal(lit.rows[0].n, 1_100_000);
  await c.end();
});

test('100 concurrent clients each run queries', { timeout: 60000 }, async (t) => {
  const N = 100;
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const c = new pg.Client(gate.clientConfig({ application_name: `lg-many-${i}` }));
      c.on('error', () => {});
      await c.connect();
      try {
        const a = await c.query('select $1::int as i, pg_backend_pid() as pid', [i]);
        const v = await c.query('SHOW lakegate.version');
        await c.query('BEGIN');
        const b = await c.query(`select current_setting('application_name') as app`);
        await c.query('COMMIT');
        return { i: a.rows[0].i, pid: a.rows[0].pid, v: v.rows[0]['lakegate.version'], app: b.rows[0].app };
      } finally {
        await c.end();
      }
    }),
  );
  results.forEach((r, i) => assert.deepEqual({ i: r.i, v: r.v, app: r.app }, { i, v: VERSION, app: `lg-many-${i}` }));
  assert.equal(new Set(results.map((r) => r.pid)).size, N, 'one upstream backend per client');
  t.diagnostic(`${N} clients × 5 statements in ${Date.now() - started} ms`);
});
