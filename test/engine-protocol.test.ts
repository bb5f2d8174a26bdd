// The engine behind the wire session's contract (route/local.ts), driven directly: prepared statements reused
// with parameters (text and binary), Describe before Execute, row limits → PortalSuspended, cancel → 57014,
// EXPLAIN, privileges (42501 as Postgres says it), Postgres' own errors passed through, runtime errors mapped,
// read-your-writes waits, refusals, and the DuckDB lockdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { engineCatalogSql } from './helpers/engine-catalog.js';
import { EngineRouter, StaticMirrorSource, DirectChannel, lockDown, type MirrorSource } from '../src/engine/index.js';
import type { LocalPortal, ResultSink, SessionInfo } from '../src/route/local.js';

let pg: TestPostgres | null = null;
let port = 0;
let db: DuckDBInstance;
let router: EngineRouter;
let admin: DirectChannel;
let ch: DirectChannel;
let session: SessionInfo;
const lsnSeen: bigint[] = [];
let fresh = true;
const source = new StaticMirrorSource([
  { schema: 'public', name: 'items_iceberg', relation: 'lg_items' },
  { schema: 'public', name: 'big_iceberg', relation: '(SELECT range AS id FROM range(3000000000))' },
]);
const mirrors: MirrorSource = {
  mirrors: () => source.mirrors(),
  relationSql: (r) => source.relationSql(r),
  waitForLsn: async (lsn) => {
    lsnSeen.push(lsn);
    return fresh;
  },
};

before(async () => {
  if (process.env.ENGINE_TEST_PGPORT) port = Number(process.env.ENGINE_TEST_PGPORT);
  else {
    pg = await startPostgres();
    port = pg.port;
  }
  admin = await DirectChannel.connect({ port, user: 'postgres', database: 'postgres' });
  await admin.simple(engineCatalogSql());
  await admin.simple(`
    DROP TABLE IF EXISTS items, big, regions CASCADE;
    DROP ROLE IF EXISTS lg_reader;
    CREATE TABLE items (id int4, name text, qty int4, price numeric(8,2), region int4);
    INSERT INTO items SELECT i, 'item ' || i, i * 3 - 40, (i * 1.25)::numeric(8,2), i % 3 FROM generate_series(1, 25) i;
    CREATE TABLE big (id int8);
    CREATE TABLE regions (id int4, label text);
    INSERT INTO regions SELECT i, 'region ' || i FROM generate_series(0, 5000) i;
    CREATE VIEW items_iceberg AS SELECT * FROM items;
    CREATE VIEW big_iceberg AS SELECT * FROM big;
    CREATE ROLE lg_reader LOGIN;
    GRANT SELECT (id, qty) ON items_iceberg TO lg_reader;
  `);
  db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`CREATE TABLE lg_items AS SELECT i AS id, 'item ' || i AS name, i * 3 - 40 AS qty, CAST(i * 1.25 AS DECIMAL(8,2)) AS price, i % 3 AS region FROM range(1, 26) t(i)`);
  await c.run(`ALTER TABLE lg_items ALTER id TYPE INTEGER; ALTER TABLE lg_items ALTER qty TYPE INTEGER; ALTER TABLE lg_items ALTER region TYPE INTEGER`);
  c.closeSync();
  router = await EngineRouter.create({ duckdb: { instance: db, connect: () => db.connect() }, mirrors, maxFetchRows: 1000 });
  ch = await DirectChannel.connect({ port, user: 'postgres', database: 'postgres' });
  session = { id: 1, user: 'postgres', database: 'postgres', oracle: false, params: ch.status, txStatus: 'I', upstream: ch };
});

after(async () => {
  ch?.close();
  admin?.close();
  db?.closeSync();
  await pg?.destroy();
});

interface Out {
  rows: string[][];
  tail: 'suspended' | string;
}

function collect(): { sink: ResultSink; msgs: Buffer[] } {
  const msgs: Buffer[] = [];
  return { msgs, sink: { write: (m) => (msgs.push(m), true), drain: async () => {} } };
}

function decode(msgs: Buffer[]): Out {
  const rows: string[][] = [];
  let tail = '';
  for (const m of msgs) {
    if (m[0] === 0x44) {
      const n = m.readInt16BE(5);
      const r: string[] = [];
      let p = 7;
      for (let k = 0; k < n; k++) {
        const len = m.readInt32BE(p);
        p += 4;
        r.push(len < 0 ? 'NULL' : m.toString('utf8', p, p + len));
        if (len > 0) p += len;
      }
      rows.push(r);
    } else if (m[0] === 0x73) tail = 'suspended';
    else if (m[0] === 0x43) tail = m.toString('utf8', 5, m.length - 1);
  }
  return { rows, tail };
}

