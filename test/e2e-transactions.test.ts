// Mirror queries inside the client's transaction, through the real lakegate: a mirror shows committed data as of
// the statement's start, so where Postgres would answer from the transaction's own view (its uncommitted changes
// to the source, a REPEATABLE READ / SERIALIZABLE snapshot taken earlier) the query is refused with 0A000, and
// the transaction then behaves as after any error. Everywhere else the mirror answers as the source does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { createMirror, startStack, type Stack } from './clients/compare.js';

let s: Stack;
let c: pg.Client;

const SUM_MIRROR = 'SELECT count(*)::int AS n, sum(v)::int AS total FROM tx_iceberg';
const SUM_SOURCE = 'SELECT count(*)::int AS n, sum(v)::int AS total FROM tx';
const OWN_CHANGES = /cannot show this transaction's uncommitted changes/;

before(async () => {
  s = await startStack();
  await s.direct.query(`CREATE TABLE tx (id int PRIMARY KEY, v int NOT NULL)`);
  await s.direct.query(`INSERT INTO tx SELECT g, g * 10 FROM generate_series(1, 20) g`);
  await s.direct.query(`CREATE TABLE unrelated (id int)`);
  await s.direct.query(`CREATE TABLE ptx (id int NOT NULL, v int) PARTITION BY RANGE (id)`);
  await s.direct.query(`CREATE TABLE ptx_1 PARTITION OF ptx FOR VALUES FROM (0) TO (100)`);
  await s.direct.query(`CREATE TABLE ptx_2 PARTITION OF ptx FOR VALUES FROM (100) TO (200)`);
  await s.direct.query(`INSERT INTO ptx VALUES (1, 1), (150, 2)`);
  await createMirror(s, 'tx_iceberg', 'tx');
  await createMirror(s, 'ptx_iceberg', 'ptx');
  c = await s.gate.client();
});

after(async () => {
  await c?.end().catch(() => undefined);
  await s?.stop();
});

async function committed(): Promise<unknown> {
  return (await s.direct.query(SUM_SOURCE)).rows[0];
}

/** the statement is refused with 0A000, the transaction is aborted as after any error, and ROLLBACK ends it */
async function refusedThenRollback(run: () => Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(run(), (e: pg.DatabaseError) => {
    assert.equal(e.code, '0A000', e.message);
    assert.match(e.message, message);
    return true;
  });
  await assert.rejects(c.query('SELECT 1'), { code: '25P02' });
  await c.query('ROLLBACK');
  // the session goes on serving mirror queries
  assert.deepEqual((await c.query(SUM_MIRROR)).rows[0], await committed());
}

test('inside a READ COMMITTED transaction block that has not changed the source, the mirror answers', async () => {
  await c.query('BEGIN');
  assert.deepEqual((await c.query(SUM_MIRROR)).rows[0], await committed());
  // writes to other tables do not matter, in the simple and in the extended protocol
  await c.query('INSERT INTO unrelated VALUES (1)');
  assert.deepEqual((await c.query(SUM_MIRROR)).rows[0], await committed());
  assert.deepEqual((await c.query(`${SUM_MIRROR} WHERE id > $1`, [0])).rows[0], await committed());
  // another session's commit is seen by the next statement, as READ COMMITTED does
  await s.direct.query('UPDATE tx SET v = v + 1 WHERE id = 1');
  assert.deepEqual((await c.query(SUM_MIRROR)).rows[0], await committed());
  await c.query('COMMIT');
});

test('after the transaction changed the source, a mirror query is refused (simple and extended protocol)', async () => {
  const before = await committed();
  await c.query('BEGIN');
  await c.query('UPDATE tx SET v = 0 WHERE id = 2');
  await refusedThenRollback(() => c.query(SUM_MIRROR), OWN_CHANGES);
  assert.deepEqual(await committed(), before);

  await c.query('BEGIN');
  await c.query('INSERT INTO tx VALUES (1000, 1)');
  await refusedThenRollback(() => c.query(`${SUM_MIRROR} WHERE id > $1`, [0]), OWN_CHANGES);

  await c.query('BEGIN');
  await c.query('DELETE FROM tx WHERE id = 3');
  await refusedThenRollback(() => c.query('SELECT t.id FROM tx_iceberg t JOIN unrelated u ON u.id = t.id'), OWN_CHANGES);
  assert.deepEqual(await committed(), before);
});

test('a change made in a savepoint, by TRUNCATE or by ALTER TABLE is a change to the source too', async () => {
  await c.query('BEGIN');
  await c.query('SAVEPOINT a');
  await c.query('UPDATE tx SET v = v WHERE id = 4');
  await c.query('RELEASE a');
  await refusedThenRollback(() => c.query(SUM_MIRROR), OWN_CHANGES);

  await c.query('BEGIN');
  await c.query('TRUNCATE tx');
  await refusedThenRollback(() => c.query(SUM_MIRROR), OWN_CHANGES);

  await c.query('BEGIN');
  await c.query('SAVEPOINT b');
  await c.query('ALTER TABLE tx ADD COLUMN extra int');
  await refusedThenRollback(() => c.query(SUM_MIRROR), OWN_CHANGES);
  assert.equal((await s.direct.query(`SELECT count(*)::int AS n FROM tx`)).rows[0].n, 20);
});

test('a change to one partition of a partitioned source is a change to its mirror', async () => {
  await c.query('BEGIN');
  await c.query('INSERT INTO ptx VALUES (160, 3)');
  await refusedThenRollback(() => c.query('SELECT count(*) FROM ptx_iceberg'), /"ptx_iceberg" cannot show/);
  assert.deepEqual((await c.query('SELECT id, v FROM ptx_iceberg ORDER BY id')).rows, [
    { id: 1, v: 1 },
    { id: 150, v: 2 },
  ]);
});

test('REPEATABLE READ and SERIALIZABLE transaction blocks refuse mirror queries; outside a block they answer', async () => {
  for (const level of ['REPEATABLE READ', 'SERIALIZABLE']) {
    await c.query(`BEGIN ISOLATION LEVEL ${level}`);
    await refusedThenRollback(() => c.query(SUM_MIRROR), new RegExp(`not supported in ${level} transactions`));
    await c.query(`BEGIN ISOLATION LEVEL ${level}`);
    await c.query('SELECT 1');
    await refusedThenRollback(() => c.query(`${SUM_MIRROR} WHERE id > $1`, [0]), /not supported/);
  }
  // a single statement is its own transaction: its snapshot is the statement's
  await c.query(`SET default_transaction_isolation = 'repeatable read'`);
  try {
    assert.deepEqual((await c.query(SUM_MIRROR)).rows[0], await committed());
    assert.deepEqual((await c.query(`${SUM_MIRROR} WHERE id > $1`, [0])).rows[0], await committed());
  } finally {
    await c.query('RESET default_transaction_isolation');
  }
});
