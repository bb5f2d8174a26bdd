// Control plane against a real PostgreSQL: migrations, create_table/drop_table, the mirror view,
// status functions, create_snapshot/optimize_table requests and the registry client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { rejectsWith } from './helpers/sqlstate.js';
import { migrate, loadMigrations, MirrorRegistry, parseControlMessage, type Mirror } from '../src/control/index.js';

let server: TestPostgres;
const open: pg.Client[] = [];

before(async () => {
  server = await startPostgres();
});
after(async () => {
  await Promise.all(open.map((c) => c.end().catch(() => {})));
  await server?.destroy();
});

async function connect(database: string, user = 'postgres'): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: server.port, user, database });
  await c.connect();
  open.push(c);
  return c;
}

async function close(c: pg.Client): Promise<void> {
  open.splice(open.indexOf(c), 1);
  await c.end();
}

async function createDb(name: string): Promise<pg.Client> {
  await server.sql(`CREATE DATABASE ${name}`);
  return connect(name);
}

/** run SQL on a client and return the NOTICE messages it produced */
async function notices(c: pg.Client, sql: string): Promise<string[]> {
  const got: string[] = [];
  const on = (n: { message?: string }) => got.push(n.message ?? '');
  c.on('notice', on);
  try {
    await c.query(sql);
  } finally {
    c.removeListener('notice', on);
  }
  return got;
}

const ALL_TYPES = `
  id bigint PRIMARY KEY, symbol text NOT NULL, price numeric(12,2), amount numeric, qty integer, small smallint,
  f4 real, f8 double precision, flag boolean, note varchar(40), code char(3), raw bytea, d date, t time,
  ts timestamp(3), tz timestamptz, iv interval, u uuid, j json, jb jsonb, tags text[], nums numeric(10,4)[],
  mood public.mood, pos public.posint, poss public.posint[], label text COLLATE "C"`;

// ---------------------------------------------------------------------------------------------
// migrations

test('migrations: apply once, re-run is a no-op, files are versioned', async () => {
  const files = loadMigrations();
  assert.ok(files.length >= 4);
  assert.deepEqual(files.map((f) => f.version), [...files.map((f) => f.version)].sort((a, b) => a - b));
  const c = await createDb('mig_once');
  const first = await migrate(c);
  assert.deepEqual(first.applied, files.map((f) => f.name));
  assert.equal(first.eventTriggers, true);
  const second = await migrate(c);
  assert.deepEqual(second.applied, []);
  assert.equal(second.version, first.version);
  const { rows } = await c.query('SELECT version, name FROM mooncake.schema_migrations ORDER BY version');
  assert.deepEqual(rows.map((r) => r.name), files.map((f) => f.name));
  // the files themselves are idempotent too: executing them again changes nothing and fails nothing
  for (const f of files) await c.query(f.sql);
  const { rows: et } = await c.query(`SELECT evtname FROM pg_event_trigger WHERE evtname LIKE 'mooncake%' ORDER BY 1`);
  assert.deepEqual(et.map((r) => r.evtname), ['mooncake_ddl_command_end', 'mooncake_sql_drop']);
});

test('migrations: concurrent starts (clients and a pool) apply each file exactly once', async () => {
  await server.sql('CREATE DATABASE mig_race');
  const clients = await Promise.all([1, 2, 3].map(() => connect('mig_race')));
  const pool = new pg.Pool({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'mig_race', max: 2 });
  try {
    const results = await Promise.all([...clients.map((c) => migrate(c)), migrate(pool)]);
    const applied = results.flatMap((r) => r.applied).sort();
    assert.deepEqual(applied, loadMigrations().map((f) => f.name).sort(), 'every file applied by exactly one process');
    assert.ok(results.every((r) => r.eventTriggers));
    const { rows } = await clients[0]!.query('SELECT count(*)::int AS n FROM mooncake.schema_migrations');
    assert.equal(rows[0].n, loadMigrations().length);
  } finally {
    await pool.end();
  }
});

test('migrations: without superuser the event triggers are skipped with a warning; a superuser can add them', async () => {
  const admin = await createDb('mig_nosuper');
  await admin.query(`CREATE ROLE svc LOGIN; GRANT CREATE ON DATABASE mig_nosuper TO svc; GRANT CREATE ON SCHEMA public TO svc`);
  const svc = await connect('mig_nosuper', 'svc');
  const warnings: string[] = [];
  svc.on('notice', (n) => n.severity === 'WARNING' && warnings.push(n.message ?? ''));
  const r = await migrate(svc);
  assert.equal(r.applied.length, loadMigrations().length);
  assert.equal(r.eventTriggers, false);
  assert.ok(warnings.some((w) => /DDL capture is off: event triggers need a superuser/.test(w)), warnings.join('\n'));
  // the rest of the control plane works for tables the service role owns
  await svc.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
  await svc.query(`CALL mooncake.create_table('t_iceberg', 't')`);
  await rejectsWith(svc.query('SELECT * FROM t_iceberg'), '0A000', /lakegate mirror/);
  // DROP VIEW is noticed by the registry poll's reconcile() instead of the sql_drop trigger
  await svc.query('DROP VIEW t_iceberg');
  const reg = new MirrorRegistry(svc);
  assert.equal(await reg.reconcile(), 1);
  assert.equal((await reg.listMirrors())[0]!.state, 'dropping');
  const { rows } = await admin.query('SELECT mooncake.install_event_triggers() AS ok');
  assert.equal(rows[0].ok, true);
  assert.equal((await migrate(svc)).eventTriggers, true);
});

