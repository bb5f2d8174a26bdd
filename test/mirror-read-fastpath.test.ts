// Reading a mirror through the cheapest exact view: with nothing pending the engine reads the base Parquet files
// as they are (lg_mirror_base_<id>, or lg_mirror_fast_<id> with a tail), and the full reader view only while
// pending deletes exist. Every answer through lakegate is compared with Postgres on the source table, at each
// state (no deletes; tail; pending UPDATE/DELETE; after a flush with delete files), for a keyed and a
// whole-row-identity mirror; concurrent readers must never see a half-applied state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createMirror, sameAnswer, startStack, type Stack } from './clients/compare.js';
import { currentLsn } from './mirror-helpers.js';

let s: Stack;

before(async () => {
  // no automatic flushes: the test decides when the pending state is folded into Iceberg
  s = await startStack({ 'mirror.flush_rows': 100_000_000, 'mirror.flush_age_ms': 86_400_000, 'mirror.idle_flush_ms': 0, 'mirror.maintenance_interval_ms': 0 });
});

after(async () => {
  await s?.stop();
});

/** the relation lg_reader_<id> names for a mirror once every change committed so far is applied */
async function chosen(mirror: string): Promise<string> {
  const svc = s.gate.lakegate.mirrors!;
  assert.ok(await svc.waitForLsn(await currentLsn(s.direct), 30_000), 'changes applied');
  const m = svc.mirrors().find((x) => x.name === `public.${mirror}`);
  assert.ok(m, `${mirror} is live`);
  const c = await svc.duckdb.connect();
  try {
    const r = await c.runAndReadAll(`SELECT relation FROM lg_reader_${m.id}`);
    return String(r.getRows()[0]![0]).replace(/_\d+$/, '');
  } finally {
    c.closeSync();
  }
}

async function flush(mirror: string): Promise<void> {
  await s.lake.query(`CALL mooncake.create_snapshot('${mirror}')`);
}

const QUERIES = (m: string) => [
  `SELECT count(*), sum(v), min(id), max(id) FROM ${m}`,
  `SELECT * FROM ${m} ORDER BY id`,
  `SELECT g, count(*), sum(v) FROM ${m} WHERE v > 10 GROUP BY g ORDER BY g`,
  `SELECT id, v FROM ${m} ORDER BY v DESC, id LIMIT 5`,
];

async function sameEverywhere(mirror: string, source: string): Promise<void> {
  for (const q of QUERIES(mirror)) await sameAnswer(s, q, [mirror, source]);
}

test('keyed mirror: base only, tail, pending UPDATE/DELETE, after the flush — same answers, cheapest view', async () => {
  await s.direct.query('CREATE TABLE fk (id int PRIMARY KEY, g int, v int)');
  await s.direct.query('INSERT INTO fk SELECT i, i % 7, i * 3 FROM generate_series(1, 2000) i');
  await createMirror(s, 'fk_iceberg', 'fk');
  await flush('fk_iceberg');
  assert.equal(await chosen('fk_iceberg'), 'lg_mirror_base', 'no deletes, empty tail: the Parquet files as they are');
  await sameEverywhere('fk_iceberg', 'fk');

  await s.direct.query('INSERT INTO fk SELECT i, i % 7, i FROM generate_series(2001, 2100) i');
  await sameEverywhere('fk_iceberg', 'fk');
  assert.equal(await chosen('fk_iceberg'), 'lg_mirror_fast', 'inserts only: base files UNION ALL tail');

  // changes to base rows: pending deletes, the full view is the only exact one
  await s.direct.query('UPDATE fk SET v = v + 1000 WHERE id % 10 = 0');
  await s.direct.query('DELETE FROM fk WHERE id BETWEEN 100 AND 150');
  await sameEverywhere('fk_iceberg', 'fk');
  assert.equal(await chosen('fk_iceberg'), 'lg_mirror');

  // the flush folds them into a position-delete file: fast again, committed deletes still subtracted
  await flush('fk_iceberg');
  assert.equal(await chosen('fk_iceberg'), 'lg_mirror_base');
  assert.ok(s.gate.lakegate.mirrors!.mirrors().find((m) => m.name === 'public.fk_iceberg')!.deleteFiles > 0, 'a delete file exists');
  await sameEverywhere('fk_iceberg', 'fk');

  await s.direct.query('UPDATE fk SET v = -v WHERE id % 3 = 0');
  await sameEverywhere('fk_iceberg', 'fk');
  assert.equal(await chosen('fk_iceberg'), 'lg_mirror');
  await flush('fk_iceberg');
  await sameEverywhere('fk_iceberg', 'fk');
});

