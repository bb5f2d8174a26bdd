// The wire protocol at byte level through lakegate: pre-startup packets, startup passthrough, pipelining
// across Syncs with local and upstream answers interleaved, Flush, COPY, Terminate, and malformed frames
// (each breaks only its own connection).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startGate, type Gate } from './helpers/lakegate.js';
import { backends } from './helpers/backends.js';
import { eventually } from './helpers/eventually.js';
import { RawClient, fe, fields, message, transcript, type BackendMessage } from './clients/raw.js';
import { VERSION } from '../src/version.js';

let db: TestPostgres;
let gate: Gate;
/** A node-pg client opened before the misbehaving ones; it must keep working throughout. */
let bystander: pg.Client;

before(async () => {
  db = await startPostgres();
  gate = await startGate({ 'upstream.url': db.url });
  await db.sql('create table t (id int primary key, name text)');
  bystander = await gate.client({ application_name: 'lg-bystander' });
});

after(async () => {
  await gate?.close();
  await db?.destroy();
});

async function connect(app = 'lg-raw'): Promise<RawClient> {
  const c = await RawClient.connect(gate.port);
  await c.startup({ user: 'postgres', database: 'postgres', application_name: app });
  return c;
}

async function bystanderWorks(): Promise<void> {
  assert.equal((await bystander.query('select 1 as one')).rows[0].one, 1);
  assert.equal((await bystander.query('SHOW lakegate.version')).rows[0]['lakegate.version'], VERSION);
}

/** Read responses until `n` ReadyForQuery messages arrived. */
async function readReady(c: RawClient, n: number, timeoutMs = 5000): Promise<BackendMessage[]> {
  const out: BackendMessage[] = [];
  for (let i = 0; i < n; i++) for (const m of await c.readUntil('Z', timeoutMs)) out.push(m);
  return out;
}

/** The ErrorResponse that ends a connection, and proof that it really closed. */
async function fatalThenClose(c: RawClient): Promise<Record<string, string>> {
  const rest = await c.readToEnd(5000);
  const errors = rest.filter((m) => m.type === 'E').map((m) => fields(m.body));
  assert.equal(errors.length, 1, `one ErrorResponse before close, got ${JSON.stringify(transcript(rest))}`);
  assert.equal(errors[0]!.S, 'FATAL');
  assert.ok(c.closed, 'connection closed');
  return errors[0]!;
}

// ---- before startup -----------------------------------------------------------------------------

test('SSLRequest without tls.cert is answered N and the same connection then starts up in plaintext', async () => {
  const c = await RawClient.connect(gate.port);
  c.write(fe.sslRequest());
  assert.equal(await c.readByte(), 'N');
  await c.startup();
  c.write(fe.query('SHOW lakegate.version'));
  assert.deepEqual(transcript(await c.readUntil('Z')), ['T', `D:${VERSION}`, 'C:SHOW', 'Z:I']);
  c.end(fe.terminate());
  await c.closedPromise;
});

test('GSSENCRequest is answered N, then SSLRequest N, then startup', async () => {
  const c = await RawClient.connect(gate.port);
  c.write(fe.gssencRequest());
  assert.equal(await c.readByte(), 'N');
  c.write(fe.sslRequest());
  assert.equal(await c.readByte(), 'N');
  await c.startup();
  c.write(fe.query('select 1'));
  assert.deepEqual(transcript(await c.readUntil('Z')), ['T', 'D:1', 'C:SELECT 1', 'Z:I']);
  c.end(fe.terminate());
});

test('startup goes upstream: ParameterStatus and BackendKeyData are Postgres\' own', async () => {
  const c = await RawClient.connect(gate.port);
  const msgs = await c.startup({ user: 'postgres', database: 'postgres', application_name: 'lg-startup', DateStyle: 'German' });
  const types = msgs.map((m) => m.type);
  assert.equal(types[0], 'R', 'authentication request first');
  assert.ok(types.includes('K'), 'BackendKeyData passed through');
  const direct = await db.client();
  const sv = (await direct.query('show server_version')).rows[0].server_version;
  await direct.end();
  assert.equal(c.params.get('server_version'), sv);
  assert.equal(c.params.get('application_name'), 'lg-startup');
  assert.equal(c.params.get('DateStyle'), 'German, DMY'); // a startup option only Postgres could have applied
  c.write(fe.query('select pg_backend_pid(), current_setting(\'application_name\')'));
  const r = transcript(await c.readUntil('Z'));
  assert.deepEqual(r.slice(1), [`D:${c.pid}|lg-startup`, 'C:SELECT 1', 'Z:I']);
  c.end(fe.terminate());
});

