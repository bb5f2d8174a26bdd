// A value the mirror's Iceberg type cannot hold (numeric NaN in numeric(p,s): Iceberg decimals have no NaN) fails
// that mirror with the reason — in the initial copy and in the stream — instead of storing something else. The
// source and the other mirrors are untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { MirrorService } from '../src/mirror/index.js';
import { currentLsn, duckRows, pgRows, startControlFixture, viewOf, waitFor, type ControlFixture } from './mirror-helpers.js';

let fx: ControlFixture;
let svc: MirrorService;

before(async () => {
  fx = await startControlFixture();
  svc = await fx.startSvc();
});

after(async () => {
  await fx?.close(svc);
});

async function row(name: string): Promise<{ state: string; error: string | null }> {
  const r = await fx.client.query(`SELECT state, error FROM mooncake.columnstore_tables WHERE "table" = $1`, [`public.${name}`]);
  return r.rows[0];
}

test('numeric NaN in the stream fails that mirror with the reason; another mirror of the same transaction stays exact', async () => {
  const c = fx.client;
  await c.query(`CREATE TABLE prices (id int PRIMARY KEY, p numeric(10,2))`);
  await c.query(`CREATE TABLE other (id int PRIMARY KEY, v text)`);
  await c.query(`INSERT INTO prices VALUES (1, 1.50), (2, 2.25)`);
  await c.query(`CALL mooncake.create_table('prices_iceberg', 'prices')`);
  await c.query(`CALL mooncake.create_table('other_iceberg', 'other')`);
  await waitFor('ready', async () => (await row('prices_iceberg'))?.state === 'ready' && (await row('other_iceberg'))?.state === 'ready');
  await c.query('BEGIN');
  await c.query(`INSERT INTO other VALUES (1, 'before')`);
  await c.query(`UPDATE prices SET p = 'NaN' WHERE id = 2`);
  await c.query(`INSERT INTO other VALUES (2, 'same txn')`);
  await c.query('COMMIT');
  await c.query(`INSERT INTO other VALUES (3, 'after')`);
  await waitFor('prices_iceberg failed', async () => (await row('prices_iceberg')).state === 'failed');
  assert.match((await row('prices_iceberg')).error!, /column "p" holds numeric NaN, which the mirror's Iceberg decimal\(10, 2\) cannot store/);
  assert.ok(await svc.waitForLsn(await currentLsn(c), 30_000));
  await waitFor('other mirror served again', async () => svc.mirrorSql('public.other_iceberg') !== null);
  assert.ok(await svc.waitForLsn(await currentLsn(c), 30_000));
  assert.deepEqual(await duckRows(fx.duck, `SELECT id, v FROM (${viewOf(svc, 'public.other_iceberg')})`), await pgRows(c, `SELECT id, v FROM other`), 'nothing lost or doubled');
  assert.equal(svc.mirrorSql('public.prices_iceberg'), null, 'the failed mirror is not served');
  assert.deepEqual((await c.query(`SELECT p::text FROM prices ORDER BY id`)).rows.map((r) => r.p), ['1.50', 'NaN'], 'source untouched');
});

test('numeric NaN already in the source fails the initial copy with the reason', async () => {
  const c = fx.client;
  await c.query(`CREATE TABLE nanny (id int PRIMARY KEY, p numeric(6,1))`);
  await c.query(`INSERT INTO nanny VALUES (1, 'NaN')`);
  await c.query(`CALL mooncake.create_table('nanny_iceberg', 'nanny')`);
  await waitFor('failed', async () => (await row('nanny_iceberg'))?.state === 'failed');
  assert.match((await row('nanny_iceberg')).error!, /column "p" holds numeric NaN/);
});

test("a timestamp past DuckDB's last one fails the mirror with the reason, in the copy and in the stream", async () => {
  const c = fx.client;
  // Postgres' timestamps run to 294276 AD, DuckDB's end on 294247-01-10
  await c.query(`CREATE TABLE far (id int PRIMARY KEY, ts timestamp)`);
  await c.query(`INSERT INTO far VALUES (1, '294270-01-01 00:00')`);
  await c.query(`CALL mooncake.create_table('far_iceberg', 'far')`);
  await waitFor('copy failed', async () => (await row('far_iceberg'))?.state === 'failed');
  assert.match((await row('far_iceberg')).error!, /a timestamp after 294247-01-10 cannot be stored in a mirror/);

  await c.query(`CREATE TABLE later (id int PRIMARY KEY, ts timestamptz)`);
  await c.query(`INSERT INTO later VALUES (1, '2024-01-01 00:00+00')`);
  await c.query(`CALL mooncake.create_table('later_iceberg', 'later')`);
  await waitFor('ready', async () => (await row('later_iceberg'))?.state === 'ready');
  await c.query(`INSERT INTO later VALUES (2, '294250-06-01 00:00+00')`);
  await waitFor('stream failed', async () => (await row('later_iceberg')).state === 'failed');
  assert.match((await row('later_iceberg')).error!, /a timestamp after 294247-01-10 cannot be stored in a mirror/);
  assert.equal(svc.mirrorSql('public.later_iceberg'), null, 'the failed mirror is not served');
});
