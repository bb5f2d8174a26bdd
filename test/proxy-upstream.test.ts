// Upstream trouble: nothing listening, unroutable, closing at once, silent, a backend killed mid-session,
// Postgres stopped and started again. The client always gets a FATAL ErrorResponse it can show, and
// its connection closes; nothing hangs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import pg from 'pg';
import { freePort, startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startGate, type Gate } from './helpers/lakegate.js';
import { RawClient, fe, fields, transcript } from './clients/raw.js';
import { eventually } from './helpers/eventually.js';

let db: TestPostgres;
let gate: Gate;

before(async () => {
  db = await startPostgres();
  gate = await startGate({ 'upstream.url': db.url });
});

after(async () => {
  await gate?.close();
  await db?.destroy();
});

/** Every ErrorResponse until the server closes the connection (fails if it stays open). */
async function errorsUntilClose(c: RawClient, timeoutMs = 5000): Promise<Record<string, string>[]> {
  const msgs = await c.readToEnd(timeoutMs);
  assert.ok(c.closed, 'connection closed');
  return msgs.filter((m) => m.type === 'E').map((m) => fields(m.body));
}

async function withGate(overrides: Record<string, string | number>, fn: (g: Gate) => Promise<void>): Promise<void> {
  const g = await startGate(overrides);
  try {
    await fn(g);
  } finally {
    await g.close();
  }
}

