// The `lakegate` command as operators run it: --config FILE, LAKEGATE_<PATH> overrides, exit code 2 with
// one line naming the key on bad configuration, clean exit 0 on SIGTERM/SIGINT, and JSON logs with one
// id per connection that never contain a password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, type TestPostgres } from './helpers/postgres.js';
import { startPostgresWithPasswords } from './helpers/auth.js';
import { envWithoutLakegate, gateEnv, repoRoot, spawnGate, type SpawnedGate } from './helpers/lakegate.js';
import { loadConfig, ConfigError } from '../src/config/load.js';
import { SCHEMA, envName, type ConfigKey, type KeySpec } from '../src/config/schema.js';
import { VERSION } from '../src/version.js';

const SCRAM_PW = 'Pw-scram-7f3a91';
const MD5_PW = 'Pw-md5-c0ffee42';
const WRONG_PW = 'Pw-wrong-5e5e5e';
const UPSTREAM_PW = 'Pw-upstream-d00d';

let db: TestPostgres;
let dir: string;

before(async () => {
  db = await startPostgresWithPasswords({ scram: SCRAM_PW, md5: MD5_PW });
  dir = mkdtempSync(join(tmpdir(), 'lakegate-cli-test-'));
});

after(async () => {
  await db?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Base environment for a runnable gate against the test Postgres. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...gateEnv({ 'upstream.url': db.url, 'listen.port': 0, 'listen.oracle_port': 0, 'log.level': 'warn' }), ...extra };
}

async function connectTo(port: number, extra: pg.ClientConfig = {}): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', ...extra });
  c.on('error', () => {});
  await c.connect();
  return c;
}

async function withSpawned<T>(g: SpawnedGate, fn: (g: SpawnedGate) => Promise<T>): Promise<T> {
  try {
    return await fn(g);
  } finally {
    await g.close();
  }
}

/** Runs the CLI expecting a configuration failure: exit code 2 and exactly one line on stderr. */
async function configFailure(env: Record<string, string>, args: string[] = []): Promise<string> {
  const g = spawnGate(env, { args });
  return withSpawned(g, async () => {
    const { code } = await g.exited;
    const lines = g.stderr().split('\n').filter((l) => l.trim() !== '');
    assert.equal(code, 2, `exit code 2 (stderr: ${g.stderr()}, stdout: ${g.stdout()})`);
    assert.equal(lines.length, 1, `one line on stderr, got: ${JSON.stringify(g.stderr())}`);
    return lines[0]!;
  });
}

// ---- configuration ---------------------------------------------------------------------------------

/** A valid value for a key that differs from its default. */
function otherValue(key: string, spec: KeySpec): string {
  const t = spec.type;
  switch (t.kind) {
    case 'int':
      return String(spec.default === t.min + 1 ? t.min + 2 : t.min + 1);
    case 'bool':
      return String(!spec.default);
    case 'enum':
      return t.values.find((v) => v !== spec.default)!;
    case 'string':
      return `/tmp/value-for-${key}`;
  }
}

test('every key in the schema can be overridden by LAKEGATE_<PATH>', () => {
  const keys = Object.keys(SCHEMA) as ConfigKey[];
  assert.ok(keys.length >= 10);
  for (const key of keys) {
    const spec = (SCHEMA as Record<string, KeySpec>)[key]!;
    const env: Record<string, string> = { [envName(key)]: otherValue(key, spec) };
    // tls.cert and tls.key only make sense together
    if (key === 'tls.cert') env.LAKEGATE_TLS_KEY = '/tmp/k.pem';
    if (key === 'tls.key') env.LAKEGATE_TLS_CERT = '/tmp/c.pem';
    const cfg = loadConfig(undefined, env) as Record<string, unknown>;
    assert.equal(String(cfg[key]), env[envName(key)], `${envName(key)} sets ${key}`);
    assert.notEqual(cfg[key], spec.default, `${key} changed from its default`);
  }
  assert.equal(envName('upstream.connect_timeout_ms'), 'LAKEGATE_UPSTREAM_CONNECT_TIMEOUT_MS');
  assert.equal(envName('data_dir'), 'LAKEGATE_DATA_DIR');
});