test('whole-row identity: duplicate rows deleted one for one, before and after the flush', async () => {
  await s.direct.query('CREATE TABLE fr (id int, g int, v int)');
  await s.direct.query('ALTER TABLE fr REPLICA IDENTITY FULL');
  await s.direct.query('INSERT INTO fr SELECT i % 500, i % 5, i % 50 FROM generate_series(1, 1500) i');
  await createMirror(s, 'fr_iceberg', 'fr');
  await flush('fr_iceberg');
  assert.equal(await chosen('fr_iceberg'), 'lg_mirror_base');
  await sameEverywhere('fr_iceberg', 'fr');
  // ctid picks one of several equal rows: the mirror must delete exactly one of them
  await s.direct.query('DELETE FROM fr WHERE ctid IN (SELECT min(ctid) FROM fr WHERE id < 40 GROUP BY id)');
  await sameEverywhere('fr_iceberg', 'fr');
  assert.equal(await chosen('fr_iceberg'), 'lg_mirror');
  await flush('fr_iceberg');
  assert.equal(await chosen('fr_iceberg'), 'lg_mirror_base');
  await sameEverywhere('fr_iceberg', 'fr');
});

test('concurrent readers never see a half state while updates, deletes and flushes run', async () => {
  // invariant kept by every source transaction: 1000 rows, sum(v) = 0; transaction i sets ver = i on a row
  await s.direct.query('CREATE TABLE fc (id int PRIMARY KEY, v int, ver int)');
  await s.direct.query('INSERT INTO fc SELECT i, 0, 0 FROM generate_series(1, 1000) i');
  await createMirror(s, 'fc_iceberg', 'fc');
  await flush('fc_iceberg');
  const writer = await s.pg.client();
  const readers = await Promise.all([s.gate.client(), s.gate.client()]);
  let stop = false;
  const seen = new Set<string>();
  let reads = 0;
  let committed = 0;
  const read = async (c: (typeof readers)[number]) => {
    while (!stop) {
      const want = committed;
      const r = await c.query<{ n: string; s: string; ver: number }>('SELECT count(*)::text AS n, coalesce(sum(v), 0)::text AS s, max(ver) AS ver FROM fc_iceberg');
      const got = r.rows[0]!;
      assert.deepEqual({ n: got.n, s: got.s }, { n: '1000', s: '0' }, `read ${reads}: a consistent state`);
      // strict freshness: every transaction committed before the read started is seen
      assert.ok(got.ver >= want, `read ${reads} sees transaction ${want} (max ver ${got.ver})`);
      reads++;
    }
  };
  const write = async () => {
    for (let i = 0; i < 60; i++) {
      const a = 1 + ((i * 37) % 1000);
      const b = 1 + ((i * 91 + 5) % 1000);
      if (a === b) continue;
      await writer.query('BEGIN');
      await writer.query('UPDATE fc SET v = v + $2, ver = $2 WHERE id = $1', [a, i + 1]);
      await writer.query('UPDATE fc SET v = v - $2 WHERE id = $1', [b, i + 1]);
      if (i % 4 === 0) {
        // a delete and an insert of the same row: count and sum stay
        const old = await writer.query<{ v: number }>('DELETE FROM fc WHERE id = $1 RETURNING v', [a]);
        await writer.query('INSERT INTO fc VALUES ($1, $2, $3)', [a, old.rows[0]!.v, i + 1]);
      }
      await writer.query('COMMIT');
      committed = i + 1;
      if (i % 10 === 9) {
        await flush('fc_iceberg');
        seen.add(await chosen('fc_iceberg'));
      } else if (i % 5 === 2) {
        seen.add(await chosen('fc_iceberg'));
      }
    }
  };
  try {
    await Promise.all([write().finally(() => (stop = true)), ...readers.map(read)]);
  } finally {
    await writer.end();
    for (const c of readers) await c.end();
  }
  assert.ok(reads > 20, `readers ran (${reads} reads)`);
  assert.ok(seen.has('lg_mirror') && (seen.has('lg_mirror_base') || seen.has('lg_mirror_fast')), `both paths were taken: ${[...seen].join(', ')}`);
  await sameAnswer(s, 'SELECT * FROM fc_iceberg ORDER BY id', ['fc_iceberg', 'fc']);
});