test('startup for a database that does not exist: Postgres\' FATAL 3D000 reaches the client', async () => {
  const c = await RawClient.connect(gate.port);
  c.write(fe.startup({ user: 'postgres', database: 'no_such_db' }));
  const e = await fatalThenClose(c);
  assert.equal(e.C, '3D000');
  await bystanderWorks();
});

// ---- pipelining and order -------------------------------------------------------------------------

test('pipelined simple queries: local answers land between upstream ones, with the right transaction status', async () => {
  const c = await connect();
  c.write(
    fe.query('SHOW lakegate.version'),
    fe.query('BEGIN'),
    fe.query('SHOW lakegate.version'),
    fe.query(`insert into t values (1, 'one')`),
    fe.query('show lakegate.version;'),
    fe.query('select count(*) from t'),
    fe.query('COMMIT'),
    fe.query('SHOW LAKEGATE.VERSION'),
    fe.query('select name from t'),
  );
  const v = `D:${VERSION}`;
  assert.deepEqual(transcript(await readReady(c, 9)), [
    'T', v, 'C:SHOW', 'Z:I',
    'C:BEGIN', 'Z:T',
    'T', v, 'C:SHOW', 'Z:T',
    'C:INSERT 0 1', 'Z:T',
    'T', v, 'C:SHOW', 'Z:T',
    'T', 'D:1', 'C:SELECT 1', 'Z:T',
    'C:COMMIT', 'Z:I',
    'T', v, 'C:SHOW', 'Z:I',
    'T', 'D:one', 'C:SELECT 1', 'Z:I',
  ]);
  // a failed transaction: upstream reports E, the local answer after it keeps the E status
  c.write(fe.query('BEGIN'), fe.query('select 1/0'), fe.query('SHOW lakegate.version'), fe.query('ROLLBACK'), fe.query('SHOW lakegate.version'));
  const r = transcript(await readReady(c, 5));
  assert.deepEqual(r.filter((m) => m.startsWith('Z')), ['Z:T', 'Z:E', 'Z:E', 'Z:I', 'Z:I']);
  assert.ok(r.includes('E:22012'));
  c.end(fe.terminate());
});

test('pipelined extended protocol across Syncs, named statements reused on both sides', async () => {
  const c = await connect();
  c.write(
    fe.parse('up', 'select $1::int * 10'), fe.bind('', 'up', ['1']), fe.execute(), fe.sync(),
    fe.parse('loc', 'SHOW lakegate.version'), fe.bind('', 'loc'), fe.describe('P', ''), fe.execute(), fe.sync(),
    fe.bind('', 'up', ['2']), fe.execute(), fe.sync(),
    fe.bind('p1', 'loc'), fe.execute('p1'), fe.sync(),
    fe.query('select 3'),
    fe.bind('', 'up', ['4']), fe.describe('P', ''), fe.execute(), fe.sync(),
    fe.describe('S', 'loc'), fe.sync(),
    fe.close('S', 'loc'), fe.sync(),
  );
  const v = `D:${VERSION}`;
  assert.deepEqual(transcript(await readReady(c, 8)), [
    '1', '2', 'D:10', 'C:SELECT 1', 'Z:I',
    '1', '2', 'T', v, 'C:SHOW', 'Z:I',
    '2', 'D:20', 'C:SELECT 1', 'Z:I',
    '2', v, 'C:SHOW', 'Z:I',
    'T', 'D:3', 'C:SELECT 1', 'Z:I',
    '2', 'T', 'D:40', 'C:SELECT 1', 'Z:I',
    't', 'T', 'Z:I',
    '3', 'Z:I',
  ]);
  // `loc` was closed; `up` still exists upstream
  c.write(fe.bind('', 'loc'), fe.execute(), fe.sync(), fe.bind('', 'up', ['5']), fe.execute(), fe.sync());
  const after = transcript(await readReady(c, 2));
  assert.equal(after[0], 'E:26000');
  assert.deepEqual(after.slice(1), ['Z:I', '2', 'D:50', 'C:SELECT 1', 'Z:I']);
  c.end(fe.terminate());
});