// ---------------------------------------------------------------------------------------------
// create_table and the mirror view

let db: pg.Client; // database 'mirrors', migrated; roles alice (nothing), bob (owns public.trades)

test('create_table: setup', async () => {
  db = await createDb('mirrors');
  await migrate(db);
  await db.query(`
    CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE carol LOGIN;
    CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');
    CREATE DOMAIN public.posint AS integer CHECK (VALUE > 0);
    CREATE TABLE public.trades (${ALL_TYPES});
    ALTER TABLE public.trades OWNER TO bob;
    CREATE SCHEMA analytics; GRANT USAGE ON SCHEMA analytics TO PUBLIC;
    INSERT INTO public.trades (id, symbol, price) VALUES (1, 'AMD', 119), (2, 'AMZN', 207);
    CREATE TABLE public.empty_src (id int PRIMARY KEY, v text);
  `);
});

test('create_table: schema-qualified mirror, columns and types equal the source in information_schema', async () => {
  await db.query(`CALL mooncake.create_table('analytics.trades_iceberg', 'public.trades')`);
  const cols = `column_name, ordinal_position, data_type, udt_schema, udt_name, domain_schema, domain_name,
    character_maximum_length, numeric_precision, numeric_scale, datetime_precision, interval_type, collation_name`;
  const src = await db.query(`SELECT ${cols} FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'trades' ORDER BY ordinal_position`);
  const mir = await db.query(`SELECT ${cols} FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = 'trades_iceberg' ORDER BY ordinal_position`);
  assert.equal(mir.rows.length, 26);
  assert.deepEqual(mir.rows, src.rows);
  // typmods and collations as pg_attribute / format_type (what \d and JDBC show)
  const fmt = (rel: string) =>
    db.query(`SELECT attname, format_type(atttypid, atttypmod) AS t, attcollation FROM pg_attribute
               WHERE attrelid = '${rel}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`);
  assert.deepEqual((await fmt('analytics.trades_iceberg')).rows, (await fmt('public.trades')).rows);
  const { rows } = await db.query(`SELECT c.relkind, pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.oid = 'analytics.trades_iceberg'::regclass`);
  assert.deepEqual(rows[0], { relkind: 'v', owner: 'bob' }, 'a view owned by the source owner');
  const m = (await new MirrorRegistry(db).listMirrors()).find((x) => x.name === 'trades_iceberg')!;
  assert.equal(m.schema, 'analytics');
  assert.equal(m.sourceSchema, 'public');
  assert.equal(m.state, 'pending');
  assert.equal(m.columns.length, 26);
  assert.deepEqual(m.columns[2], {
    attnum: 3, name: 'price', type: 'numeric(12,2)', typeOid: 1700, typmod: 786438, collation: null,
    notNull: false, key: false, generated: false,
  });
  assert.equal(m.columns[0]!.key, true);
  assert.equal(m.columns[1]!.notNull, true);
  assert.equal(m.columns.at(-1)!.collation, 'pg_catalog."C"');
});

test('create_table: an unqualified mirror goes into the source schema, not the search_path', async () => {
  await db.query(`CREATE SCHEMA s2; CREATE TABLE s2.events (id int PRIMARY KEY, at timestamptz)`);
  await db.query(`CALL mooncake.create_table('events_iceberg', 's2.events')`);
  const { rows } = await db.query(`SELECT to_regclass('s2.events_iceberg') IS NOT NULL AS there, to_regclass('public.events_iceberg') IS NULL AS not_public`);
  assert.deepEqual(rows[0], { there: true, not_public: true });
  // source resolved through the caller's search_path
  await db.query(`SET search_path = s2, public`);
  await db.query(`CALL mooncake.create_table('events_iceberg2', 'events')`);
  await db.query(`RESET search_path`);
  assert.ok((await db.query(`SELECT to_regclass('s2.events_iceberg2') AS r`)).rows[0].r);
});

