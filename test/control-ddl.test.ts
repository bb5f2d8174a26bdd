// DDL capture: ALTER/GRANT/DROP on a mirrored table keep its mirror view in step, and the schema change
// reaches the CDC stream as a transactional logical message, in order with the rows around it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { rejectsWith } from './helpers/sqlstate.js';
import { migrate, MirrorRegistry, parseControlMessage, type ControlMessage, type Mirror } from '../src/control/index.js';

let server: TestPostgres;
let db: pg.Client; // superuser on database 'ddl'
let bob: pg.Client; // owns public.trades
const open: pg.Client[] = [];

async function connect(user: string, database = 'ddl'): Promise<pg.Client> {
  // the test server runs with synchronous_commit=off; logical decoding only reads flushed WAL
  const c = new pg.Client({ host: '127.0.0.1', port: server.port, user, database, options: '-c synchronous_commit=on' });
  await c.connect();
  open.push(c);
  return c;
}

before(async () => {
  server = await startPostgres();
  await server.sql('CREATE DATABASE ddl');
  db = await connect('postgres');
  await migrate(db);
  await db.query(`
    CREATE ROLE bob LOGIN; CREATE ROLE alice LOGIN; CREATE ROLE carol LOGIN;
    GRANT CREATE ON SCHEMA public TO bob;
    CREATE TABLE public.trades (id bigint PRIMARY KEY, symbol text, price numeric(12,2));
    ALTER TABLE public.trades OWNER TO bob;
    CREATE PUBLICATION ddl_pub FOR TABLE public.trades WITH (publish_via_partition_root = true);`);
  await db.query(`SELECT pg_create_logical_replication_slot('ddl_slot', 'pgoutput')`);
  bob = await connect('bob');
  await bob.query(`CALL mooncake.create_table('trades_iceberg', 'trades')`);
});

after(async () => {
  await Promise.all(open.map((c) => c.end().catch(() => {})));
  await server?.destroy();
});

type Event =
  | { tag: 'B' | 'C' }
  | { tag: 'R'; relid: number; name: string; columns: string[] }
  | { tag: 'I' | 'U' | 'D'; relid: number }
  | { tag: 'M'; transactional: boolean; message: ControlMessage };

/** Everything the slot has decoded since the last call, as lakegate's pgoutput stream would see it. */
async function drain(): Promise<Event[]> {
  const { rows } = await db.query(
    `SELECT data FROM pg_logical_slot_get_binary_changes('ddl_slot', NULL, NULL, 'proto_version', '1',
       'publication_names', 'ddl_pub', 'messages', 'true')`,
  );
  const out: Event[] = [];
  for (const { data } of rows as { data: Buffer }[]) {
    const tag = String.fromCharCode(data[0]!);
    let p = 1;
    const str = () => {
      const end = data.indexOf(0, p);
      const s = data.toString('utf8', p, end);
      p = end + 1;
      return s;
    };
    if (tag === 'B' || tag === 'C') out.push({ tag });
    else if (tag === 'I' || tag === 'U' || tag === 'D') out.push({ tag, relid: data.readInt32BE(1) });
    else if (tag === 'R') {
      const relid = data.readInt32BE(1);
      p = 5;
      str();
      const name = str();
      p += 1;
      const n = data.readInt16BE(p);
      p += 2;
      const columns: string[] = [];
      for (let i = 0; i < n; i++) {
        p += 1;
        columns.push(str());
        p += 8;
      }
      out.push({ tag, relid, name, columns });
    } else if (tag === 'M') {
      const transactional = data[1] === 1;
      p = 10;
      const prefix = str();
      const len = data.readInt32BE(p);
      const message = parseControlMessage(prefix, data.subarray(p + 4, p + 4 + len));
      if (message) out.push({ tag, transactional, message });
    }
  }
  return out;
}

const messages = (events: Event[]) => events.filter((e): e is Extract<Event, { tag: 'M' }> => e.tag === 'M').map((e) => e.message);

async function mirror(name: string): Promise<Mirror> {
  const m = (await new MirrorRegistry(db).listMirrors()).find((x) => x.name === name && x.state !== 'dropping');
  assert.ok(m, `mirror ${name} is registered`);
  return m;
}

async function columnsOf(rel: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT attname || ' ' || format_type(atttypid, atttypmod) AS c FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [rel],
  );
  return rows.map((r) => r.c);
}

async function relacl(rel: string): Promise<string[]> {
  const { rows } = await db.query(`SELECT coalesce(relacl::text[], '{}') AS a FROM pg_class WHERE oid = $1::regclass`, [rel]);
  return (rows[0].a as string[]).sort();
}