test('extended protocol inside a transaction: the local Sync reports T', async () => {
  const c = await connect();
  c.write(
    fe.query('BEGIN'),
    fe.parse('', `insert into t values (2, 'two')`), fe.bind('', ''), fe.execute(), fe.sync(),
    fe.parse('', 'SHOW lakegate.version'), fe.bind('', ''), fe.execute(), fe.sync(),
    fe.parse('', 'select count(*) from t where id = 2'), fe.bind('', ''), fe.execute(), fe.sync(),
    fe.query('ROLLBACK'),
    fe.parse('', 'SHOW lakegate.version'), fe.bind('', ''), fe.execute(), fe.sync(),
  );
  assert.deepEqual(transcript(await readReady(c, 6)), [
    'C:BEGIN', 'Z:T',
    '1', '2', 'C:INSERT 0 1', 'Z:T',
    '1', '2', `D:${VERSION}`, 'C:SHOW', 'Z:T',
    '1', '2', 'D:1', 'C:SELECT 1', 'Z:T',
    'C:ROLLBACK', 'Z:I',
    '1', '2', `D:${VERSION}`, 'C:SHOW', 'Z:I',
  ]);
  c.end(fe.terminate());
});

test('a batch that starts upstream and ends local (pgjdbc: BEGIN piggybacked on the first statement)', async () => {
  // pgjdbc with autocommit off sends Parse/Bind/Execute "BEGIN" and the first statement before one Sync
  const c = await connect();
  c.write(
    fe.parse('', 'BEGIN'), fe.bind('', ''), fe.execute(),
    fe.parse('', 'SHOW lakegate.version'), fe.bind('', ''), fe.describe('P', ''), fe.execute(), fe.sync(),
    fe.query('ROLLBACK'),
  );
  assert.deepEqual(transcript(await readReady(c, 2)), [
    '1', '2', 'C:BEGIN',
    '1', '2', 'T', `D:${VERSION}`, 'C:SHOW', 'Z:T',
    'C:ROLLBACK', 'Z:I',
  ]);
  c.end(fe.terminate());
});

test('a Close of an upstream portal batched in front of a local statement (pgjdbc closes portals lazily)', async () => {
  const c = await connect();
  // an upstream named portal, left open by a suspended Execute inside a transaction
  c.write(fe.query('BEGIN'), fe.parse('', 'select g from generate_series(1, 3) g'), fe.bind('C_1', ''), fe.execute('C_1', 1), fe.sync());
  assert.deepEqual(transcript(await readReady(c, 2)), ['C:BEGIN', 'Z:T', '1', '2', 'D:1', 's', 'Z:T']);
  // pgjdbc's next statement: Close portal C_1, then the new statement, one Sync
  c.write(fe.close('P', 'C_1'), fe.parse('', 'SHOW lakegate.version'), fe.bind('C_2', ''), fe.describe('P', 'C_2'), fe.execute('C_2', 1), fe.sync());
  assert.deepEqual(transcript(await c.readUntil('Z')), ['3', '1', '2', 'T', `D:${VERSION}`, 'C:SHOW', 'Z:T']);
  // and the next upstream answer carries nothing left over from before
  c.write(fe.query('select 9'));
  assert.deepEqual(transcript(await c.readUntil('Z')), ['T', 'D:9', 'C:SELECT 1', 'Z:T']);
  c.end(fe.terminate());
});

test('errors skip to Sync on both sides and the session continues', async () => {
  const c = await connect();
  c.write(
    // upstream: a parse error, then messages Postgres must skip until Sync
    fe.parse('', 'selec 1'), fe.bind('', ''), fe.execute(), fe.sync(),
    // local: a Bind with a parameter the statement does not take
    fe.parse('', 'SHOW lakegate.version'), fe.bind('', '', ['x']), fe.execute(), fe.sync(),
    // local: an unknown lakegate setting
    fe.query('SHOW lakegate.nonsense'),
    fe.parse('', 'select 5'), fe.bind('', ''), fe.execute(), fe.sync(),
  );
  const r = transcript(await readReady(c, 4));
  assert.deepEqual(r, ['E:42601', 'Z:I', '1', 'E:08P01', 'Z:I', 'E:42704', 'Z:I', '1', '2', 'D:5', 'C:SELECT 1', 'Z:I']);
  c.end(fe.terminate());
});