async function run(portal: LocalPortal, maxRows = 0): Promise<Out> {
  const { sink, msgs } = collect();
  const r = await portal.execute(maxRows, sink);
  const out = decode(msgs);
  assert.equal(r === 'suspended', out.tail === 'suspended');
  return out;
}

async function query(sql: string, s: SessionInfo = session, params: string[] = [], bindAtOnce = false): Promise<Out> {
  const q = await router.prepare(sql, [], s, { bindAtOnce });
  const p = await q.bind(params.map((v) => Buffer.from(v)), [], []);
  try {
    return await run(p);
  } finally {
    p.close();
  }
}

test('claims: mirror reads and lakegate commands only', () => {
  const b = (s: string) => Buffer.from(s);
  assert.equal(router.mayBeLocal(b('SELECT 1'), 0, 8), false);
  assert.equal(router.mayBeLocal(b('select * from ITEMS_ICEBERG'), 0, 27), true);
  assert.equal(router.claims('SELECT * FROM items', session), false);
  assert.equal(router.claims('SELECT * FROM items_iceberg', session), true);
  assert.equal(router.claims("SELECT 'items_iceberg'", session), false);
  assert.equal(router.claims('SHOW lakegate.version', session), true);
  // writes to a mirror are claimed so that they can be refused
  assert.equal(router.claims('DELETE FROM items_iceberg', session), true);
});

test('prepared statement: Describe before Execute, parameters, reuse, row limits', async () => {
  const sql = 'SELECT id, name, price * $1 AS p FROM items_iceberg WHERE qty > $2 ORDER BY id';
  const q = await router.prepare(sql, [], session);
  const want = await ch.describe(sql, []);
  assert.deepEqual(q.paramTypes, want.paramTypes);
  assert.deepEqual(
    q.fields()!.map((f) => [f.name, f.typeOid, f.typeMod, f.format]),
    want.fields!.map((f) => [f.name, f.typeOid, f.typeMod, 0]),
  );
  // first portal: suspended after 3 rows, continued, finished
  const p1 = await q.bind([Buffer.from('2'), Buffer.from('0')], [], []);
  const a = await run(p1, 3);
  assert.equal(a.tail, 'suspended');
  assert.deepEqual(a.rows, [['14', 'item 14', '35.00'], ['15', 'item 15', '37.50'], ['16', 'item 16', '40.00']]);
  const b = await run(p1, 3);
  assert.equal(b.tail, 'suspended');
  assert.deepEqual(b.rows.map((r) => r[0]), ['17', '18', '19']);
  const c = await run(p1, 0);
  assert.equal(c.tail, 'SELECT 6', 'CommandComplete counts the rows of the last Execute');
  assert.deepEqual(c.rows.map((r) => r[0]), ['20', '21', '22', '23', '24', '25']);
  p1.close();
  // the same statement bound again, binary int4 parameter and binary results
  const two = Buffer.alloc(4);
  two.writeInt32BE(32);
  const p2 = await q.bind([Buffer.from('0.5'), two], [0, 1], [1]);
  assert.deepEqual(p2.fields()!.map((f) => f.format), [1, 1, 1]);
  const { sink, msgs } = collect();
  assert.equal(await p2.execute(0, sink), 'complete');
  p2.close();
  const rows = msgs.filter((m) => m[0] === 0x44);
  assert.equal(rows.length, 1);
  // id 25 as int4 binary
  assert.equal(rows[0]!.readInt32BE(11), 25);
  // exactly suspended at the end: PG sends PortalSuspended, then SELECT 0 on the next Execute
  const p3 = await q.bind([Buffer.from('1'), Buffer.from('29')], [], []);
  assert.equal((await run(p3, 2)).tail, 'suspended');
  assert.deepEqual(await run(p3, 2), { rows: [], tail: 'SELECT 0' });
  p3.close();
});

test('EXPLAIN returns DuckDB plan rows named QUERY PLAN', async () => {
  const q = await router.prepare('EXPLAIN SELECT sum(qty) FROM items_iceberg WHERE region = 1', [], session);
  assert.deepEqual(q.fields()!.map((f) => [f.name, f.typeOid]), [['QUERY PLAN', 25]]);
  const p = await q.bind([], [], []);
  const out = await run(p);
  p.close();
  assert.equal(out.tail, 'EXPLAIN');
  assert.ok(out.rows.length > 3);
  assert.match(out.rows.map((r) => r[0]).join('\n'), /lg_items|SEQ_SCAN|TABLE_SCAN/i);
});