test('ADD COLUMN (by the owner, not a superuser): view gains the column; message sits between the rows', async () => {
  await drain();
  const before = await mirror('trades_iceberg');
  await bob.query(`BEGIN;
    INSERT INTO trades VALUES (1, 'AMD', 119);
    ALTER TABLE trades ADD COLUMN qty integer DEFAULT 0;
    INSERT INTO trades VALUES (2, 'AMZN', 207, 5);
    COMMIT`);
  assert.deepEqual(await columnsOf('trades_iceberg'), await columnsOf('trades'));
  assert.deepEqual(await columnsOf('trades_iceberg'), ['id bigint', 'symbol text', 'price numeric(12,2)', 'qty integer']);
  const after = await mirror('trades_iceberg');
  assert.equal(after.mirrorOid, before.mirrorOid, 'replaced in place');
  assert.equal(after.columns.at(-1)!.name, 'qty');

  const ev = (await drain()).map((e) => (e.tag === 'M' ? `M:${e.message.kind}:${e.transactional}` : e.tag));
  assert.deepEqual(ev, ['B', 'R', 'I', 'M:alter_table:true', 'R', 'I', 'C']);
});

test('ALTER messages carry the new columns; RENAME COLUMN renames in place (dependent views survive)', async () => {
  await db.query(`CREATE VIEW public.amd AS SELECT id, symbol FROM trades_iceberg`);
  await drain();
  const oid = (await mirror('trades_iceberg')).mirrorOid;
  await bob.query(`ALTER TABLE trades RENAME COLUMN symbol TO ticker`);
  assert.deepEqual(await columnsOf('trades_iceberg'), ['id bigint', 'ticker text', 'price numeric(12,2)', 'qty integer']);
  assert.equal((await mirror('trades_iceberg')).mirrorOid, oid);
  assert.deepEqual(await columnsOf('amd'), ['id bigint', 'symbol text'], 'the dependent view survives (keeping its own column names)');
  const [msg] = messages(await drain());
  assert.equal(msg!.kind, 'alter_table');
  assert.deepEqual((msg as { columns: { name: string }[] }).columns.map((c) => c.name), ['id', 'ticker', 'price', 'qty']);
  // swapping two names needs the two-pass rename
  await bob.query(`ALTER TABLE trades RENAME COLUMN ticker TO tmp; ALTER TABLE trades RENAME COLUMN price TO ticker; ALTER TABLE trades RENAME COLUMN tmp TO price`);
  assert.deepEqual(await columnsOf('trades_iceberg'), ['id bigint', 'price text', 'ticker numeric(12,2)', 'qty integer']);
  await bob.query(`ALTER TABLE trades RENAME COLUMN price TO tmp; ALTER TABLE trades RENAME COLUMN ticker TO price; ALTER TABLE trades RENAME COLUMN tmp TO symbol`);
  assert.deepEqual(await columnsOf('trades_iceberg'), ['id bigint', 'symbol text', 'price numeric(12,2)', 'qty integer']);
});

test('ALTER TYPE and DROP COLUMN recreate the view, keeping comment, owner and privileges; dependents block it', async () => {
  await bob.query(`GRANT SELECT ON trades TO alice`);
  await db.query(`COMMENT ON VIEW trades_iceberg IS 'my mirror'`);
  const e = await rejectsWith(bob.query(`ALTER TABLE trades ALTER COLUMN price TYPE numeric(14,4)`), '2BP01',
    /cannot change the columns of public\.trades: other objects depend on its lakegate mirror public\.trades_iceberg/);
  assert.match(e.detail ?? '', /view public\.amd depends on view public\.trades_iceberg/);
  assert.deepEqual(await columnsOf('trades'), ['id bigint', 'symbol text', 'price numeric(12,2)', 'qty integer'], 'the ALTER was rolled back');
  await db.query(`DROP VIEW public.amd`);
  await drain();
  const oid = (await mirror('trades_iceberg')).mirrorOid;
  await bob.query(`ALTER TABLE trades ALTER COLUMN price TYPE numeric(14,4)`);
  await bob.query(`ALTER TABLE trades DROP COLUMN qty`);
  assert.deepEqual(await columnsOf('trades_iceberg'), ['id bigint', 'symbol text', 'price numeric(14,4)']);
  const m = await mirror('trades_iceberg');
  assert.notEqual(m.mirrorOid, oid, 'recreated');
  assert.equal(m.mirrorOid, Number((await db.query(`SELECT 'trades_iceberg'::regclass::oid AS o`)).rows[0].o), 'registry follows the new view');
  const { rows } = await db.query(`SELECT obj_description('trades_iceberg'::regclass, 'pg_class') AS c, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'trades_iceberg'::regclass`);
  assert.deepEqual(rows[0], { c: 'my mirror', owner: 'bob' });
  assert.deepEqual(await relacl('trades_iceberg'), await relacl('trades'));
  const msgs = messages(await drain());
  assert.deepEqual(msgs.map((x) => x.kind), ['alter_table', 'alter_table']);
  assert.equal((msgs[0] as { columns: { type: string }[] }).columns[2]!.type, 'numeric(14,4)');
  // still refuses direct reads after being recreated
  await rejectsWith(db.query('SELECT * FROM trades_iceberg LIMIT 0'), '0A000', /"trades_iceberg" is a lakegate mirror/);
});