test('Flush without Sync returns results on both sides', async () => {
  const c = await connect();
  c.write(fe.parse('', 'SHOW lakegate.version'), fe.bind('', ''), fe.execute(), fe.flush());
  assert.deepEqual(transcript([await c.read(), await c.read(), await c.read(), await c.read()]), ['1', '2', `D:${VERSION}`, 'C:SHOW']);
  c.write(fe.sync());
  assert.deepEqual(transcript([await c.read()]), ['Z:I']);
  c.write(fe.parse('', 'select 6'), fe.bind('', ''), fe.execute(), fe.flush());
  assert.deepEqual(transcript([await c.read(), await c.read(), await c.read(), await c.read()]), ['1', '2', 'D:6', 'C:SELECT 1']);
  c.write(fe.sync());
  assert.deepEqual(transcript([await c.read()]), ['Z:I']);
  c.end(fe.terminate());
});

test('a local answer queued behind a large upstream result waits for it, then the rest follows', async () => {
  const c = await connect();
  c.write(fe.query('select g from generate_series(1, 200000) g'), fe.query('SHOW lakegate.version'), fe.query('select 7'));
  const msgs = await readReady(c, 3, 20000);
  const r = transcript(msgs);
  assert.equal(r.filter((m) => m.startsWith('D:')).length, 200002);
  assert.deepEqual(r.slice(199999, 200001), ['D:199999', 'D:200000']);
  assert.deepEqual(r.slice(200001), ['C:SELECT 200000', 'Z:I', 'T', `D:${VERSION}`, 'C:SHOW', 'Z:I', 'T', 'D:7', 'C:SELECT 1', 'Z:I']);
  c.end(fe.terminate());
});

// ---- COPY -----------------------------------------------------------------------------------------

test('COPY FROM STDIN and COPY TO STDOUT, CopyFail, and a local query right behind COPY data', async () => {
  const c = await connect();
  c.write(fe.query('COPY t (id, name) FROM STDIN'));
  assert.deepEqual(transcript([await c.read()]), ['G']);
  c.write(fe.copyData('10\tten\n11\televen\n'), fe.copyData('12\t\\N\n'), fe.copyDone());
  assert.deepEqual(transcript(await c.readUntil('Z')), ['C:COPY 3', 'Z:I']);

  c.write(fe.query('COPY (select id, name from t where id >= 10 order by id) TO STDOUT'));
  const out = await c.readUntil('Z');
  assert.deepEqual(out.map((m) => m.type), ['H', 'd', 'd', 'd', 'c', 'C', 'Z']);
  assert.equal(out.filter((m) => m.type === 'd').map((m) => m.body.toString()).join(''), '10\tten\n11\televen\n12\t\\N\n');

  c.write(fe.query('COPY t (id, name) FROM STDIN'));
  assert.deepEqual(transcript([await c.read()]), ['G']);
  c.write(fe.copyData('13\tthirteen\n'), fe.copyFail('client changed its mind'));
  assert.deepEqual(transcript(await c.readUntil('Z')), ['E:57014', 'Z:I']);

  // the whole exchange in one write, followed by a local statement: nothing in CopyData is inspected
  const rows = Array.from({ length: 2000 }, (_, i) => `${100 + i}\tSHOW lakegate.version ${i}\n`).join('');
  c.write(fe.query('COPY t (id, name) FROM STDIN'), fe.copyData(rows), fe.copyDone(), fe.query('SHOW lakegate.version'));
  assert.deepEqual(transcript(await readReady(c, 2)), ['G', 'C:COPY 2000', 'Z:I', 'T', `D:${VERSION}`, 'C:SHOW', 'Z:I']);
  assert.equal((await db.sql('select count(*)::int as n from t where id >= 100')).rows[0].n, 2000);
  c.end(fe.terminate());
});

// ---- endings --------------------------------------------------------------------------------------