test("column types: the plain Parquet read gives the full view's DuckDB types and Postgres' answers", async () => {
  await s.direct.query(`CREATE TABLE ft (
    id int PRIMARY KEY, b bool, i2 int2, i8 int8, f4 float4, f8 float8, n numeric(12,3), nu numeric, t text,
    c char(5), bin bytea, d date, tm time, ts timestamp, tstz timestamptz, iv interval, u uuid,
    j json, jb jsonb, ia int[], ta text[])`);
  const row = (id: number) => `(${id}, ${id % 2 === 0}, ${id}, ${BigInt(id) * 10_000_000_000n}, ${id}.25, ${id}.125, ${id}.5, 1e${id % 30}, 't${id}',
    'c${id % 10}', '\\x${(id % 256).toString(16).padStart(2, '0')}ff', '2024-02-${(id % 28) + 1}', '04:05:06.${id}',
    '2024-01-02 03:04:05.${String(id).padStart(6, '0')}', '2024-01-02 03:04:05.123456+02', '${id} days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd38${String(id).padStart(4, '0')}',
    '{"a": ${id}}', '{"b": [${id}, null]}', '{${id},NULL,3}', '{"x${id}",NULL}')`;
  await s.direct.query(`INSERT INTO ft VALUES ${[1, 2, 3, 4].map(row).join(', ')}`);
  await s.direct.query(`INSERT INTO ft (id, f8, d, ts, iv, nu) VALUES (5, 'NaN', 'infinity', '-infinity', '-1 year 2 mons -3 days 04:05:06', 'NaN')`);
  await createMirror(s, 'ft_iceberg', 'ft');
  await flush('ft_iceberg');
  assert.equal(await chosen('ft_iceberg'), 'lg_mirror_base');
  const svc = s.gate.lakegate.mirrors!;
  const id = svc.mirrors().find((m) => m.name === 'public.ft_iceberg')!.id;
  const check = async (fieldIdMap: boolean) => {
    const c = await svc.duckdb.connect();
    try {
      const types = async (rel: string) => (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${rel}`)).getRows().map((r) => `${r[0]} ${r[1]}`);
      assert.deepEqual(await types(`lg_mirror_base_${id}`), await types(`lg_mirror_${id}`));
      assert.deepEqual(await types(`lg_mirror_fast_${id}`), await types(`lg_mirror_${id}`));
      // schema 0: the files are read as they are; after a schema change, through the field-id map
      const def = String((await c.runAndReadAll(`SELECT sql FROM duckdb_views() WHERE view_name = 'lg_mirror_base_${id}'`)).getRows()[0]![0]);
      assert.equal(/"schema"/.test(def), fieldIdMap, def);
    } finally {
      c.closeSync();
    }
    await sameAnswer(s, 'SELECT * FROM ft_iceberg ORDER BY id', ['ft_iceberg', 'ft']);
    await sameAnswer(s, 'SELECT * FROM ft_iceberg ORDER BY id', ['ft_iceberg', 'ft'], { binary: true });
    await sameAnswer(s, "SELECT id, n, f4 FROM ft_iceberg WHERE i2 > 1 AND d < '2024-02-05' AND t <> 't3' ORDER BY id", ['ft_iceberg', 'ft']);
  };
  await check(false);
  // an added column: files written before it lack it and read its default
  await s.direct.query('ALTER TABLE ft ADD COLUMN z int DEFAULT 7');
  await s.direct.query(`INSERT INTO ft VALUES ${row(6)}`);
  await s.direct.query('INSERT INTO ft (id, z) VALUES (7, 8)');
  await flush('ft_iceberg');
  assert.equal(await chosen('ft_iceberg'), 'lg_mirror_base');
  await check(true);
});