test('nested YAML keys, and the environment wins over the file', () => {
  const f = file('nested.yaml', 'listen:\n  port: 7001\n  oracle_port: 0\nupstream:\n  url: postgres://u@h:1/d\n  connect_timeout_ms: 250\n');
  const cfg = loadConfig(f, { LAKEGATE_LISTEN_PORT: '7002' });
  assert.equal(cfg['listen.port'], 7002);
  assert.equal(cfg['listen.oracle_port'], 0);
  assert.equal(cfg['upstream.url'], 'postgres://u@h:1/d');
  assert.equal(cfg['upstream.connect_timeout_ms'], 250);
  assert.equal(cfg['listen.host'], SCHEMA['listen.host'].default);
  // dotted keys written flat are the same keys
  assert.equal(loadConfig(file('flat.yaml', "listen.port: 7003\n"), {})['listen.port'], 7003);
});

test('loadConfig errors are ConfigError with one line naming the key', () => {
  const cases: [Record<string, string>, string | undefined, RegExp][] = [
    [{ LAKEGATE_LISTEN_PORT: 'abc' }, undefined, /listen\.port/],
    [{ LAKEGATE_LISTEN_PORT: '70000' }, undefined, /listen\.port/],
    [{ LAKEGATE_LOG_LEVEL: 'loud' }, undefined, /log\.level/],
    [{ LAKEGATE_UPSTREAM_CONNECT_TIMEOUT_MS: '5' }, undefined, /upstream\.connect_timeout_ms/],
    [{ LAKEGATE_LISTEN_PROT: '1' }, undefined, /LAKEGATE_LISTEN_PROT/],
    [{ LAKEGATE_TLS_CERT: '/tmp/c.pem' }, undefined, /tls\.key/],
    [{}, file('unknown.yaml', 'listen:\n  prot: 1\n'), /listen\.prot/],
    [{}, file('badval.yaml', 'upstream:\n  oracle_port: -1\n'), /upstream\.oracle_port/],
    [{}, file('badtype.yaml', 'listen:\n  host: [a, b]\n'), /listen\.host/],
  ];
  for (const [env, f, re] of cases) {
    assert.throws(
      () => loadConfig(f, env),
      (e: unknown) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'),
      `${JSON.stringify(env)} ${f ?? ''}`,
    );
  }
});

test('CLI: a bad value or an unknown key exits with code 2 and one line naming it', { timeout: 60000 }, async () => {
  const missing = join(dir, 'does-not-exist.yaml');
  const cases: { env: Record<string, string>; args?: string[]; want: RegExp }[] = [
    { env: baseEnv({ LAKEGATE_LISTEN_PORT: 'abc' }), want: /listen\.port/ },
    { env: baseEnv({ LAKEGATE_LOG_LEVEL: 'chatty' }), want: /log\.level/ },
    { env: baseEnv({ LAKEGATE_LISTEN_PROT: '1' }), want: /LAKEGATE_LISTEN_PROT/ },
    { env: baseEnv(), args: ['--config', file('cli-unknown.yaml', 'upstream:\n  urll: x\n')], want: /upstream\.urll/ },
    { env: baseEnv(), args: ['--config', file('cli-range.yaml', 'listen:\n  oracle_port: 99999\n')], want: /listen\.oracle_port/ },
    { env: baseEnv(), args: ['--config', file('cli-broken.yaml', 'listen: [\n')], want: /cli-broken\.yaml/ },
    { env: baseEnv(), args: ['--config', missing], want: /does-not-exist\.yaml/ },
    { env: baseEnv({ LAKEGATE_UPSTREAM_URL: 'mysql://x@y/z' }), want: /upstream\.url/ },
    { env: baseEnv({ LAKEGATE_TLS_CERT: join(dir, 'nope.pem'), LAKEGATE_TLS_KEY: join(dir, 'nope.key') }), want: /tls\.cert/ },
    { env: baseEnv(), args: ['--frobnicate'], want: /--frobnicate/ },
  ];
  const lines = await Promise.all(cases.map((c) => configFailure(c.env, c.args)));
  lines.forEach((line, i) => assert.match(line, cases[i]!.want, `case ${i}: ${line}`));
});

test('CLI: a listen port already in use exits with code 2 naming listen.port', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (blocker.address() as net.AddressInfo).port;
    const line = await configFailure(baseEnv({ LAKEGATE_LISTEN_PORT: String(port) }));
    assert.match(line, /listen\.port/);
  } finally {
    blocker.close();
  }
});

