// kill -9 at any moment: a mirror service in a child process is killed (SIGKILL from outside, or by itself at
// a failpoint: mid-copy, after the copy's commit, mid-apply, before/after a flush's Iceberg commit, after the
// swap) while a workload runs; a fresh process must resume so that the Iceberg table (read by ClickHouse) and
// the live view equal the source row for row — nothing lost, nothing applied twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { chRows, norm, pgRows } from './mirror-helpers.js';

let server: TestPostgres;
const dirs: string[] = [];
const children = new Set<Child>();

before(async () => {
  server = await startPostgres();
});

after(async () => {
  for (const c of children) c.kill();
  await server?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const here = fileURLToPath(import.meta.url);
const childScript = join(dirname(here), here.endsWith('.ts') ? 'mirror-child.ts' : 'mirror-child.js');

class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiting = new Map<number, (v: any) => void>();
  private nextId = 1;
  private ready!: () => void;
  readonly started = new Promise<void>((r) => (this.ready = r));
  log = '';

  constructor(env: Record<string, string>) {
    const args = here.endsWith('.ts') ? ['--import', 'tsx', childScript] : [childScript];
    this.proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(this);
    this.exited = new Promise((res) => this.proc.on('exit', (code, signal) => {
      children.delete(this);
      for (const w of this.waiting.values()) w({ ok: false, error: 'child exited' });
      this.waiting.clear();
      res({ code, signal });
    }));
    this.proc.stderr!.on('data', (d) => (this.log += d));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let m: any;
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.event === 'ready') this.ready();
      else if (m.id !== undefined) {
        this.waiting.get(m.id)?.(m);
        this.waiting.delete(m.id);
      }
    });
  }

  cmd(c: Record<string, unknown>): Promise<any> {
    const id = this.nextId++;
    return new Promise((res) => {
      this.waiting.set(id, res);
      this.proc.stdin!.write(JSON.stringify({ ...c, id }) + '\n');
    });
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}

interface Scenario {
  db: string;
  dir: string;
  client: pg.Client;
  env: Record<string, string>;
}

async function scenario(name: string, options: Record<string, unknown>): Promise<Scenario> {
  const db = `crash_${name.replace(/[^a-z0-9]/g, '_')}`;
  await server.sql(`CREATE DATABASE ${db}`);
  const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'postgres', database: db });
  await client.connect();
  const dir = mkdtempSync(join(tmpdir(), 'lg-crash-'));
  dirs.push(dir);
  await client.query(`CREATE TABLE t (id int PRIMARY KEY, v int, s text)`);
  await client.query(`CREATE TABLE nk (a int, b text)`);
  await client.query(`INSERT INTO t SELECT g, g, 's' || g FROM generate_series(1, 300) g`);
  await client.query(`INSERT INTO nk SELECT g % 7, 'b' || (g % 4) FROM generate_series(1, 100) g`);
  const env = {
    LG_PG_PORT: String(server.port),
    LG_DB: db,
    LG_WAREHOUSE: dir,
    LG_OPTIONS: JSON.stringify({ slot: `lg_${db}`, tickMs: 20, ackIntervalMs: 20, flushRows: 150, flushAgeMs: 5000, maintenanceIntervalMs: 0, ...options }),
    LAKEGATE_LOG_LEVEL: 'warn',
  };
  return { db, dir, client, env };
}

async function startChild(s: Scenario, failpoint?: string): Promise<Child> {
  const c = new Child({ ...s.env, ...(failpoint ? { LAKEGATE_FAILPOINT: failpoint } : {}) });
  await Promise.race([c.started, c.exited.then(() => { throw new Error(`child exited before ready: ${c.log.slice(-2000)}`); })]);
  return c;
}

/** a deterministic pseudo-random workload of small transactions on both tables */
async function workload(client: pg.Client, seed: number, txns: number, stop?: () => boolean): Promise<number> {
  let x = seed;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  let done = 0;
  for (; done < txns && !stop?.(); done++) {
    const id = 1 + rnd(600);
    switch (rnd(8)) {
      case 0: await client.query(`INSERT INTO t VALUES ($1, $2, 'i') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v`, [id, rnd(1000)]); break;
      case 1: await client.query(`UPDATE t SET v = v + 1, s = s || 'u' WHERE id = $1`, [id]); break;
      case 2: await client.query(`DELETE FROM t WHERE id = $1`, [id]); break;
      case 3: await client.query(`UPDATE t SET id = id + 10000 WHERE id = $1`, [id]); break;
      case 4:
        await client.query('BEGIN');
        await client.query(`INSERT INTO t SELECT g, 0, 'batch' FROM generate_series($1::int, $1::int + 20) g ON CONFLICT DO NOTHING`, [1000 + rnd(5000)]);
        await client.query(`DELETE FROM t WHERE id % 13 = $1 AND id < 300`, [rnd(13)]);
        await client.query('COMMIT');
        break;
      case 5: await client.query(`INSERT INTO nk VALUES ($1, 'w'), ($1, 'w')`, [rnd(7)]); break;
      case 6: await client.query(`DELETE FROM nk WHERE ctid = (SELECT ctid FROM nk WHERE a = $1 LIMIT 1)`, [rnd(7)]); break;
      case 7: await client.query(`UPDATE nk SET b = b || 'x' WHERE ctid = (SELECT ctid FROM nk WHERE a = $1 LIMIT 1)`, [rnd(7)]); break;
    }
  }
  return done;
}

