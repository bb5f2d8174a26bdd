// Real client programs through lakegate: psql (\d, COPY, errors, SCRAM, TLS, cancel), pgjdbc (via a
// single-file Java program) and psycopg2. Each test skips, saying why, only when its tool is missing;
// .ci/run installs them all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestPostgres } from './helpers/postgres.js';
import { repoRoot, type Gate } from './helpers/lakegate.js';
import { startPlainAndTlsGates, startPostgresWithPasswords, type PlainAndTlsGates } from './helpers/auth.js';
import { run, type Run } from './helpers/run.js';
import { VERSION } from '../src/version.js';

const SCRAM_PW = 'scram-pw-Ω1';
const MD5_PW = 'md5-pw-2';
const JDBC_JAR = '/usr/share/java/postgresql.jar';
const PYTHON = '/usr/bin/python3'; // the Debian interpreter that has python3-psycopg2 (a pyenv python3 may not)

const have = {
  psql: spawnSync('psql', ['--version']).status === 0,
  java: spawnSync('java', ['-version']).status === 0 && existsSync(JDBC_JAR),
  psycopg2: spawnSync(PYTHON, ['-c', 'import psycopg2']).status === 0,
};

let db: TestPostgres;
let gates: PlainAndTlsGates;

before(async () => {
  db = await startPostgresWithPasswords({ scram: SCRAM_PW, md5: MD5_PW });
  await db.sql('grant create on schema public to scram_user, md5_user');
  gates = await startPlainAndTlsGates(db.url);
});

after(async () => {
  await gates?.close();
  await db?.destroy();
});

function psql(gate: Gate, args: string[], opts: { user?: string; password?: string; conn?: string; input?: string; onStart?: (pid: number) => void } = {}): Promise<Run> {
  const conn = `host=127.0.0.1 port=${gate.port} dbname=postgres user=${opts.user ?? 'postgres'} ${opts.conn ?? 'sslmode=disable'}`;
  const env: Record<string, string> = { PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'lg-psql' };
  if (opts.password) env.PGPASSWORD = opts.password;
  return run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', conn, ...args], { env, input: opts.input, onStart: opts.onStart });
}

// ---- psql -----------------------------------------------------------------------------------------

test('psql: local and upstream statements, \\d, \\dt', async (t) => {
  if (!have.psql) return t.skip('psql is not installed (Debian package postgresql-client)');
  const v = await psql(gates.plain, ['-At', '-c', 'SHOW lakegate.version']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), VERSION);
  const setup = await psql(gates.plain, ['-c', 'create table psql_items (id int primary key, name text not null, price numeric(8,2))']);
  assert.equal(setup.code, 0, setup.stderr);
  const d = await psql(gates.plain, ['-c', '\\d psql_items']);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stdout, /Table "public\.psql_items"/);
  assert.match(d.stdout, /id\s+\|\s+integer\s+\|\s+\|\s+not null/);
  assert.match(d.stdout, /price\s+\|\s+numeric\(8,2\)/);
  assert.match(d.stdout, /"psql_items_pkey" PRIMARY KEY, btree \(id\)/);
  const dt = await psql(gates.plain, ['-c', '\\dt']);
  assert.match(dt.stdout, /public \| psql_items \| table \| postgres/);
});

test('psql: COPY FROM STDIN in a script, COPY TO STDOUT, \\copy', async (t) => {
  if (!have.psql) return t.skip('psql is not installed (Debian package postgresql-client)');
  await db.sql('create table if not exists psql_copy (id int, name text)');
  const rows = Array.from({ length: 5000 }, (_, i) => `${i}\tname ${i}`).join('\n');
  const script = `COPY psql_copy FROM STDIN;\n${rows}\n\\.\nSHOW lakegate.version;\nselect count(*) from psql_copy;\n`;
  const r = await psql(gates.plain, ['-At', '-f', '-'], { input: script });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['COPY 5000', VERSION, '5000']);
  const out = await psql(gates.plain, ['-c', 'COPY (select id, name from psql_copy where id < 3 order by id) TO STDOUT']);
  assert.equal(out.stdout, '0\tname 0\n1\tname 1\n2\tname 2\n');
  const cp = await psql(gates.plain, ['-c', '\\copy psql_copy from stdin'], { input: '9001\tvia copy\n\\.\n' });
  assert.equal(cp.code, 0, cp.stderr);
  assert.equal((await db.sql('select name from psql_copy where id = 9001')).rows[0].name, 'via copy');
});

test('psql: errors are reported with Postgres\' message and psql\'s exit codes', async (t) => {
  if (!have.psql) return t.skip('psql is not installed (Debian package postgresql-client)');
  const e = await psql(gates.plain, ['-c', 'select 1/0']);
  assert.equal(e.code, 1);
  assert.match(e.stderr, /ERROR:\s+division by zero/);
  const script = await psql(gates.plain, ['-f', '-'], { input: 'select 1;\nselect * from no_such_table;\nselect 2;\n' });
  assert.equal(script.code, 3, 'ON_ERROR_STOP stops the script');
  assert.match(script.stderr, /relation "no_such_table" does not exist/);
  const local = await psql(gates.plain, ['-c', 'SHOW lakegate.nonsense']);
  assert.equal(local.code, 1);
  assert.match(local.stderr, /ERROR:.*lakegate\.nonsense/);
});