test('SHOW lakegate.version is answered by the builtin router', async () => {
  const out = await query('SHOW lakegate.version');
  assert.equal(out.rows.length, 1);
  assert.equal(out.tail, 'SHOW');
});

test('errors: Postgres reports SQL errors, runtime errors map to Postgres codes, refusals are 0A000', async () => {
  await assert.rejects(query('SELECT nosuch FROM items_iceberg'), { code: '42703', message: 'column "nosuch" does not exist' });
  await assert.rejects(query('SELECT id / (qty - qty) FROM items_iceberg'), { code: '22012', message: 'division by zero' });
  await assert.rejects(query('SELECT qty * 2000000000 FROM items_iceberg'), { code: '22003', message: 'integer out of range' });
  await assert.rejects(query('SELECT (SELECT id FROM items_iceberg)'), { code: '21000' });
  await assert.rejects(query("SELECT ('x' || id)::int FROM items_iceberg"), { code: '22P02', message: 'invalid input syntax for type integer: "x1"' });
  await assert.rejects(query('DELETE FROM items_iceberg'), { code: '0A000' });
  await assert.rejects(query('SELECT id FROM items_iceberg FOR UPDATE'), { code: '0A000' });
  // a Parse takes one statement (a simple Query of several runs them one at a time: e2e-walkthroughs)
  await assert.rejects(query('SELECT id FROM items_iceberg; SELECT 1'), { code: '42601', message: 'cannot insert multiple commands into a prepared statement' });
  await assert.rejects(query('COPY items_iceberg FROM STDIN'), { code: '0A000' });
  await assert.rejects(query("COPY (SELECT id FROM items_iceberg) TO '/tmp/lakegate-x'"), { code: '0A000' });
  await assert.rejects(query('COPY (SELECT id FROM items_iceberg) TO STDOUT (FORMAT binary)'), { code: '0A000' });
  await assert.rejects(query('SELECT id FROM items_iceberg LIMIT -1'), { code: '2201W', message: 'LIMIT must not be negative' });
});

test('session settings the engine cannot honour are refused', async () => {
  const s1: SessionInfo = { ...session, params: new Map([...session.params, ['client_encoding', 'LATIN1']]) };
  await assert.rejects(query('SELECT id FROM items_iceberg', s1), { code: '0A000', message: /client_encoding/ });
  const s2: SessionInfo = { ...session, params: new Map([...session.params, ['standard_conforming_strings', 'off']]) };
  await assert.rejects(query('SELECT id FROM items_iceberg', s2), { code: '0A000', message: /standard_conforming_strings/ });
});

test('privileges: 42501 as Postgres reports it; column privileges honoured', async () => {
  const rc = await DirectChannel.connect({ port, user: 'lg_reader', database: 'postgres' });
  const s: SessionInfo = { ...session, id: 2, user: 'lg_reader', params: rc.status, upstream: rc };
  try {
    // bound later (extended protocol: the context is read at bind) and at once (simple Query: read with the Describe)
    for (const once of [false, true]) {
      assert.deepEqual((await query('SELECT id, qty FROM items_iceberg WHERE id < 3 ORDER BY id', s, [], once)).rows, [['1', '-37'], ['2', '-34']]);
      assert.deepEqual((await query('SELECT count(*) FROM items_iceberg', s, [], once)).rows, [['25']]);
      await assert.rejects(query('SELECT name FROM items_iceberg', s, [], once), { code: '42501', message: 'permission denied for view items_iceberg' });
      await assert.rejects(query('SELECT * FROM items_iceberg', s, [], once), { code: '42501', message: 'permission denied for view items_iceberg' });
      // an ordinary table joined with the mirror is read with the session's rights
      await assert.rejects(query('SELECT i.id FROM items_iceberg i JOIN regions r ON r.id = i.qty', s, [], once), { code: '42501', message: 'permission denied for table regions' });
    }
  } finally {
    rc.close();
  }
});

test('joins with an ordinary table push simple filters and cap the copied rows', async () => {
  const out = await query('SELECT i.id, r.label FROM items_iceberg i JOIN regions r ON r.id = i.region WHERE r.id < 2 AND i.id < 5 ORDER BY i.id');
  assert.deepEqual(out.rows, [['1', 'region 1'], ['3', 'region 0'], ['4', 'region 1']]);
  // 5001 region rows without a filter exceed maxFetchRows (1000)
  await assert.rejects(query('SELECT count(*) FROM items_iceberg i JOIN regions r ON r.id = i.region'), { code: '54000' });
});

