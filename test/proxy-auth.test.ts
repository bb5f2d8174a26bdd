// Authentication is Postgres' own (lakegate relays the exchange): trust, SCRAM-SHA-256 and md5, right
// and wrong passwords. TLS between client and lakegate with a certificate made for the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import pg from 'pg';
import type { TestPostgres } from './helpers/postgres.js';
import { startPlainAndTlsGates, startPostgresWithPasswords, type PlainAndTlsGates } from './helpers/auth.js';
import { RawClient, fe, fields } from './clients/raw.js';
import { VERSION } from '../src/version.js';

const SCRAM_PW = 'scr@m pässword';
const MD5_PW = 'md5-secret';

let db: TestPostgres;
let gates: PlainAndTlsGates;

before(async () => {
  db = await startPostgresWithPasswords({ scram: SCRAM_PW, md5: MD5_PW }, { hba: ['host all nologin_user 127.0.0.1/32 reject'] });
  await db.sql('create role nologin_user login');
  gates = await startPlainAndTlsGates(db.url);
});

after(async () => {
  await gates?.close();
  await db?.destroy();
});

async function whoami(c: pg.Client): Promise<string> {
  return (await c.query('select current_user as u')).rows[0].u;
}

test('the md5 role really has an md5 hash and the SCRAM role a SCRAM verifier', async () => {
  const r = await db.sql(`select rolname, left(rolpassword, 13) as p from pg_authid where rolname in ('scram_user', 'md5_user') order by 1`);
  assert.deepEqual(r.rows.map((x) => [x.rolname, x.p.startsWith('SCRAM-SHA-256') ? 'scram' : x.p.startsWith('md5') ? 'md5' : x.p]), [
    ['md5_user', 'md5'],
    ['scram_user', 'scram'],
  ]);
});

test('SCRAM-SHA-256 with the right password: Postgres authenticates through lakegate', async () => {
  const c = await gates.plain.client({ user: 'scram_user', password: SCRAM_PW });
  assert.equal(await whoami(c), 'scram_user');
  assert.equal((await c.query('SHOW lakegate.version')).rows[0]['lakegate.version'], VERSION);
  await c.end();
});

test('SCRAM-SHA-256 with a wrong password: 28P01 from Postgres', async () => {
  await assert.rejects(gates.plain.client({ user: 'scram_user', password: 'wrong' }), (e: any) => {
    assert.equal(e.code, '28P01');
    assert.equal(e.severity, 'FATAL');
    assert.match(e.message, /password authentication failed for user "scram_user"/);
    return true;
  });
});

test('the SASL exchange is relayed as Postgres sends it (raw)', async () => {
  const c = await RawClient.connect(gates.plain.port);
  c.write(fe.startup({ user: 'scram_user', database: 'postgres' }));
  const m = await c.read();
  assert.equal(m.type, 'R');
  assert.equal(m.body.readInt32BE(0), 10, 'AuthenticationSASL');
  assert.match(m.body.subarray(4).toString(), /SCRAM-SHA-256/);
  // a garbage SASLInitialResponse: Postgres rejects it, lakegate passes the FATAL on and closes
  c.write(fe.password('not a sasl message'));
  const rest = await c.readToEnd();
  const err = rest.find((x) => x.type === 'E');
  assert.ok(err, 'an ErrorResponse');
  assert.equal(fields(err.body).S, 'FATAL');
  assert.ok(c.closed);
});

test('md5 with the right and a wrong password', async () => {
  const c = await gates.plain.client({ user: 'md5_user', password: MD5_PW });
  assert.equal(await whoami(c), 'md5_user');
  await c.end();
  await assert.rejects(gates.plain.client({ user: 'md5_user', password: 'nope' }), (e: any) => e.code === '28P01');
  // the challenge is Postgres' own AuthenticationMD5Password (5) with a salt
  const raw = await RawClient.connect(gates.plain.port);
  raw.write(fe.startup({ user: 'md5_user', database: 'postgres' }));
  const m = await raw.read();
  assert.equal(m.type, 'R');
  assert.equal(m.body.readInt32BE(0), 5);
  assert.equal(m.body.length, 8);
  raw.destroy();
});

test('pg_hba reject: Postgres\' FATAL 28000 reaches the client', async () => {
  await assert.rejects(gates.plain.client({ user: 'nologin_user' }), (e: any) => e.code === '28000' && /pg_hba\.conf rejects/.test(e.message));
});

test('trust: no password asked', async () => {
  const c = await gates.plain.client({ user: 'postgres' });
  assert.equal(await whoami(c), 'postgres');
  await c.end();
});

test('TLS (sslmode=require): SSLRequest answered S, certificate verified with the test CA, SCRAM inside', async () => {
  const c = await gates.secure.client({
    user: 'scram_user',
    password: SCRAM_PW,
    ssl: { ca: gates.cert.certPem, servername: 'localhost', rejectUnauthorized: true },
  });
  const stream = (c as any).connection.stream as tls.TLSSocket;
  assert.ok(stream instanceof tls.TLSSocket && stream.encrypted, 'connection is TLS');
  assert.equal(stream.getPeerCertificate().subject.CN, 'localhost');
  assert.match(String(stream.getProtocol()), /^TLSv1\.[23]$/);
  assert.equal(await whoami(c), 'scram_user');
  assert.equal((await c.query('SHOW lakegate.version')).rows[0]['lakegate.version'], VERSION);
  const big = await c.query(`select string_agg(g::text, ',') as s from generate_series(1, 50000) g`);
  assert.equal(big.rows[0].s.split(',').length, 50000);
  await c.end();
});

test('TLS: wrong password over TLS is still 28P01', async () => {
  await assert.rejects(
    gates.secure.client({ user: 'scram_user', password: 'bad', ssl: { rejectUnauthorized: false } }),
    (e: any) => e.code === '28P01',
  );
});

test('TLS: a plaintext client is still served by a TLS-enabled lakegate', async () => {
  const c = await gates.secure.client({ ssl: false });
  assert.equal((await c.query('select 1 as one')).rows[0].one, 1);
  await c.end();
});

test('TLS: raw SSLRequest gets S, and a client that then speaks plaintext is dropped', async () => {
  const c = await RawClient.connect(gates.secure.port);
  c.write(fe.sslRequest());
  assert.equal(await c.readByte(), 'S');
  c.write(fe.startup({ user: 'postgres', database: 'postgres' })); // not a TLS ClientHello
  await Promise.race([
    c.closedPromise,
    new Promise((_, reject) => setTimeout(() => reject(new Error('connection not closed within 5 s')), 5000)),
  ]);
  // the listener is unaffected
  const ok = await gates.secure.client({ ssl: { rejectUnauthorized: false } });
  assert.equal((await ok.query('select 2 as two')).rows[0].two, 2);
  await ok.end();
});

test('TLS: direct TLS negotiation (PG 17 sslnegotiation=direct, ALPN postgresql)', async () => {
  const c = await gates.secure.client({ ssl: { rejectUnauthorized: false }, sslnegotiation: 'direct' } as pg.ClientConfig);
  const stream = (c as any).connection.stream as tls.TLSSocket;
  assert.ok(stream.encrypted);
  assert.equal(stream.alpnProtocol, 'postgresql');
  assert.equal((await c.query('select 3 as three')).rows[0].three, 3);
  await c.end();
});

test('without tls.cert, a client that requires TLS is told the server does not support it', async () => {
  await assert.rejects(gates.plain.client({ ssl: { rejectUnauthorized: false } }), /does not support SSL/i);
});