test('Terminate: lakegate closes the client socket and the upstream backend goes away', async () => {
  const c = await connect('lg-raw-term');
  assert.equal(await backends(db, 'lg-raw-term'), 1);
  c.write(fe.terminate());
  await c.closedPromise;
  await eventually(async () => (await backends(db, 'lg-raw-term')) === 0, 'upstream backend gone');
});

test('client vanishing without Terminate releases the upstream backend', async () => {
  const c = await connect('lg-raw-vanish');
  c.destroy();
  await eventually(async () => (await backends(db, 'lg-raw-vanish')) === 0, 'upstream backend gone');
});

// ---- malformed input ------------------------------------------------------------------------------

test('garbage before startup (an HTTP request) gets FATAL 08P01 and a close', async () => {
  const c = await RawClient.connect(gate.port);
  c.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8\r\n\r\n'));
  const e = await fatalThenClose(c);
  assert.equal(e.C, '08P01');
  assert.match(e.M, /startup packet|length/i);
  await bystanderWorks();
});

test('an unsupported protocol version in the startup packet gets FATAL 08P01', async () => {
  const c = await RawClient.connect(gate.port);
  const pkt = fe.startup({ user: 'postgres' });
  pkt.writeInt32BE((9 << 16) | 9, 4);
  c.write(pkt);
  const e = await fatalThenClose(c);
  assert.equal(e.C, '08P01');
  assert.match(e.M, /protocol/i);
  await bystanderWorks();
});

test('a message with a bad length gets FATAL 08P01, the upstream backend is released', async () => {
  const c = await connect('lg-raw-badlen');
  c.write(Buffer.from([0x51, 0, 0, 0, 2])); // Query with length 2 (< 4)
  const e = await fatalThenClose(c);
  assert.equal(e.C, '08P01');
  await eventually(async () => (await backends(db, 'lg-raw-badlen')) === 0, 'upstream backend gone');
  await bystanderWorks();
});

test('a message longer than Postgres allows gets FATAL 08P01', async () => {
  const c = await connect('lg-raw-huge');
  c.write(Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff, 0x41]));
  const e = await fatalThenClose(c);
  assert.equal(e.C, '08P01');
  await eventually(async () => (await backends(db, 'lg-raw-huge')) === 0, 'upstream backend gone');
  await bystanderWorks();
});

test('an unknown message type byte gets FATAL 08P01', async () => {
  const c = await connect('lg-raw-type');
  c.write(message('\x01', Buffer.from('hello')));
  const e = await fatalThenClose(c);
  assert.equal(e.C, '08P01');
  assert.match(e.M, /message type/i);
  await eventually(async () => (await backends(db, 'lg-raw-type')) === 0, 'upstream backend gone');
  await bystanderWorks();
});

test('a truncated message and then a close: the session and its upstream backend are released', async () => {
  const live = gate.lakegate.sessions.live.size;
  const c = await connect('lg-raw-trunc');
  assert.equal(gate.lakegate.sessions.live.size, live + 1);
  const q = fe.query(`select '${'x'.repeat(500)}'`);
  c.end(q.subarray(0, 100));
  await c.closedPromise;
  await eventually(async () => (await backends(db, 'lg-raw-trunc')) === 0, 'upstream backend gone');
  await eventually(() => gate.lakegate.sessions.live.size === live, 'session removed');
  await bystanderWorks();
});

test('a truncated startup packet and then a close: nothing is left behind', async () => {
  const live = gate.lakegate.sessions.live.size;
  const c = await RawClient.connect(gate.port);
  c.end(fe.startup({ user: 'postgres', database: 'postgres' }).subarray(0, 12));
  await c.closedPromise;
  assert.equal(gate.lakegate.sessions.live.size, live);
  await bystanderWorks();
});

test('a connection that sends nothing, and one that closes at once, do not disturb others', async () => {
  const idle = await RawClient.connect(gate.port);
  const gone = await RawClient.connect(gate.port);
  gone.destroy();
  await bystanderWorks();
  const c = await connect();
  c.write(fe.query('select 8'));
  assert.deepEqual(transcript(await c.readUntil('Z')), ['T', 'D:8', 'C:SELECT 1', 'Z:I']);
  c.end(fe.terminate());
  idle.destroy();
});