/** A TCP server standing in for a broken upstream; `onSocket` decides what it does with connections. */
async function brokenUpstream(onSocket: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test('upstream not listening: FATAL 08001 at connect, naming the upstream', async () => {
  const port = await freePort();
  await withGate({ 'upstream.url': `postgres://postgres@127.0.0.1:${port}/postgres` }, async (g) => {
    const started = Date.now();
    await assert.rejects(g.client(), (e: any) => {
      assert.equal(e.code, '08001');
      assert.equal(e.severity, 'FATAL');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(e.message, /ECONNREFUSED|connect/i);
      return true;
    });
    assert.ok(Date.now() - started < 2000, 'fails fast');
    // at byte level: exactly one ErrorResponse, then the connection closes
    const c = await RawClient.connect(g.port);
    c.write(fe.startup({ user: 'postgres', database: 'postgres' }));
    const errs = await errorsUntilClose(c);
    assert.deepEqual(errs.map((e) => [e.S, e.C]), [['FATAL', '08001']]);
  });
});

test('upstream unroutable: FATAL 08001 after upstream.connect_timeout_ms', async () => {
  // TEST-NET-1 (RFC 5737) never answers; depending on the network this times out or fails at once
  await withGate({ 'upstream.url': 'postgres://postgres@192.0.2.1:5432/postgres', 'upstream.connect_timeout_ms': 400 }, async (g) => {
    const started = Date.now();
    await assert.rejects(g.client(), (e: any) => e.code === '08001' && /192\.0\.2\.1:5432/.test(e.message));
    assert.ok(Date.now() - started < 3000, `gave up in ${Date.now() - started} ms`);
  });
});

test('upstream accepts TCP and closes at once: FATAL 08006, no hang', async () => {
  const up = await brokenUpstream((s) => s.destroy());
  try {
    await withGate({ 'upstream.url': `postgres://postgres@127.0.0.1:${up.port}/postgres` }, async (g) => {
      const c = await RawClient.connect(g.port);
      c.write(fe.startup({ user: 'postgres', database: 'postgres' }));
      const errs = await errorsUntilClose(c);
      assert.equal(errs.length, 1);
      assert.equal(errs[0]!.S, 'FATAL');
      assert.match(errs[0]!.C!, /^08006|08001$/);
      assert.match(errs[0]!.M!, /upstream/i);
    });
  } finally {
    await up.close();
  }
});

test('upstream accepts TCP and never answers: the client gets a FATAL instead of waiting forever', { timeout: 30000 }, async () => {
  const up = await brokenUpstream(() => {});
  try {
    await withGate({ 'upstream.url': `postgres://postgres@127.0.0.1:${up.port}/postgres`, 'upstream.connect_timeout_ms': 500 }, async (g) => {
      const c = await RawClient.connect(g.port);
      c.write(fe.startup({ user: 'postgres', database: 'postgres' }));
      const errs = await errorsUntilClose(c, 5000);
      assert.equal(errs.length, 1, 'one FATAL');
      assert.equal(errs[0]!.S, 'FATAL');
      assert.match(errs[0]!.C!, /^08001|08006$/);
    });
  } finally {
    await up.close();
  }
});

test('upstream backend killed while the client is idle: FATAL 08006 and close', { timeout: 30000 }, async () => {
  const c = await RawClient.connect(gate.port);
  await c.startup();
  const bystander = await RawClient.connect(gate.port);
  await bystander.startup();
  process.kill(c.pid, 'SIGKILL'); // the upstream backend process of this session (pid from BackendKeyData)
  const errs = await errorsUntilClose(c);
  assert.deepEqual(errs.map((e) => [e.S, e.C]), [['FATAL', '08006']]);
  assert.match(errs[0]!.M!, /lost connection to upstream/);
  // Postgres restarts all backends after a crash: the other session ends with a FATAL as well
  const other = await errorsUntilClose(bystander);
  assert.ok(other.length >= 1 && other.every((e) => e.S === 'FATAL'), JSON.stringify(other));
  await waitForUpstream();
});

test('upstream backend killed during a query: node-pg gets 08006 promptly', { timeout: 30000 }, async () => {
  const c = await gate.client();
  const pid = (await c.query('select pg_backend_pid() as p')).rows[0].p as number;
  const sleeping = c.query('select pg_sleep(30)');
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  process.kill(pid, 'SIGKILL');
  await assert.rejects(sleeping, (e: any) => e.code === '08006' || /terminated|lost connection/i.test(e.message));
  assert.ok(Date.now() - started < 3000);
  await waitForUpstream();
});

test('Postgres stopped: open sessions get a FATAL and close; new ones get 08001; after restart all is well', { timeout: 60000 }, async () => {
  const idle = await RawClient.connect(gate.port);
  await idle.startup();
  const busy = await gate.client();
  const sleeping = busy.query('select pg_sleep(30)').then(
    () => assert.fail('pg_sleep survived a Postgres shutdown'),
    (e: any) => e,
  );
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  await db.stop();
  // a fast shutdown: Postgres itself says 57P01; lakegate adds 08006 only if the upstream said nothing
  const errs = await errorsUntilClose(idle);
  assert.ok(errs.length >= 1, 'at least one ErrorResponse');
  assert.ok(errs.every((e) => e.S === 'FATAL'), JSON.stringify(errs));
  assert.ok(errs.every((e) => e.C === '57P01' || e.C === '08006'), JSON.stringify(errs));
  const e = await sleeping;
  assert.ok(e.code === '57P01' || e.code === '08006', String(e));
  assert.ok(Date.now() - started < 5000);

  await assert.rejects(gate.client(), (e: any) => e.code === '08001' && e.severity === 'FATAL');

  await db.start();
  const c = await gate.client();
  assert.equal((await c.query('select 1 as one')).rows[0].one, 1);
  await c.end();
});

test('lakegate shutting down: live sessions get FATAL 57P01 and close() returns promptly', async () => {
  const g = await startGate({ 'upstream.url': db.url });
  const c = await RawClient.connect(g.port);
  await c.startup();
  const pgc = new pg.Client(g.clientConfig());
  const pgErr = new Promise<any>((resolve) => pgc.on('error', resolve));
  await pgc.connect();
  const started = Date.now();
  await g.close();
  assert.ok(Date.now() - started < 3000, `close() took ${Date.now() - started} ms`);
  const msgs = await c.readToEnd();
  assert.deepEqual(transcript(msgs), ['E:57P01']);
  assert.equal((await pgErr).code, '57P01');
  await assert.rejects(RawClient.connect(g.port), /ECONNREFUSED/);
});

test('upstream.url with sslmode=prefer on a Postgres without TLS: plain passthrough, and mirrors work', { timeout: 60000 }, async () => {
  // libpq's default mode: TLS when upstream offers it, plain otherwise. This Postgres refuses TLS.
  const admin = await gate.client();
  await admin.query('CREATE DATABASE prefer_db');
  await admin.end();
  const g = await startGate({
    'upstream.url': `${db.url.replace(/\/postgres$/, '/prefer_db')}?sslmode=prefer`,
    'mirror.slot': 'lakegate_prefer',
    'mirror.publication': 'lakegate_prefer',
  });
  try {
    const c = await g.client({ database: 'prefer_db' });
    assert.equal((await c.query('select current_database() as db')).rows[0].db, 'prefer_db');
    // a result much larger than one read buffer, then small ones on the same connection
    const big = await c.query('select g, repeat(\'x\', 40) as pad from generate_series(1, 100000) g');
    assert.equal(big.rows.length, 100000);
    assert.equal(big.rows[99999].g, 100000);
    const small = await Promise.all([1, 2, 3].map((n) => c.query('select $1::int * 2 as v', [n])));
    assert.deepEqual(small.map((r) => r.rows[0].v), [2, 4, 6]);
    // lakegate's own connections (control plane, CDC) fall back to plain too: a mirror is created and answers
    await c.query('CREATE TABLE pt (id int primary key, v text)');
    await c.query("INSERT INTO pt VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    await c.query(`CALL mooncake.create_table('pt_iceberg', 'pt')`);
    await c.query("INSERT INTO pt VALUES (4, 'd')");
    await eventually(
      async () => (await c.query('SELECT count(*)::int AS n, string_agg(v, \'\' ORDER BY id) AS s FROM pt_iceberg')).rows[0].s === 'abcd',
      'the mirror to answer with all four rows',
      20000,
    );
  } finally {
    await g.close();
  }
});

async function waitForUpstream(): Promise<void> {
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const c = await gate.client();
      await c.query('select 1');
      await c.end();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