test('GRANT / REVOKE on the source follow to the mirror (table and column level); a direct GRANT on the mirror is undone', async () => {
  await bob.query(`GRANT SELECT ON trades TO carol WITH GRANT OPTION`);
  await bob.query(`REVOKE SELECT ON trades FROM alice`);
  await bob.query(`GRANT SELECT (id, symbol), UPDATE (price) ON trades TO alice`);
  assert.deepEqual(await relacl('trades_iceberg'), await relacl('trades'));
  assert.ok((await relacl('trades_iceberg')).some((a) => a.startsWith('carol=r*/')));
  const colAcl = (rel: string) =>
    db.query(`SELECT attname, attacl::text[] AS acl FROM pg_attribute WHERE attrelid = $1::regclass AND attacl IS NOT NULL ORDER BY attnum`, [rel]).then((r) => r.rows);
  assert.deepEqual(await colAcl('trades_iceberg'), await colAcl('trades'));
  assert.equal((await colAcl('trades_iceberg')).length, 3);
  // what alice can do through the mirror is what she can do on the source
  const { rows } = await db.query(`SELECT has_column_privilege('alice', 'trades_iceberg', 'symbol', 'SELECT') AS sym,
    has_column_privilege('alice', 'trades_iceberg', 'price', 'SELECT') AS price, has_table_privilege('carol', 'trades_iceberg', 'SELECT') AS carol`);
  assert.deepEqual(rows[0], { sym: true, price: false, carol: true });

  const got: string[] = [];
  bob.on('notice', (n) => got.push(n.message ?? ''));
  await bob.query(`GRANT INSERT ON trades_iceberg TO alice`);
  bob.removeAllListeners('notice');
  assert.deepEqual(got, ['privileges on lakegate mirror public.trades_iceberg follow its source public.trades; the change made on the mirror was undone']);
  assert.deepEqual(await relacl('trades_iceberg'), await relacl('trades'));
  // GRANT … ON ALL TABLES IN SCHEMA reaches source and mirror alike: kept, no notice
  await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO alice`);
  assert.ok(await db.query(`SELECT has_table_privilege('alice', 'trades_iceberg', 'SELECT') AS ok`).then((r) => r.rows[0].ok));
  assert.deepEqual(await relacl('trades_iceberg'), await relacl('trades'));
});

test('OWNER TO on the source moves the mirror too', async () => {
  await db.query(`ALTER TABLE trades OWNER TO alice`);
  const { rows } = await db.query(`SELECT pg_get_userbyid(relowner) AS o FROM pg_class WHERE oid = 'trades_iceberg'::regclass`);
  assert.equal(rows[0].o, 'alice');
  assert.deepEqual(await relacl('trades_iceberg'), await relacl('trades'));
  await db.query(`ALTER TABLE trades OWNER TO bob`);
});

test('DDL that would make the source unmirrorable is refused, naming the mirror', async () => {
  await rejectsWith(bob.query(`ALTER TABLE trades ENABLE ROW LEVEL SECURITY`), '0A000',
    /cannot enable row-level security on public\.trades: it has lakegate mirror public\.trades_iceberg/);
  assert.equal((await db.query(`SELECT relrowsecurity FROM pg_class WHERE oid = 'trades'::regclass`)).rows[0].relrowsecurity, false);
  const e = await rejectsWith(bob.query(`ALTER TABLE trades ADD COLUMN spot point`), '0A000',
    /column "spot" of public\.trades would have type point, which lakegate mirror public\.trades_iceberg cannot hold/);
  assert.match(e.hint ?? '', /CALL mooncake\.drop_table\('public\.trades_iceberg'\)/);
  // (a table in a publication cannot become unlogged anyway; this one is not in one yet)
  await bob.query(`CREATE TABLE ul (id int PRIMARY KEY); CALL mooncake.create_table('ul_iceberg', 'ul')`);
  await rejectsWith(bob.query(`ALTER TABLE ul SET UNLOGGED`), '0A000', /cannot make public\.ul unlogged: it has lakegate mirror public\.ul_iceberg/);
  // losing the replica identity is repaired rather than refused
  const got: string[] = [];
  db.on('notice', (n) => got.push(n.message ?? ''));
  await db.query(`ALTER TABLE trades REPLICA IDENTITY NOTHING`);
  db.removeAllListeners('notice');
  assert.deepEqual(got, ['public.trades has REPLICA IDENTITY NOTHING: set REPLICA IDENTITY FULL so lakegate can mirror updates and deletes']);
  await db.query(`ALTER TABLE trades REPLICA IDENTITY DEFAULT`);
  assert.equal((await db.query(`SELECT relreplident FROM pg_class WHERE oid = 'trades'::regclass`)).rows[0].relreplident, 'd');
});

test('replacing the mirror view by hand is undone', async () => {
  await db.query(`CREATE OR REPLACE VIEW trades_iceberg AS SELECT 1::bigint AS id, 'x'::text AS symbol, 1::numeric(14,4) AS price`);
  await rejectsWith(db.query('SELECT * FROM trades_iceberg'), '0A000', /"trades_iceberg" is a lakegate mirror/);
  assert.deepEqual(await columnsOf('trades_iceberg'), await columnsOf('trades'));
});

test('COMMENT ON COLUMN of the source shows on the mirror', async () => {
  await bob.query(`COMMENT ON COLUMN trades.price IS 'USD'`);
  const { rows } = await db.query(`SELECT col_description('trades_iceberg'::regclass, 3) AS c`);
  assert.equal(rows[0].c, 'USD');
});

test('renames: source renamed or moved, mirror renamed (registry, error text and JDBC catalog row follow)', async () => {
  const reg = new MirrorRegistry(db);
  const id = (await mirror('trades_iceberg')).id;
  await reg.upsertIcebergCatalog('public', 'trades_iceberg', 'file:///wh/v1.metadata.json', null);
  await drain();
  await bob.query(`ALTER TABLE trades RENAME TO deals`);
  let m = (await reg.getMirror(id))!;
  assert.deepEqual([m.sourceSchema, m.sourceName], ['public', 'deals']);
  await db.query(`CREATE SCHEMA hist; ALTER TABLE deals SET SCHEMA hist`);
  m = (await reg.getMirror(id))!;
  assert.deepEqual([m.sourceSchema, m.sourceName], ['hist', 'deals']);
  const msgs = messages(await drain());
  assert.deepEqual(msgs.map((x) => [x.kind, (x as { source: string }).source]), [['alter_table', 'public.deals'], ['alter_table', 'hist.deals']]);

  await db.query(`ALTER VIEW trades_iceberg RENAME TO deals_iceberg`);
  m = (await reg.getMirror(id))!;
  assert.deepEqual([m.schema, m.name], ['public', 'deals_iceberg']);
  await rejectsWith(db.query('SELECT * FROM deals_iceberg'), '0A000', /^"deals_iceberg" is a lakegate mirror/);
  assert.equal(await reg.getIcebergCatalog('public', 'trades_iceberg'), null);
  assert.ok(await reg.getIcebergCatalog('public', 'deals_iceberg'));
  await db.query(`ALTER TABLE hist.deals SET SCHEMA public; ALTER TABLE deals RENAME TO trades; ALTER VIEW deals_iceberg RENAME TO trades_iceberg`);
  assert.deepEqual(await columnsOf('trades_iceberg'), await columnsOf('trades'));
});

test('dropping: source dropped marks the mirror failed; DROP VIEW and DROP SCHEMA … CASCADE mark it dropping', async () => {
  const reg = new MirrorRegistry(db);
  await db.query(`CREATE TABLE public.gone (id int PRIMARY KEY); ALTER PUBLICATION ddl_pub ADD TABLE public.gone`);
  await db.query(`CALL mooncake.create_table('gone_iceberg', 'gone')`);
  const id = (await mirror('gone_iceberg')).id;
  await db.query(`ALTER PUBLICATION ddl_pub DROP TABLE public.gone; DROP TABLE public.gone`);
  let m = (await reg.getMirror(id))!;
  assert.equal(m.state, 'failed');
  assert.equal(m.error, 'source table public.gone was dropped');
  assert.equal(m.sourceOid, null);
  await rejectsWith(db.query('SELECT * FROM gone_iceberg'), '0A000', /lakegate mirror/);
  await rejectsWith(db.query(`CALL mooncake.create_snapshot('gone_iceberg')`), '55000', /source table public\.gone was dropped/);
  await drain();
  await db.query(`DROP VIEW gone_iceberg`);
  m = (await reg.getMirror(id))!;
  assert.equal(m.state, 'dropping');
  assert.deepEqual(messages(await drain()).map((x) => [x.kind, x.mirror]), [['drop_table', 'public.gone_iceberg']]);

  await db.query(`CREATE SCHEMA tmp; CREATE TABLE tmp.s (id int PRIMARY KEY); CALL mooncake.create_table('tmp.s_iceberg', 'tmp.s')`);
  const id2 = (await mirror('s_iceberg')).id;
  await db.query(`DROP SCHEMA tmp CASCADE`);
  assert.equal((await reg.getMirror(id2))!.state, 'dropping');
});

test('partitions: created, attached, detached and dropped partitions are announced with their predicate', async () => {
  const reg = new MirrorRegistry(db);
  await db.query(`
    CREATE TABLE public.ticks (at date NOT NULL, v int) PARTITION BY RANGE (at);
    CREATE TABLE public.ticks_2024 PARTITION OF public.ticks FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    ALTER PUBLICATION ddl_pub ADD TABLE public.ticks;
    CALL mooncake.create_table('ticks_iceberg', 'ticks')`);
  await drain();
  const got: string[] = [];
  db.on('notice', (n) => got.push(n.message ?? ''));
  await db.query(`CREATE TABLE public.ticks_2025 PARTITION OF public.ticks FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`);
  db.removeAllListeners('notice');
  assert.deepEqual(got, ['public.ticks_2025 has no primary key: set REPLICA IDENTITY FULL so lakegate can mirror updates and deletes']);
  await db.query(`CREATE TABLE public.old_ticks (at date NOT NULL, v int); INSERT INTO public.old_ticks VALUES ('2023-05-01', 1)`);
  await db.query(`ALTER TABLE public.ticks ATTACH PARTITION public.old_ticks FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')`);
  await db.query(`ALTER TABLE public.ticks DETACH PARTITION public.ticks_2024`);
  await db.query(`DROP TABLE public.ticks_2025`);
  const msgs = messages(await drain()) as { kind: string; partition: string; predicate: string; created?: boolean }[];
  assert.deepEqual(msgs.map((x) => [x.kind, x.partition, x.created]), [
    ['partition_attached', 'public.ticks_2025', true],
    ['partition_attached', 'public.old_ticks', false],
    ['partition_detached', 'public.ticks_2024', undefined],
    ['partition_dropped', 'public.ticks_2025', undefined],
  ]);
  assert.match(msgs[1]!.predicate, /at >= '2023-01-01'::date/);
  assert.match(msgs[2]!.predicate, /at < '2025-01-01'::date/);
  const m = await mirror('ticks_iceberg');
  assert.deepEqual(m.partitions.map((p) => p.name), ['public.old_ticks']);
  assert.equal((await db.query(`SELECT relreplident FROM pg_class WHERE oid = 'public.old_ticks'::regclass`)).rows[0].relreplident, 'f');
  void reg;
});

test('a mirrored table cannot become a partition of another table', async () => {
  await db.query(`CREATE TABLE public.parent (id bigint PRIMARY KEY, symbol text, price numeric(14,4)) PARTITION BY RANGE (id)`);
  await rejectsWith(db.query(`ALTER TABLE public.parent ATTACH PARTITION public.trades FOR VALUES FROM (0) TO (1000)`), '0A000',
    /cannot make public\.trades a partition: it has lakegate mirror public\.trades_iceberg/);
});

test('uninstall: DROP SCHEMA mooncake CASCADE removes the control plane and the mirror views', async () => {
  await server.sql('CREATE DATABASE gone');
  const c = await connect('postgres', 'gone');
  await migrate(c);
  await c.query(`CREATE TABLE t (id int PRIMARY KEY); CALL mooncake.create_table('t_iceberg', 't')`);
  await c.query(`DROP SCHEMA mooncake CASCADE`);
  const { rows } = await c.query(`SELECT to_regclass('t_iceberg') AS v, (SELECT count(*)::int FROM pg_event_trigger) AS et`);
  assert.deepEqual(rows[0], { v: null, et: 0 });
  await c.query(`ALTER TABLE t ADD COLUMN x int; DROP TABLE t`);
});