test('create_table: errors like PostgreSQL (42P01, 42501, 42P07, 3F000, 42809)', async () => {
  await rejectsWith(db.query(`CALL mooncake.create_table('x_iceberg', 'no_such_table')`), '42P01', /relation "no_such_table" does not exist/);
  const alice = await connect('mirrors', 'alice');
  await rejectsWith(alice.query(`CALL mooncake.create_table('t_alice', 'public.trades')`), '42501', /permission denied for table trades/);
  // SET ROLE is honoured as well
  await rejectsWith(db.query(`SET ROLE alice; CALL mooncake.create_table('t_alice', 'public.trades')`), '42501');
  await db.query('RESET ROLE');
  await db.query('GRANT SELECT ON public.trades TO alice');
  await rejectsWith(alice.query(`CALL mooncake.create_table('analytics.t_alice', 'public.trades')`), '42501', /permission denied for schema analytics/);
  await rejectsWith(db.query(`CALL mooncake.create_table('nope.t', 'public.trades')`), '3F000', /schema "nope" does not exist/);
  await rejectsWith(db.query(`CALL mooncake.create_table('analytics.trades_iceberg', 'public.trades')`), '42P07', /already exists/);
  await rejectsWith(db.query(`CALL mooncake.create_table('public.trades', 'public.empty_src')`), '42P07');
  await db.query(`CREATE VIEW public.v AS SELECT 1 AS x`);
  await rejectsWith(db.query(`CALL mooncake.create_table('v_iceberg', 'public.v')`), '42809', /it is a view/);
  await rejectsWith(db.query(`CALL mooncake.create_table('analytics.tt2', 'analytics.trades_iceberg')`), '42809', /it is a view/);
  await rejectsWith(db.query(`CALL mooncake.create_table('x', 'public.trades', 'postgres://elsewhere/db')`), '0A000', /src_uri/);
  await rejectsWith(db.query(`CALL mooncake.create_table('other.public.x', 'public.trades')`), '0A000', /cross-database/);
  // with the privileges in place alice may mirror bob's table; the mirror still belongs to bob
  await db.query('GRANT CREATE ON SCHEMA analytics TO alice');
  await alice.query(`CALL mooncake.create_table('analytics.t_alice', 'public.trades')`);
  const { rows } = await db.query(`SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'analytics.t_alice'::regclass`);
  assert.equal(rows[0].owner, 'bob');
  assert.equal((await db.query(`SELECT created_by FROM mooncake.mirrors WHERE mirror_name = 't_alice'`)).rows[0].created_by, 'alice');
  // alice cannot read the registry table itself, but the status view and list_tables are public
  await rejectsWith(alice.query('SELECT * FROM mooncake.mirrors'), '42501');
  assert.ok((await alice.query('SELECT * FROM mooncake.columnstore_tables')).rows.length >= 3);
  assert.ok((await alice.query('SELECT * FROM mooncake.list_tables()')).rows.length >= 3);
});

test('create_table: quoted, mixed-case and spaced names round-trip', async () => {
  await db.query(`CREATE SCHEMA "Sales Data"; CREATE TABLE "Sales Data"."Orders" ("Id" int PRIMARY KEY, "Note" text)`);
  await db.query(`CALL mooncake.create_table('"Orders Mirror"', '"Sales Data"."Orders"')`);
  assert.ok((await db.query(`SELECT to_regclass('"Sales Data"."Orders Mirror"') AS r`)).rows[0].r);
  await rejectsWith(db.query(`SELECT "Id" FROM "Sales Data"."Orders Mirror"`), '0A000', /^"Orders Mirror" is a lakegate mirror/);
  assert.ok((await db.query('SELECT "table" FROM mooncake.list_tables()')).rows.some((r) => r.table === '"Sales Data"."Orders Mirror"'));
  await rejectsWith(db.query(`CALL mooncake.create_table('pg_catalog.x_iceberg', 'public.trades')`), '42501', /system schema/);
  await db.query(`CALL mooncake.drop_table('"Sales Data"."Orders Mirror"')`);
});

