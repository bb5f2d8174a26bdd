// The Oracle-mode listener (listen.oracle_port) accepts clients like the main port and passes them to
// upstream.oracle_port, or to the normal upstream port when that is 0. Two real Postgres servers stand
// in for IvorySQL's two ports; cluster_name tells them apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startGate } from './helpers/lakegate.js';
import { RawClient, fe, transcript } from './clients/raw.js';
import { VERSION } from '../src/version.js';

let pgPort: TestPostgres;
let oraPort: TestPostgres;

before(async () => {
  [pgPort, oraPort] = await Promise.all([
    startPostgres({ settings: { cluster_name: "'pg_side'" } }),
    startPostgres({ settings: { cluster_name: "'oracle_side'" } }),
  ]);
});

after(async () => {
  await Promise.all([pgPort?.destroy(), oraPort?.destroy()]);
});

test('listen.oracle_port with upstream.oracle_port: each listener reaches its own upstream port', async () => {
  const want = await freePort();
  const g = await startGate({ 'upstream.url': pgPort.url, 'listen.oracle_port': want, 'upstream.oracle_port': oraPort.port });
  try {
    assert.equal(g.oraclePort, want);
    const main = await g.client();
    const ora = await g.client({}, true);
    assert.equal((await main.query('show cluster_name')).rows[0].cluster_name, 'pg_side');
    assert.equal((await ora.query('show cluster_name')).rows[0].cluster_name, 'oracle_side');
    // the Oracle-mode port is a full lakegate port: extended protocol, local statements, cancel
    assert.equal((await ora.query('select $1::int + 1 as n', [1])).rows[0].n, 2);
    assert.equal((await ora.query('SHOW lakegate.version')).rows[0]['lakegate.version'], VERSION);
    const pid = (await ora.query('select pg_backend_pid() as p')).rows[0].p as number;
    const secret = (ora as unknown as { secretKey: number }).secretKey;
    const sleeping = ora.query('select pg_sleep(30)').then(
      () => null,
      (e: any) => e.code,
    );
    for (let i = 0; ; i++) {
      const r = await oraPort.sql(`select count(*)::int as n from pg_stat_activity where pid = $1 and state = 'active'`, [pid]);
      if (r.rows[0].n === 1) break;
      assert.ok(i < 200, 'pg_sleep started on the Oracle-side server');
      await new Promise((r) => setTimeout(r, 25));
    }
    const key = Buffer.alloc(4);
    key.writeInt32BE(secret);
    const cancel = await RawClient.connect(g.oraclePort!);
    cancel.write(fe.cancelRequest(pid, key));
    assert.equal(await sleeping, '57014', 'cancel through the Oracle-mode port reaches the Oracle-side backend');
    await main.end();
    await ora.end();
  } finally {
    await g.close();
  }
});

test('listen.oracle_port without upstream.oracle_port: Oracle-mode clients go to the normal upstream port', async () => {
  const g = await startGate({ 'upstream.url': pgPort.url, 'listen.oracle_port': await freePort() });
  try {
    assert.ok(g.oraclePort && g.oraclePort !== g.port);
    const c = await RawClient.connect(g.oraclePort);
    c.write(fe.sslRequest());
    assert.equal(await c.readByte(), 'N');
    await c.startup();
    c.write(fe.query('show cluster_name'), fe.query('SHOW lakegate.version'));
    assert.deepEqual(transcript([...(await c.readUntil('Z')), ...(await c.readUntil('Z'))]), [
      'T', 'D:pg_side', 'C:SHOW', 'Z:I',
      'T', `D:${VERSION}`, 'C:SHOW', 'Z:I',
    ]);
    c.end(fe.terminate());
  } finally {
    await g.close();
  }
});

test('listen.oracle_port 0 turns the Oracle-mode listener off', async () => {
  const g = await startGate({ 'upstream.url': pgPort.url, 'listen.oracle_port': 0 });
  try {
    assert.equal(g.oraclePort, null);
  } finally {
    await g.close();
  }
});