async function waitState(client: pg.Client, state: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await client.query(`SELECT count(*) FILTER (WHERE state <> $1) AS n FROM mooncake.mirrors`, [state]);
    if (Number(r.rows[0].n) === 0) return;
    if (Date.now() > deadline) throw new Error(`mirrors not ${state}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function insertLsn(client: pg.Client): Promise<string> {
  const r = await client.query(`SELECT pg_current_wal_insert_lsn()::text AS l`);
  const [hi, lo] = (r.rows[0].l as string).split('/');
  return ((BigInt('0x' + hi) << 32n) | BigInt('0x' + lo!)).toString();
}

/** restart cleanly, catch up, flush, and compare Iceberg (ClickHouse) and the live view with the source */
async function verify(s: Scenario): Promise<void> {
  const c = await startChild(s);
  try {
    await waitState(s.client, 'ready');
    const w = await c.cmd({ cmd: 'wait', lsn: await insertLsn(s.client) });
    assert.ok(w.ok, 'caught up');
    const f = await c.cmd({ cmd: 'flush' });
    assert.ok(f.ok, `flush: ${f.error}`);
    const status = await c.cmd({ cmd: 'status' });
    const byName = new Map<string, any>(status.mirrors.map((m: any) => [m.name, m]));
    const tMirror = byName.get('public.t_iceberg');
    const nkMirror = byName.get('public.nk_iceberg');
    assert.ok(tMirror && nkMirror, 'both mirrors live');
    const srcT = await pgRows(s.client, `SELECT id, v, s FROM t`);
    const srcNk = await pgRows(s.client, `SELECT a, b FROM nk`);
    assert.deepEqual(chRows(tMirror.location, `SELECT id, v, s FROM $TABLE`), srcT, 'Iceberg t == source');
    assert.deepEqual(chRows(nkMirror.location, `SELECT a, b FROM $TABLE`), srcNk, 'Iceberg nk == source');
    const rows = await c.cmd({ cmd: 'rows', mirror: tMirror.id, sql: `SELECT id, v, s FROM $VIEW` });
    assert.deepEqual(rows.rows.map((r: unknown[]) => JSON.stringify(r.map(norm))).sort(), srcT, 'view t == source');
    const reg = await s.client.query(`SELECT state, flush_lsn IS NOT NULL AS f, row_count FROM mooncake.mirrors WHERE mirror_name = 't_iceberg'`);
    assert.equal(reg.rows[0].state, 'ready');
    assert.equal(Number(reg.rows[0].row_count), srcT.length, 'registry row_count');
  } finally {
    await c.cmd({ cmd: 'stop' });
    await c.exited;
  }
}

async function createMirrors(s: Scenario): Promise<void> {
  await s.client.query(`CALL mooncake.create_table('t_iceberg', 't')`);
  await s.client.query(`CALL mooncake.create_table('nk_iceberg', 'nk')`);
}

/** run the workload until the child dies (or the workload ends); then more workload while it is down */
async function crashDuringWorkload(s: Scenario, child: Child, seed: number): Promise<void> {
  let dead = false;
  void child.exited.then(() => (dead = true));
  await workload(s.client, seed, 400, () => dead);
  if (!dead) {
    child.kill();
    await child.exited;
  }
  await freshRows(s.client, 30);
}

/** changes after a crash touch only new rows, so they cannot mask a change lost in the crash */
async function freshRows(client: pg.Client, n: number): Promise<void> {
  const base = 100_000 + Number((await client.query(`SELECT count(*) AS n FROM t WHERE id >= 100000`)).rows[0].n);
  for (let i = 0; i < n; i++) {
    await client.query(`INSERT INTO t VALUES ($1, $1, 'fresh')`, [base + i]);
    if (i % 5 === 0) await client.query(`INSERT INTO nk VALUES ($1, 'fresh')`, [100 + i]);
  }
}

test('SIGKILL from outside in the middle of the stream', async () => {
  const s = await scenario('sigkill', {});
  const c = await startChild(s);
  await createMirrors(s);
  await waitState(s.client, 'ready');
  // enough changes that some are applied and acknowledged-if-it-were-wrong but not flushed, then the kill
  await workload(s.client, 1, 120);
  await new Promise((r) => setTimeout(r, 400));
  c.kill();
  await freshRows(s.client, 40);
  const ex = await c.exited;
  assert.equal(ex.signal, 'SIGKILL');
  await verify(s);
  await s.client.end();
});

for (const fp of ['before-iceberg-commit@2', 'after-iceberg-commit@2', 'after-flush-swap@3', 'mid-apply@150']) {
  test(`failpoint ${fp}`, async () => {
    const s = await scenario(fp, {});
    const first = await startChild(s);
    await createMirrors(s);
    await waitState(s.client, 'ready');
    await first.cmd({ cmd: 'stop' });
    await first.exited;
    const c = await startChild(s, fp);
    await crashDuringWorkload(s, c, 7);
    const ex = await c.exited;

    assert.equal(ex.signal, 'SIGKILL', `the failpoint fired (${c.log.slice(-500)})`);
    await verify(s);
    await s.client.end();
  });
}

for (const fp of ['mid-copy@2', 'after-copy-commit']) {
  test(`failpoint ${fp} during the initial copy`, async () => {
    const s = await scenario(fp, { copyFileRows: 50 });
    const c = await startChild(s, fp);
    await createMirrors(s);
    const ex = await c.exited;
    assert.equal(ex.signal, 'SIGKILL', `the failpoint fired (${c.log.slice(-500)})`);
    await workload(s.client, 11, 60);
    await freshRows(s.client, 10);
    await verify(s);
    await s.client.end();
  });
}