test('read-your-writes: the query waits for the mirror to reach upstream\'s WAL position', async () => {
  lsnSeen.length = 0;
  await query('SELECT count(*) FROM items_iceberg');
  assert.equal(lsnSeen.length, 1);
  assert.ok(lsnSeen[0]! > 0n);
  fresh = false;
  try {
    await assert.rejects(query('SELECT count(*) FROM items_iceberg'), { code: '55000' });
  } finally {
    fresh = true;
  }
});

test('cancel interrupts a running DuckDB query with 57014', async () => {
  const q = await router.prepare('SELECT sum(id) FROM big_iceberg', [], session);
  const p = await q.bind([], [], []);
  const { sink } = collect();
  const running = p.execute(0, sink);
  setTimeout(() => p.cancel!(), 150);
  await assert.rejects(running, { code: '57014', message: 'canceling statement due to user request' });
  p.close();
});

test('DuckDB lockdown: files outside the allowed folders and configuration changes are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lg-lock-'));
  const outside = mkdtempSync(join(tmpdir(), 'lg-out-'));
  const inst = await DuckDBInstance.create(':memory:');
  try {
    writeFileSync(join(dir, 'ok.csv'), 'a\n1\n');
    writeFileSync(join(outside, 'no.csv'), 'a\n1\n');
    const c = await inst.connect();
    await lockDown(c, { allowedDirectories: [dir] });
    const r = await c.runAndReadAll(`SELECT count(*) FROM read_csv('${join(dir, 'ok.csv')}')`);
    assert.equal(Number(r.getRows()[0]![0]), 1);
    await assert.rejects(c.run(`SELECT * FROM read_csv('${join(outside, 'no.csv')}')`), /Permission Error|disabled/);
    await assert.rejects(c.run(`SELECT * FROM read_csv('/etc/hostname')`), /Permission Error|disabled/);
    await assert.rejects(c.run(`SET enable_external_access = true`), /locked|Cannot change/);
    await assert.rejects(c.run(`SET TimeZone = 'UTC'`), /locked/);
    await assert.rejects(c.run(`INSTALL httpfs`), /Permission|disabled|not allowed/i);
    c.closeSync();
  } finally {
    inst.closeSync();
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('reader views chosen before are checked in the query\'s own DuckDB call, and chosen again when stale', async () => {
  // two relations the chooser can name (as lg_reader_<id> names the cheapest equivalent view); they differ here
  // only so that the answer shows which one a query read
  const c = await db.connect();
  await c.run(`CREATE TABLE lg_items_alt AS SELECT * REPLACE (qty + 1000 AS qty) FROM lg_items`);
  await c.run(`CREATE TABLE lg_choice (relation VARCHAR, shape VARCHAR); INSERT INTO lg_choice VALUES ('lg_items', 's1')`);
  const choosing = await EngineRouter.create({
    duckdb: { instance: db, connect: () => db.connect() },
    mirrors: { ...mirrors, choiceSql: (r) => (r.name === 'items_iceberg' ? 'SELECT relation, shape FROM lg_choice' : null) },
    maxFetchRows: 1000,
  });
  const sum = async () => {
    const q = await choosing.prepare('SELECT sum(qty) FROM items_iceberg', [], session, { bindAtOnce: true });
    const p = await q.bind([], [], []);
    try {
      return (await run(p)).rows[0]![0];
    } finally {
      p.close();
    }
  };
  try {
    const base = (await query('SELECT sum(qty) FROM items_iceberg')).rows[0]![0]!;
    const alt = String(Number(base) + 25 * 1000);
    assert.equal(await sum(), base, 'chosen before the query');
    assert.equal(await sum(), base, 'the remembered choice, checked in the same call');
    await c.run(`UPDATE lg_choice SET relation = 'lg_items_alt'`);
    assert.equal(await sum(), alt, 'a stale remembered choice is noticed and the current view read');
    assert.equal(await sum(), alt);
    await c.run(`UPDATE lg_choice SET shape = 's2'`);
    await assert.rejects(sum(), { code: '40001' }, 'the views changed their columns while the query ran');
    assert.equal(await sum(), alt, 'the next query reads the new shape');
  } finally {
    await c.run('DROP TABLE lg_choice; DROP TABLE lg_items_alt');
    c.closeSync();
  }
});