test('CLI: --config FILE is used, the environment overrides it, and clients get through', async () => {
  const envPort = await freePort();
  const f = file('run.yaml', `listen:\n  host: 127.0.0.1\n  port: ${await freePort()}\n  oracle_port: 0\nupstream:\n  url: ${db.url}\nlog:\n  level: warn\n`);
  await withSpawned(spawnGate({ LAKEGATE_LISTEN_PORT: String(envPort) }, { args: ['--config', f] }), async (g) => {
    assert.equal(await g.ready, envPort);
    const c = await connectTo(envPort);
    assert.equal((await c.query('SHOW lakegate.version')).rows[0]['lakegate.version'], VERSION);
    assert.equal((await c.query('select $1::int * 3 as n', [14])).rows[0].n, 42);
    await c.end();
  });
  // LAKEGATE_CONFIG names the file too
  await withSpawned(spawnGate({ LAKEGATE_CONFIG: f, LAKEGATE_LISTEN_PORT: '0' }), async (g) => {
    const port = await g.ready;
    const c = await connectTo(port);
    assert.equal((await c.query('select 1 as one')).rows[0].one, 1);
    await c.end();
  });
});

test("CLI: the repository's config.yaml starts lakegate (with the upstream and ports overridden)", async () => {
  const f = join(repoRoot(), 'config.yaml');
  await withSpawned(spawnGate(baseEnv(), { args: ['--config', f] }), async (g) => {
    const c = await connectTo(await g.ready);
    assert.equal((await c.query('select 2 as two')).rows[0].two, 2);
    await c.end();
  });
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`CLI: ${signal} closes sessions cleanly and exits 0 within seconds`, { timeout: 30000 }, async () => {
    const g = spawnGate(baseEnv());
    await withSpawned(g, async () => {
      const port = await g.ready;
      const idle = await connectTo(port, { application_name: 'lg-signal-idle' });
      const gotError = new Promise<any>((resolve) => idle.once('error', resolve));
      const busy = await connectTo(port);
      const sleeping = busy.query('select pg_sleep(30)').then(
        () => null,
        (e: any) => e,
      );
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      g.child.kill(signal);
      const { code, signal: by } = await g.exited;
      const ms = Date.now() - started;
      const e = await Promise.race([gotError, new Promise<any>((r) => setTimeout(() => r({ message: 'no error event' }), 2000))]);
      const se = await sleeping;
      assert.equal(e.code, '57P01', `idle client told why: ${e.message}`);
      assert.ok(se, 'the running query ended with an error');
      assert.equal(code, 0, `exit code 0 (signal ${by}); stderr: ${g.stderr()}`);
      assert.ok(ms < 5000, `exited after ${ms} ms`);
      await assert.rejects(connectTo(port), /ECONNREFUSED/);
      assert.equal(g.stderr().trim(), '');
      // the idle session's upstream backend is gone (a running pg_sleep only notices at its end, as with any client)
      const deadline = Date.now() + 5000;
      for (;;) {
        const n = (await db.sql(`select count(*)::int as n from pg_stat_activity where application_name = 'lg-signal-idle'`)).rows[0].n;
        if (n === 0) break;
        assert.ok(Date.now() < deadline, `${n} upstream backends left after shutdown`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
  });
}

// The README's quick start runs lakegate as `npm start`; a supervisor stopping it signals npm, not lakegate.
test('npm start: embedded Postgres 18 with wal_level=logical; SIGTERM to npm stops lakegate and the embedded Postgres', { timeout: 180000 }, async () => {
  const data = mkdtempSync(join(tmpdir(), 'lakegate-npm-start-'));
  // as root the embedded Postgres runs as user postgres, which must be able to enter the data dir
  chmodSync(data, 0o755);
  const port = await freePort();
  const pgPort = await freePort();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: repoRoot(),
    env: {
      ...envWithoutLakegate(),
      ...gateEnv({ data_dir: data, 'listen.port': port, 'listen.oracle_port': 0, 'embedded.port': pgPort, 'log.level': 'warn' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group: a failed test can stop npm, lakegate and the embedded Postgres together
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  try {
    const deadline = Date.now() + 150000;
    while (!out.includes('lakegate is ready')) {
      assert.ok(child.exitCode === null, `npm start exited early: ${out}`);
      assert.ok(Date.now() < deadline, `not ready: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, new RegExp(`psql "host=127\\.0\\.0\\.1 port=${port} user=postgres dbname=postgres"`));
    const c = await connectTo(port);
    const r = await c.query("select current_setting('server_version_num')::int / 10000 as major, current_setting('wal_level') as wal");
    assert.deepEqual(r.rows[0], { major: 18, wal: 'logical' });
    await c.end();
    const started = Date.now();
    child.kill('SIGTERM');
    const { code } = await exited;
    assert.equal(code, 0, `npm start exit code (output: ${out})`);
    assert.ok(Date.now() - started < 15000, `stopped after ${Date.now() - started} ms`);
    await assert.rejects(connectTo(port), /ECONNREFUSED/);
    await assert.rejects(connectTo(pgPort), /ECONNREFUSED/, 'the embedded Postgres stopped');
    assert.ok(!existsSync(join(data, 'postgres', 'postmaster.pid')), 'no postmaster.pid left');
  } finally {
    // whatever of the group is left (nothing, when the test passed)
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // ESRCH: the group is gone
    }
    rmSync(data, { recursive: true, force: true });
  }
});

// ---- logs ----------------------------------------------------------------------------------------

test('logs: pino JSON, one id per connection, never a password', { timeout: 30000 }, async () => {
  const url = db.url.replace('postgres@', `postgres:${UPSTREAM_PW}@`);
  const g = spawnGate(baseEnv({ LAKEGATE_UPSTREAM_URL: url, LAKEGATE_LOG_LEVEL: 'trace' }));
  await withSpawned(g, async () => {
    const port = await g.ready;
    const scram = await connectTo(port, { user: 'scram_user', password: SCRAM_PW });
    await scram.query('select $1::text as p', [SCRAM_PW.split('').reverse().join('')]);
    const md5 = await connectTo(port, { user: 'md5_user', password: MD5_PW });
    await md5.query('SHOW lakegate.version');
    await assert.rejects(connectTo(port, { user: 'scram_user', password: WRONG_PW }), (e: any) => e.code === '28P01');
    await assert.rejects(connectTo(port, { user: 'md5_user', password: WRONG_PW }), (e: any) => e.code === '28P01');
    // a cleartext password message, as a misconfigured client might send it unasked
    const raw = net.connect({ port, host: '127.0.0.1' });
    await new Promise((r) => raw.once('connect', r));
    raw.on('error', () => {});
    const pw = Buffer.from(`${WRONG_PW}\0`);
    const startup = Buffer.from('\0\0\0\0\0\x03\0\0user\0postgres\0\0', 'latin1');
    startup.writeInt32BE(startup.length);
    const len = Buffer.alloc(4);
    len.writeInt32BE(pw.length + 4);
    raw.write(Buffer.concat([startup, Buffer.from('p'), len, pw]));
    await new Promise((r) => setTimeout(r, 300));
    raw.destroy();
    await scram.end();
    await md5.end();
    await new Promise((r) => setTimeout(r, 300));
    g.child.kill('SIGTERM');
    assert.equal((await g.exited).code, 0);

    const out = g.stdout();
    const all = out + g.stderr();
    for (const secret of [SCRAM_PW, MD5_PW, WRONG_PW, UPSTREAM_PW]) {
      assert.ok(!all.includes(secret), `password ${secret} appears in the output`);
    }
    // every stdout line is a JSON record, except the two-line "ready" banner meant for people
    const lines = out.split('\n').filter((l) => l !== '');
    const other = lines.filter((l) => !l.startsWith('{'));
    assert.ok(other.length <= 2 && other.every((l) => /lakegate is ready|psql "host=/.test(l)), `non-JSON lines: ${JSON.stringify(other)}`);
    const logs = g.logs();
    assert.ok(logs.length >= 5, `${logs.length} log records`);
    for (const r of logs) {
      assert.equal(typeof r.level, 'number');
      assert.equal(typeof r.time, 'number');
      assert.equal(typeof r.msg, 'string');
    }
    // each client connection has its own id, carried by every record about it
    const ids = new Set(logs.filter((r) => r.conn !== undefined).map((r) => r.conn));
    assert.ok(ids.size >= 5, `distinct connection ids: ${[...ids].join(',')}`);
    const started = logs.filter((r) => r.msg === 'session started');
    assert.equal(new Set(started.map((r) => r.conn)).size, started.length, 'one id per session');
  });
});