test('create_table: refuses what lakegate cannot mirror, naming the column and type (0A000)', async () => {
  await db.query(`CREATE TABLE public.geo (id int PRIMARY KEY, name text, spot point)`);
  const e = await rejectsWith(db.query(`CALL mooncake.create_table('geo_iceberg', 'geo')`), '0A000', /column "spot" of public\.geo has type point, which lakegate cannot mirror/);
  assert.match(e.hint ?? '', /Supported: boolean/);
  await db.query(`CREATE TABLE public.grid (id int PRIMARY KEY, m int[][])`);
  await rejectsWith(db.query(`CALL mooncake.create_table('grid_iceberg', 'grid')`), '0A000', /column "m" .* integer\[\] \(multi-dimensional\)/);
  await db.query(`CREATE TABLE public.rng (id int PRIMARY KEY, r int4range)`);
  await rejectsWith(db.query(`CALL mooncake.create_table('rng_iceberg', 'rng')`), '0A000', /column "r" .* int4range/);
  await db.query(`CREATE TABLE public.secret (id int PRIMARY KEY, v text); ALTER TABLE public.secret ENABLE ROW LEVEL SECURITY`);
  await rejectsWith(db.query(`CALL mooncake.create_table('secret_iceberg', 'secret')`), '0A000', /row-level security/);
  await db.query(`CREATE UNLOGGED TABLE public.ul (id int PRIMARY KEY)`);
  await rejectsWith(db.query(`CALL mooncake.create_table('ul_iceberg', 'ul')`), '0A000', /unlogged/);
  await db.query(`CREATE TEMP TABLE tmp (id int PRIMARY KEY)`);
  await rejectsWith(db.query(`CALL mooncake.create_table('public.tmp_iceberg', 'tmp')`), '0A000', /temporary/);
  await rejectsWith(db.query(`CALL mooncake.create_table('public.cls_iceberg', 'pg_catalog.pg_class')`), '0A000', /system tables/);
  await db.query(`CREATE TABLE public.virt (id int PRIMARY KEY, x int, y int GENERATED ALWAYS AS (x * 2) VIRTUAL)`);
  await rejectsWith(db.query(`CALL mooncake.create_table('virt_iceberg', 'virt')`), '0A000', /column "y" is a virtual generated column/);
  // nothing was left behind by the refusals
  assert.equal((await db.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE '%\\_iceberg' AND relname IN ('geo_iceberg','grid_iceberg','rng_iceberg','secret_iceberg','ul_iceberg','virt_iceberg')`)).rows[0].n, 0);
});

test('create_table: table_config follows pg_mooncake\'s shape and is validated', async () => {
  await db.query(`CREATE TABLE public.cfg (id int PRIMARY KEY)`);
  const cfg = { mooncake: { append_only: true }, iceberg: { deletion_vectors: true, storage_config: { s3: { bucket: 'b', prefix: 'wh', endpoint: 'http://127.0.0.1:9000' } } } };
  await db.query(`CALL mooncake.create_table('cfg_iceberg', 'cfg', NULL, $1::json)`, [JSON.stringify(cfg)]);
  const m = (await new MirrorRegistry(db).listMirrors()).find((x) => x.name === 'cfg_iceberg')!;
  assert.deepEqual(m.tableConfig, cfg);
  await rejectsWith(db.query(`CALL mooncake.create_table('cfg2', 'cfg', NULL, '{"icebreg": {}}')`), '22023', /unknown key "icebreg"/);
  await rejectsWith(db.query(`CALL mooncake.create_table('cfg2', 'cfg', NULL, '{"iceberg": {"deletion_vectors": "yes"}}')`), '22023', /deletion_vectors: expected a JSON boolean/);
  await rejectsWith(db.query(`CALL mooncake.create_table('cfg2', 'cfg', NULL, '{"iceberg": {"storage_config": {"s3": {}}}}')`), '22023', /s3\.bucket: required/);
  await rejectsWith(db.query(`CALL mooncake.create_table('cfg2', 'cfg', NULL, '{"iceberg": {"storage_config": {"gcs": {}}}}')`), '0A000', /Google Cloud Storage/);
  await rejectsWith(db.query(`CALL mooncake.create_table('cfg2', 'cfg', NULL, '[1]')`), '22023', /expected a JSON object/);
});

test('create_table: a source without a primary key gets REPLICA IDENTITY FULL with a NOTICE', async () => {
  await db.query(`CREATE TABLE public.log (at timestamptz, msg text)`);
  const got = await notices(db, `CALL mooncake.create_table('log_iceberg', 'log')`);
  assert.deepEqual(got, ['public.log has no primary key: set REPLICA IDENTITY FULL so lakegate can mirror updates and deletes']);
  assert.equal((await db.query(`SELECT relreplident FROM pg_class WHERE oid = 'public.log'::regclass`)).rows[0].relreplident, 'f');
  // a table with a primary key is left alone, and so is one with REPLICA IDENTITY USING INDEX
  assert.equal((await db.query(`SELECT relreplident FROM pg_class WHERE oid = 'public.trades'::regclass`)).rows[0].relreplident, 'd');
});

test('create_table: a partitioned table is mirrored through its root; a partition is refused', async () => {
  await db.query(`
    CREATE TABLE public.ticks (at date NOT NULL, v int) PARTITION BY RANGE (at);
    CREATE TABLE public.ticks_2024 PARTITION OF public.ticks FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE public.ticks_2025 PARTITION OF public.ticks FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`);
  await rejectsWith(db.query(`CALL mooncake.create_table('t24_iceberg', 'ticks_2024')`), '0A000', /cannot mirror public\.ticks_2024: it is a partition of public\.ticks$/);
  const got = await notices(db, `CALL mooncake.create_table('ticks_iceberg', 'ticks')`);
  assert.equal(got.length, 3, 'root and both partitions have no primary key: ' + got.join(' | '));
  const { rows } = await db.query(`SELECT relname, relreplident FROM pg_class WHERE relname LIKE 'ticks%' AND relkind IN ('r','p') ORDER BY 1`);
  assert.deepEqual(rows.map((r) => r.relreplident), ['f', 'f', 'f']);
  const m = (await new MirrorRegistry(db).listMirrors()).find((x) => x.name === 'ticks_iceberg')!;
  assert.deepEqual(m.partitions.map((p) => p.name), ['public.ticks_2024', 'public.ticks_2025']);
  assert.match(m.partitions[0]!.predicate, /at >= '2024-01-01'::date/);
});

test('mirror view: reading it on PostgreSQL always fails loudly, naming lakegate', async () => {
  await db.query(`CALL mooncake.create_table('empty_iceberg', 'empty_src')`);
  await db.query('GRANT SELECT ON public.trades TO carol');
  const carol = await connect('mirrors', 'carol');
  const mirrorError = /^"(trades_iceberg|empty_iceberg)" is a lakegate mirror; query it through lakegate$/;
  const reads = [
    'SELECT * FROM analytics.trades_iceberg',
    'SELECT * FROM analytics.trades_iceberg LIMIT 0',
    'SELECT * FROM analytics.trades_iceberg LIMIT 1',
    'SELECT count(*) FROM analytics.trades_iceberg',
    'SELECT count(*) FROM analytics.trades_iceberg WHERE false',
    'SELECT EXISTS (SELECT 1 FROM analytics.trades_iceberg)',
    'SELECT * FROM public.trades t JOIN analytics.trades_iceberg m USING (id)',
    'SELECT * FROM public.empty_src e JOIN analytics.trades_iceberg m ON m.id = e.id',
    'SELECT * FROM public.empty_src e LEFT JOIN analytics.trades_iceberg m ON m.id = e.id',
    'WITH x AS (SELECT * FROM analytics.trades_iceberg) SELECT * FROM x',
    'SELECT * FROM public.trades WHERE id IN (SELECT id FROM analytics.trades_iceberg)',
    'EXPLAIN SELECT * FROM analytics.trades_iceberg',
    'COPY (SELECT * FROM analytics.trades_iceberg) TO STDOUT',
    'SELECT * FROM public.empty_iceberg',
    'SELECT * FROM public.empty_iceberg LIMIT 0',
    'SELECT EXISTS (SELECT 1 FROM public.empty_iceberg)',
  ];
  for (const sql of reads) {
    const e = await rejectsWith(db.query(sql), '0A000', mirrorError);
    assert.match(e.hint ?? '', /Connect to lakegate/, sql);
  }
  // Parse/Describe work (nothing is planned), so lakegate can describe a query upstream; executing fails
  await db.query('PREPARE q AS SELECT id, price FROM analytics.trades_iceberg');
  const { rows: prep } = await db.query(`SELECT result_types::text[] AS t FROM pg_prepared_statements WHERE name = 'q'`);
  assert.deepEqual(prep[0].t, ['bigint', 'numeric']);
  await rejectsWith(db.query('EXECUTE q'), '0A000', mirrorError);
  await db.query('DEALLOCATE q');
  // extended protocol (Parse/Bind/Execute) and a role with ordinary privileges
  await rejectsWith(db.query('SELECT * FROM analytics.trades_iceberg WHERE id = $1', [1]), '0A000', mirrorError);
  await rejectsWith(carol.query('SELECT symbol FROM analytics.trades_iceberg'), '0A000', mirrorError);
  // writes fail too (a view over a function is not updatable)
  await rejectsWith(db.query(`INSERT INTO analytics.trades_iceberg (id, symbol) VALUES (9, 'x')`), '55000');
  // privileges are checked first, as for any relation: dave never had SELECT
  await db.query('CREATE ROLE dave LOGIN');
  const dave = await connect('mirrors', 'dave');
  await rejectsWith(dave.query('SELECT * FROM public.empty_iceberg'), '42501', /permission denied for view empty_iceberg/);
});

test('status: list_tables() and columnstore_tables have the documented shape', async () => {
  const reg = new MirrorRegistry(db);
  const m = (await reg.listMirrors()).find((x) => x.name === 'trades_iceberg')!;
  await reg.setLocation(m.id, 'file:///wh/analytics/trades_iceberg');
  await reg.setProgress(m.id, { commitLsn: '0/10', flushLsn: '0/8', rowCount: 2, dataFiles: 1 });
  await reg.setState(m.id, 'ready');
  const lt = await db.query('SELECT * FROM mooncake.list_tables()');
  assert.deepEqual(lt.fields.map((f) => [f.name, f.dataTypeID]), [
    ['table', 25], ['cardinality', 20], ['commit_lsn', 3220], ['flush_lsn', 3220], ['iceberg_warehouse_location', 25],
  ]);
  const row = lt.rows.find((r) => r.table === 'analytics.trades_iceberg');
  assert.deepEqual(row, {
    table: 'analytics.trades_iceberg', cardinality: '2', commit_lsn: '0/10', flush_lsn: '0/8',
    iceberg_warehouse_location: 'file:///wh/analytics/trades_iceberg',
  });
  const ct = await db.query(`SELECT * FROM mooncake.columnstore_tables WHERE "table" = 'analytics.trades_iceberg'`);
  assert.deepEqual(ct.fields.map((f) => f.name), [
    'id', 'table', 'source', 'state', 'row_count', 'data_files', 'commit_lsn', 'flush_lsn', 'lag_bytes',
    'iceberg_warehouse_location', 'error', 'created_at', 'updated_at',
  ]);
  const r = ct.rows[0];
  assert.equal(r.source, 'public.trades');
  assert.equal(r.state, 'ready');
  assert.equal(r.data_files, '1');
  assert.ok(Number(r.lag_bytes) > 0, 'current WAL is far past 0/10');
  await reg.setState(m.id, 'failed', 'disk full');
  assert.equal((await db.query(`SELECT error FROM mooncake.columnstore_tables WHERE id = $1`, [m.id])).rows[0].error, 'disk full');
  await reg.setState(m.id, 'ready');
});

test('drop_table: removes the mirror; lakegate deletes the files and then the row', async () => {
  await db.query(`CREATE TABLE public.dropme (id int PRIMARY KEY)`);
  await db.query(`CALL mooncake.create_table('dropme_iceberg', 'dropme')`);
  const reg = new MirrorRegistry(db);
  const id = (await reg.listMirrors()).find((x) => x.name === 'dropme_iceberg')!.id;
  assert.equal(await reg.upsertIcebergCatalog('public', 'dropme_iceberg', 's3://b/m/v1.metadata.json', null), true);
  await rejectsWith(db.query(`CALL mooncake.drop_table('public.trades')`), '42809', /not a lakegate mirror/);
  await rejectsWith(db.query(`CALL mooncake.drop_table('nothing_here')`), '42P01');
  const carol = await connect('mirrors', 'carol');
  await rejectsWith(carol.query(`CALL mooncake.drop_table('public.dropme_iceberg')`), '42501', /must be owner of mirror/);
  await db.query(`CALL mooncake.drop_table('dropme_iceberg')`);
  assert.equal((await db.query(`SELECT to_regclass('public.dropme_iceberg') AS r`)).rows[0].r, null);
  const m = await reg.getMirror(id);
  assert.equal(m!.state, 'dropping');
  assert.equal(m!.mirrorOid, null);
  assert.equal(await reg.getIcebergCatalog('public', 'dropme_iceberg'), null, 'JDBC catalog row gone with the mirror');
  assert.ok(!(await db.query('SELECT "table" FROM mooncake.list_tables()')).rows.some((r) => r.table === 'public.dropme_iceberg'));
  // the name is free again while the old files are being deleted
  await db.query(`CALL mooncake.create_table('dropme_iceberg', 'dropme')`);
  assert.equal(await reg.forget(id), true);
  assert.equal(await reg.getMirror(id), null);
  const again = (await reg.listMirrors()).find((x) => x.name === 'dropme_iceberg')!;
  assert.equal(await reg.forget(again.id), false, 'a live mirror is not forgotten');
  // the creator may drop a mirror owned by the source owner
  const alice = await connect('mirrors', 'alice');
  await alice.query(`CALL mooncake.drop_table('analytics.t_alice')`);
});

// ---------------------------------------------------------------------------------------------
// requests that need lakegate

/** Read 'mooncake' logical messages from a pgoutput slot (what lakegate's CDC stream receives). */
async function slotMessages(c: pg.Client, slot: string): Promise<{ transactional: boolean; content: string }[]> {
  const { rows } = await c.query(
    `SELECT data FROM pg_logical_slot_get_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', 'ctl_pub', 'messages', 'true')`,
    [slot],
  );
  const out: { transactional: boolean; content: string }[] = [];
  for (const { data } of rows as { data: Buffer }[]) {
    if (data[0] !== 0x4d) continue; // 'M'
    const transactional = data[1] === 1;
    let p = 1 + 1 + 8;
    const end = data.indexOf(0, p);
    const prefix = data.toString('utf8', p, end);
    p = end + 1;
    const len = data.readInt32BE(p);
    if (prefix === 'mooncake') out.push({ transactional, content: data.toString('utf8', p + 4, p + 4 + len) });
  }
  return out;
}

test('create_snapshot: times out with a clear error when lakegate does not answer', async () => {
  await db.query(`SET mooncake.request_timeout = '200ms'`);
  const t0 = Date.now();
  const e = await rejectsWith(db.query(`CALL mooncake.create_snapshot('analytics.trades_iceberg')`), '58000',
    /^lakegate did not answer create_snapshot\('analytics\.trades_iceberg'\) within 0\.2 s; is lakegate running\?$/);
  const ms = Date.now() - t0;
  assert.ok(ms >= 200 && ms < 3000, `waited ${ms} ms`);
  assert.match(e.hint ?? '', /mooncake\.request_timeout/);
  await db.query(`SET mooncake.request_timeout = 'soon'`);
  await rejectsWith(db.query(`CALL mooncake.create_snapshot('analytics.trades_iceberg')`), '22023', /mooncake\.request_timeout/);
  await db.query('RESET mooncake.request_timeout');
  await rejectsWith(db.query(`CALL mooncake.create_snapshot('public.trades')`), '42809');
  await rejectsWith(db.query(`BEGIN ISOLATION LEVEL REPEATABLE READ; CALL mooncake.create_snapshot('analytics.trades_iceberg')`), '25000');
  await db.query('ROLLBACK');
  await rejectsWith(db.query(`CALL mooncake.optimize_table('analytics.trades_iceberg', 'index')`), '22023', /invalid optimize mode/);
  const dave = await connect('mirrors', 'dave');
  await rejectsWith(dave.query(`CALL mooncake.create_snapshot('analytics.trades_iceberg')`), '42501');
  await rejectsWith(dave.query(`CALL mooncake.optimize_table('analytics.trades_iceberg', 'data')`), '42501');
});

test('create_snapshot / optimize_table: the request reaches the replication stream at once and the answer ends the wait', async (t) => {
  const reg = new MirrorRegistry(db);
  const lakegate = await connect('mirrors');
  await lakegate.query(`CREATE PUBLICATION ctl_pub`);
  await lakegate.query(`SELECT pg_create_logical_replication_slot('ctl_slot', 'pgoutput')`);
  const caller = await connect('mirrors');
  await caller.query(`SET mooncake.request_timeout = '20s'`);

  // a fake lakegate: read the non-transactional message from the slot, answer through the registry
  async function answer(ok: boolean, error?: string, sqlstate?: string) {
    for (let i = 0; i < 500; i++) {
      const msgs = await slotMessages(lakegate, 'ctl_slot');
      const req = msgs.map((m) => ({ ...m, parsed: parseControlMessage('mooncake', m.content) })).find((m) => m.parsed && 'id' in m.parsed);
      if (req) {
        assert.equal(req.transactional, false);
        await reg.writeRequestResult((req.parsed as { id: number }).id, ok, error, sqlstate);
        return req.parsed!;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no request message arrived');
  }

  // inside an open transaction that has already written: the message must still be delivered now
  await caller.query(`BEGIN; INSERT INTO public.trades (id, symbol) VALUES (100, 'TX')`);
  const t0 = Date.now();
  const [req] = await Promise.all([answer(true), caller.query(`CALL mooncake.create_snapshot('analytics.trades_iceberg')`)]);
  const roundTrip = Date.now() - t0;
  await caller.query('COMMIT');
  assert.equal(req.kind, 'create_snapshot');
  assert.equal(req.mirror, 'analytics.trades_iceberg');
  assert.match((req as { lsn: string }).lsn, /^[0-9A-F]+\/[0-9A-F]+$/);
  assert.ok(roundTrip < 5000, `round trip ${roundTrip} ms`);
  t.diagnostic(`create_snapshot round trip with a polling fake lakegate: ${roundTrip} ms`);
  assert.equal((await db.query('SELECT count(*)::int AS n FROM mooncake.request_results')).rows[0].n, 0, 'answer collected');

  const [opt] = await Promise.all([answer(true), caller.query(`CALL mooncake.optimize_table('analytics.trades_iceberg', 'DATA')`)]);
  assert.equal(opt.kind, 'optimize_table');
  assert.equal((opt as { mode: string }).mode, 'data');

  const [, failed] = await Promise.all([
    answer(false, 'disk full', '53100'),
    caller.query(`CALL mooncake.create_snapshot('analytics.trades_iceberg')`).catch((e) => e),
  ]);
  assert.equal(failed.code, '53100');
  assert.match(failed.message, /lakegate could not create snapshot analytics\.trades_iceberg: disk full/);

  // a failed mirror answers at once, without asking lakegate
  const m = (await reg.listMirrors()).find((x) => x.name === 'trades_iceberg')!;
  await reg.setState(m.id, 'failed', 'copy failed: boom');
  await rejectsWith(caller.query(`CALL mooncake.create_snapshot('analytics.trades_iceberg')`), '55000', /has failed: copy failed: boom/);
  await reg.setState(m.id, 'ready');
  await lakegate.query(`SELECT pg_drop_replication_slot('ctl_slot')`);
});

// ---------------------------------------------------------------------------------------------
// registry client

test('registry: watch() reports new, changed and dropped mirrors within a second; progress is not a change', async (t) => {
  const reg = new MirrorRegistry(db);
  const seen: { at: number; mirrors: Mirror[] }[] = [];
  let wake: (() => void) | null = null;
  const watch = await reg.watch((mirrors) => {
    seen.push({ at: Date.now(), mirrors });
    wake?.();
  });
  const next = (ms: number) =>
    new Promise<number>((resolve, reject) => {
      const t0 = Date.now();
      const timer = setTimeout(() => reject(new Error(`no change within ${ms} ms`)), ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve(Date.now() - t0);
      };
    });
  try {
    assert.equal(seen.length, 1, 'called once with the initial list');
    await db.query(`CREATE TABLE public.watched (id int PRIMARY KEY)`);
    let p = next(1000);
    await db.query(`CALL mooncake.create_table('watched_iceberg', 'watched')`);
    const created = await p;
    const mine = seen.at(-1)!.mirrors.find((x) => x.name === 'watched_iceberg')!;
    assert.equal(mine.state, 'pending');
    t.diagnostic(`new mirror seen after ${created} ms (NOTIFY)`);

    await reg.setProgress(mine.id, { commitLsn: '0/20', rowCount: 5 });
    await new Promise((r) => setTimeout(r, 1300));
    const count = seen.length;
    p = next(1000);
    await reg.setState(mine.id, 'copying');
    await p;
    assert.equal(seen.length, count + 1, 'progress alone did not call onChange');

    // with notifications off, the 1 s poll still finds the change
    await db.query('ALTER TABLE mooncake.mirrors DISABLE TRIGGER mirrors_notify');
    p = next(2500);
    await reg.setState(mine.id, 'ready');
    const polled = await p;
    assert.ok(polled <= 2000, `poll found it after ${polled} ms`);
    await db.query('ALTER TABLE mooncake.mirrors ENABLE TRIGGER mirrors_notify');

    p = next(1000);
    await db.query(`CALL mooncake.drop_table('watched_iceberg')`);
    await p;
    assert.equal(seen.at(-1)!.mirrors.find((x) => x.id === mine.id)!.state, 'dropping');
  } finally {
    await watch.stop();
  }
});

test('registry: watch() on a Pool holds one connection for LISTEN and gives it back on stop()', async () => {
  const pool = new pg.Pool({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'mirrors', max: 3 });
  let watch: Awaited<ReturnType<MirrorRegistry['watch']>> | null = null;
  try {
    const reg = new MirrorRegistry(pool);
    let calls = 0;
    let resolveNext: () => void = () => {};
    watch = await reg.watch(() => {
      calls++;
      resolveNext();
    });
    assert.equal(calls, 1);
    const next = new Promise<void>((r) => (resolveNext = r));
    await db.query(`CREATE TABLE public.pooled (id int PRIMARY KEY); CALL mooncake.create_table('pooled_iceberg', 'pooled')`);
    await Promise.race([next, new Promise((_, rej) => setTimeout(() => rej(new Error('no change within 5 s')), 5000))]);
    assert.equal(pool.totalCount - pool.idleCount, 1, 'the LISTEN connection is checked out');
    await watch.stop();
    watch = null;
    assert.equal(pool.totalCount - pool.idleCount, 0);
  } finally {
    // a failure above must not leave the LISTEN connection checked out: pool.end() would wait for it forever
    await watch?.stop();
    await pool.end();
  }
});

test('registry: setProgress skips a row a user transaction holds instead of waiting', async () => {
  const reg = new MirrorRegistry(db);
  const id = (await reg.listMirrors()).find((x) => x.name === 'trades_iceberg')!.id;
  const other = await connect('mirrors');
  await other.query('BEGIN');
  await other.query(`UPDATE mooncake.mirrors SET updated_at = now() WHERE id = $1`, [id]);
  const t0 = Date.now();
  assert.equal(await reg.setProgress(id, { rowCount: 42 }), false);
  assert.ok(Date.now() - t0 < 1000);
  await other.query('ROLLBACK');
  assert.equal(await reg.setProgress(id, { rowCount: 42 }), true);
  assert.equal((await reg.getMirror(id))!.rowCount, 42);
});

test('registry: the JDBC catalog tables match Iceberg JdbcCatalog; commits are compare-and-set', async () => {
  const { rows: cols } = await db.query(`
    SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable
      FROM information_schema.columns WHERE table_schema = 'mooncake' AND table_name LIKE 'iceberg%'
     ORDER BY table_name, ordinal_position`);
  const v = (t: string, c: string, len: number, nullable: string) => ({ table_name: t, column_name: c, data_type: 'character varying', len, is_nullable: nullable });
  assert.deepEqual(cols, [
    v('iceberg_namespace_properties', 'catalog_name', 255, 'NO'),
    v('iceberg_namespace_properties', 'namespace', 255, 'NO'),
    v('iceberg_namespace_properties', 'property_key', 255, 'NO'),
    v('iceberg_namespace_properties', 'property_value', 1000, 'YES'),
    v('iceberg_tables', 'catalog_name', 255, 'NO'),
    v('iceberg_tables', 'table_namespace', 255, 'NO'),
    v('iceberg_tables', 'table_name', 255, 'NO'),
    v('iceberg_tables', 'metadata_location', 1000, 'YES'),
    v('iceberg_tables', 'previous_metadata_location', 1000, 'YES'),
    v('iceberg_tables', 'iceberg_type', 5, 'YES'),
  ]);
  const { rows: pks } = await db.query(`
    SELECT c.relname, array_agg(a.attname::text ORDER BY k.ord) AS cols
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
     WHERE i.indisprimary AND c.relnamespace = 'mooncake'::regnamespace AND c.relname LIKE 'iceberg%'
     GROUP BY c.relname ORDER BY 1`);
  assert.deepEqual(pks, [
    { relname: 'iceberg_namespace_properties', cols: ['catalog_name', 'namespace', 'property_key'] },
    { relname: 'iceberg_tables', cols: ['catalog_name', 'table_namespace', 'table_name'] },
  ]);

  const reg = new MirrorRegistry(db);
  assert.equal(await reg.upsertIcebergCatalog('public', 'cas_t', 'file:///wh/v1.metadata.json', null), true);
  assert.equal(await reg.upsertIcebergCatalog('public', 'cas_t', 'file:///wh/other.metadata.json', null), false, 'already exists');
  assert.equal(await reg.upsertIcebergCatalog('public', 'cas_t', 'file:///wh/v2.metadata.json', 'file:///wh/v1.metadata.json'), true);
  assert.equal(await reg.upsertIcebergCatalog('public', 'cas_t', 'file:///wh/v3.metadata.json', 'file:///wh/v1.metadata.json'), false, 'stale base');
  // two writers racing from the same base: exactly one wins
  const other = new MirrorRegistry(await connect('mirrors'));
  const race = await Promise.all([
    reg.upsertIcebergCatalog('public', 'cas_t', 'file:///wh/v3a.metadata.json', 'file:///wh/v2.metadata.json'),
    other.upsertIcebergCatalog('public', 'cas_t', 'file:///wh/v3b.metadata.json', 'file:///wh/v2.metadata.json'),
  ]);
  assert.deepEqual(race.filter(Boolean).length, 1);
  const now = await reg.getIcebergCatalog('public', 'cas_t');
  assert.equal(now!.previousMetadataLocation, 'file:///wh/v2.metadata.json');
  const { rows } = await db.query(`SELECT catalog_name, iceberg_type FROM mooncake.iceberg_tables WHERE table_name = 'cas_t'`);
  assert.deepEqual(rows, [{ catalog_name: 'lakegate', iceberg_type: 'TABLE' }]);
  const { rows: ns } = await db.query(`SELECT property_key, property_value FROM mooncake.iceberg_namespace_properties WHERE namespace = 'public'`);
  assert.deepEqual(ns, [{ property_key: 'exists', property_value: 'true' }]);
  await reg.dropIcebergCatalog('public', 'cas_t');
  assert.equal(await reg.getIcebergCatalog('public', 'cas_t'), null);
});

test('registry: request results are upserted and old uncollected ones removed', async () => {
  const reg = new MirrorRegistry(db);
  await db.query('DELETE FROM mooncake.request_results');
  await db.query(`INSERT INTO mooncake.request_results (id, ok, finished_at) VALUES (1, true, now() - interval '2 hours')`);
  await reg.writeRequestResult(2, false, 'nope', 'bad');
  await reg.writeRequestResult(2, true);
  const { rows } = await db.query('SELECT id::int, ok, error, sqlstate FROM mooncake.request_results ORDER BY id');
  assert.deepEqual(rows, [{ id: 2, ok: true, error: null, sqlstate: null }]);
  await db.query('DELETE FROM mooncake.request_results');
});