test('psql: SCRAM with PGPASSWORD, and a wrong password', async (t) => {
  if (!have.psql) return t.skip('psql is not installed (Debian package postgresql-client)');
  const ok = await psql(gates.plain, ['-At', '-c', 'select current_user'], { user: 'scram_user', password: SCRAM_PW });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'scram_user');
  const bad = await psql(gates.plain, ['-c', 'select 1'], { user: 'scram_user', password: 'wrong' });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /password authentication failed for user "scram_user"/);
  assert.doesNotMatch(bad.stderr, /lakegate: lost connection/, 'no second FATAL after the upstream one');
  const md5 = await psql(gates.plain, ['-At', '-c', 'select current_user'], { user: 'md5_user', password: MD5_PW });
  assert.equal(md5.stdout.trim(), 'md5_user', md5.stderr);
});

test('psql: sslmode=require and verify-full against the test certificate', async (t) => {
  if (!have.psql) return t.skip('psql is not installed (Debian package postgresql-client)');
  const r = await psql(gates.secure, ['-c', '\\conninfo', '-c', 'SHOW lakegate.version'], { user: 'scram_user', password: SCRAM_PW, conn: 'sslmode=require' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /SSL connection \(protocol: TLSv1\.[23]/);
  assert.match(r.stdout, new RegExp(VERSION.replace(/\./g, '\\.')));
  const vf = await run('psql', ['-X', '-At', '-c', 'select 1', '-d', `host=localhost port=${gates.secure.port} dbname=postgres user=postgres sslmode=verify-full sslrootcert=${gates.cert.certFile}`], {
    env: { PGCONNECT_TIMEOUT: '10' },
  });
  assert.equal(vf.code, 0, vf.stderr);
  assert.equal(vf.stdout.trim(), '1');
  const refused = await psql(gates.plain, ['-c', 'select 1'], { conn: 'sslmode=require' });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /does not support SSL/i);
});

test('psql: Ctrl-C cancels a running query (CancelRequest via lakegate)', async (t) => {
  if (!have.psql) return t.skip('psql is not installed (Debian package postgresql-client)');
  const started = Date.now();
  const r = await psql(gates.plain, ['-c', 'select pg_sleep(30)'], {
    onStart: (pid) =>
      void (async () => {
        // press Ctrl-C once the statement runs upstream (a cancel that arrives earlier is lost)
        for (let i = 0; i < 400; i++) {
          const q = await db.sql(`select count(*)::int as n from pg_stat_activity where application_name = 'lg-psql' and state = 'active' and query like '%pg_sleep(30)%'`);
          if (q.rows[0].n > 0) break;
          await new Promise((w) => setTimeout(w, 25));
        }
        process.kill(pid, 'SIGINT');
      })(),
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /canceling statement due to user request/);
  assert.ok(Date.now() - started < 10000);
});

// ---- pgjdbc -----------------------------------------------------------------------------------------

const JDBC_MIXED = 'local statement inside a transaction (batched with BEGIN, after a closed portal)';
let jdbcRun: Promise<Run> | null = null;

/** JdbcCheck.java over TLS with SCRAM, run once; its checks are asserted by the tests below. */
function jdbc(): Promise<Run> {
  const url = `jdbc:postgresql://127.0.0.1:${gates.secure.port}/postgres?sslmode=require&connectTimeout=10`;
  jdbcRun ??= run('java', ['-cp', JDBC_JAR, join(repoRoot(), 'test/clients/JdbcCheck.java'), url, 'scram_user', SCRAM_PW, VERSION], { timeoutMs: 110000 });
  return jdbcRun;
}

function checks(r: Run): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(OK|FAIL) ([^:]+)(?::\s*(.*))?$/.exec(line);
    if (m) out.set(m[2]!.trim(), m[1] === 'OK' ? 'OK' : `FAIL: ${m[3] ?? ''}`);
  }
  return out;
}

test('pgjdbc over TLS with SCRAM: prepared statements, setFetchSize in a transaction, metadata, errors, cancel', { timeout: 120000 }, async (t) => {
  if (!have.java) return t.skip(`java or ${JDBC_JAR} is missing (Debian packages default-jre-headless, libpostgresql-jdbc-java)`);
  const r = await jdbc();
  t.diagnostic(r.stdout.trim().replace(/\n/g, ' | '));
  const got = checks(r);
  const want = [
    'connect',
    'prepared statement with parameters',
    'prepared statements reused past prepareThreshold, upstream and local',
    'DDL, batch insert',
    'setFetchSize inside a transaction (portal suspended and resumed)',
    'metadata',
    'errors keep the connection usable',
    'Statement.cancel (CancelRequest through lakegate)',
  ];
  for (const name of want) assert.equal(got.get(name), 'OK', `${name}\n${r.stdout}\n${r.stderr}`);
});

test('pgjdbc: a local statement inside a transaction, batched with BEGIN or a portal Close', { timeout: 120000 }, async (t) => {
  if (!have.java) return t.skip(`java or ${JDBC_JAR} is missing (Debian packages default-jre-headless, libpostgresql-jdbc-java)`);
  const got = checks(await jdbc());
  assert.equal(got.get(JDBC_MIXED), 'OK');
});

// ---- psycopg2 ---------------------------------------------------------------------------------------

test('psycopg2 with md5: parameters, implicit transactions, COPY, named cursor, notices, errors, NOTIFY, cancel', { timeout: 60000 }, async (t) => {
  if (!have.psycopg2) return t.skip(`${PYTHON} cannot import psycopg2 (Debian package python3-psycopg2)`);
  const dsn = `host=127.0.0.1 port=${gates.plain.port} dbname=postgres user=md5_user password=${MD5_PW} sslmode=disable connect_timeout=10`;
  const r = await run(PYTHON, [join(repoRoot(), 'test/clients/psycopg2_check.py'), dsn, VERSION], { timeoutMs: 55000 });
  t.diagnostic(r.stdout.trim().replace(/\n/g, ' | '));
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('OK ')).length, 9, r.stdout);
});
