// Freshness: how long after a commit is acknowledged does another session see the row in the mirror?
//
// One Postgres (synchronous_commit on by default, as in production: the commit is in the WAL the walsender
// reads when the client gets its ack), lakegate in front of it (freshness strict), table fresh_events mirrored
// as fresh_events_iceberg. While pgbench inserts one row per transaction at --rate commits/s (--clients
// connections, straight to Postgres or through lakegate: --writer-via), a probe loops: on connection A
// (through lakegate) INSERT a marker row and take the time the commit is acknowledged; at once, on connection B
// (through lakegate), `SELECT count(*) FROM fresh_events_iceberg WHERE id = <marker>` until it counts 1.
// commit-to-visible = (time B's answer arrives) − (time A's commit ack arrived); it includes B's whole query
// (also measured alone, without load, as a reference). added wait = the part of it that read-your-writes adds:
// how long B's query stood still waiting for the mirror to reach upstream's WAL position, as lakegate reports it
// right after (`SHOW lakegate.freshness_wait`). Under strict freshness B must see the marker on its first query:
// the first-try rate is reported and must be 100%.
// Target: p99 added wait ≤ --target ms; the commit-to-visible percentiles are printed beside it.
//   npm run bench -- freshness [--rate=5000] [--duration=30] [--writer-via=lakegate] [--freshness=snapshot]
// --freshness=snapshot runs the same probe without the strict wait: no query waits, B queries again until the
// marker shows, and commit-to-visible (replication lag plus the probe query's own time) is the figure the
// target is checked on.
import os from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { startPostgres } from '../test/helpers/postgres.js';
import { readOptions } from './lib/options.js';
import { cleanupAll, onCleanup } from './lib/processes.js';
import { startLakegateProcess } from './lib/lakegate.js';
import { cpuProfileEnv } from './lib/cpu-profile.js';
import { findPgbench, pgbenchRun, type Endpoint, type PgbenchResult } from './lib/pgbench.js';
import { percentile } from './lib/percentiles.js';
import { median, table } from './lib/stats.js';
import { connectClient, queryText } from './lib/text-rows.js';

const DEFAULTS = {
  rate: 5000, // background commits/s (pgbench -R)
  clients: 8, // pgbench connections
  duration: 30, // seconds of probing under load
  'writer-via': 'postgres', // postgres | lakegate: where pgbench connects
  'probe-gap': 5, // ms between probes
  'synchronous-commit': 'on',
  threads: 2, // DuckDB threads
  freshness: 'strict', // lakegate's freshness mode (snapshot: no wait, the first query may miss the marker)
  target: 20, // ms: p99 of the added wait
  'cpu-prof': '', // directory: record a CPU profile of lakegate there (bench/lib/cpu-profile.ts)
};

const say = (s: string) => process.stdout.write(s + '\n');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Probe {
  /** ack of the marker's commit → first answer that counted it */
  visibleMs: number;
  /** how long that answer's query waited for freshness inside lakegate (SHOW lakegate.freshness_wait) */
  waitMs: number;
  /** queries B needed */
  tries: number;
  /** the marker INSERT's own round trip */
  commitMs: number;
}

/** user + system CPU seconds of a process so far (Linux /proc; utime and stime in clock ticks, USER_HZ = 100) */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function waitForMirror(c: pg.Client, mirror: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.query<{ state: string; error: string | null }>(
      `SELECT state, error FROM mooncake.columnstore_tables WHERE "table" = $1`,
      [`public.${mirror}`],
    );
    const row = r.rows[0];
    if (row?.state === 'failed') throw new Error(`mirror ${mirror} failed: ${row.error}`);
    if (row?.state === 'ready') {
      // the registry says ready a moment before lakegate's router knows the mirror: wait until it answers
      try {
        await c.query(`SELECT 1 FROM ${mirror} LIMIT 0`);
        return;
      } catch {
        // not yet routed to the engine
      }
    }
    if (Date.now() > deadline) throw new Error(`mirror ${mirror} not answering after ${timeoutMs / 1000} s (${row?.state})`);
    await sleep(100);
  }
}

/** One marker: commit on `a`, then query on `b` until it is visible. */
async function probeOnce(a: pg.Client, b: pg.Client, timeoutMs: number): Promise<Probe> {
  const t0 = performance.now();
  const ins = await a.query<{ id: string }>(`INSERT INTO fresh_events (writer, payload) VALUES (0, 'marker') RETURNING id::text AS id`);
  const acked = performance.now();
  const id = ins.rows[0]!.id;
  let tries = 0;
  for (;;) {
    tries++;
    const r = await queryText(b, `SELECT count(*) FROM fresh_events_iceberg WHERE id = ${id}`);
    if (r.rows[0]?.[0] === '1') {
      const visibleMs = performance.now() - acked;
      const w = (await queryText(b, 'SHOW lakegate.freshness_wait')).rows[0]?.[0] ?? '';
      const waitMs = parseFloat(w);
      if (!Number.isFinite(waitMs)) throw new Error(`SHOW lakegate.freshness_wait gave ${JSON.stringify(w)}`);
      return { visibleMs, waitMs, tries, commitMs: acked - t0 };
    }
    if (performance.now() - acked > timeoutMs) throw new Error(`marker ${id} not visible after ${timeoutMs} ms (${tries} queries)`);
  }
}

export async function run(args: string[]): Promise<boolean> {
  const o = readOptions(args, DEFAULTS);
  // output piped into a reader that quits (| head): stop our processes instead of dying with them running
  process.stdout.once('error', () => void cleanupAll().finally(() => process.exit(1)));
  if (!['postgres', 'lakegate'].includes(o['writer-via'])) throw new Error(`--writer-via must be postgres or lakegate`);
  if (!['strict', 'snapshot'].includes(o.freshness)) throw new Error(`--freshness must be strict or snapshot`);
  const strict = o.freshness === 'strict';
  for (const k of ['clients', 'duration', 'threads'] as const) if (!Number.isInteger(o[k])) throw new Error(`--${k} must be a whole number`);
  const pgbench = findPgbench();
  say(`freshness benchmark: marker commit → visible in the mirror from another session, freshness ${o.freshness}, ` +
    `${o.duration} s under ${o.rate} commits/s (pgbench, ${o.clients} connections via ${o['writer-via']})`);
  say(`machine: ${os.cpus().length} CPU(s), node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const dir = mkdtempSync(join(tmpdir(), 'lakegate-freshness-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const pgs = await startPostgres({ settings: { synchronous_commit: o['synchronous-commit'] } });
    onCleanup(() => pgs.destroy());
    const direct = await connectClient({ host: '127.0.0.1', port: pgs.port, user: 'postgres', database: 'postgres' });
    onCleanup(() => direct.end().catch(() => {}));
    const settings = (await direct.query<{ s: string }>(
      `SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) AS s FROM pg_settings
        WHERE name IN ('server_version', 'synchronous_commit', 'fsync', 'wal_writer_delay')`,
    )).rows[0]!.s;
    say(`Postgres on port ${pgs.port} (${settings})`);
    await direct.query(`CREATE TABLE fresh_events (id bigserial PRIMARY KEY, writer int NOT NULL, payload text NOT NULL, created timestamptz NOT NULL DEFAULT now())`);

    const gate = await startLakegateProcess(pgs.url, {
      LAKEGATE_FRESHNESS: o.freshness,
      LAKEGATE_DUCKDB_THREADS: String(o.threads),
      ...(o['cpu-prof'] ? cpuProfileEnv(o['cpu-prof']) : {}),
    });
    const cfg = { host: '127.0.0.1', port: gate.port, user: 'postgres', database: 'postgres' };
    const a = await connectClient(cfg);
    const b = await connectClient(cfg);
    onCleanup(() => a.end().catch(() => {}));
    onCleanup(() => b.end().catch(() => {}));
    await a.query(`CALL mooncake.create_table('fresh_events_iceberg', 'fresh_events')`);
    await waitForMirror(a, 'fresh_events_iceberg', 120_000);
    say(`lakegate on port ${gate.port} (freshness ${o.freshness}, default flush settings); mirror fresh_events_iceberg ready`);

    // reference: the probe's query alone, nothing written, nothing to wait for
    await a.query(`INSERT INTO fresh_events (writer, payload) VALUES (0, 'warm-up')`);
    for (let i = 0; i < 20; i++) await probeOnce(a, b, 10_000);
    const idle: Probe[] = [];
    for (let i = 0; i < 100; i++) idle.push(await probeOnce(a, b, 10_000));
    const lone: number[] = [];
    for (let i = 0; i < 100; i++) lone.push((await queryText(b, `SELECT count(*) FROM fresh_events_iceberg WHERE id = 1`)).ms);
    say(`without load: probe query alone p50 ${f2(median(lone))} ms; marker commit-to-visible p50 ${f2(median(idle.map((p) => p.visibleMs)))} ms, ` +
      `p99 ${f2(percentile(idle.map((p) => p.visibleMs), 99))} ms; added wait p50 ${f2(median(idle.map((p) => p.waitMs)))} ms, ` +
      `p99 ${f2(percentile(idle.map((p) => p.waitMs), 99))} ms`);

    // background load
    const script = join(dir, 'insert.sql');
    writeFileSync(script, `INSERT INTO fresh_events (writer, payload) VALUES (:client_id + 1, 'background row from pgbench, about sixty bytes long');\n`);
    const endpoint: Endpoint = { host: '127.0.0.1', port: o['writer-via'] === 'lakegate' ? gate.port : pgs.port, user: 'postgres', database: 'postgres' };
    const warm = 3;
    const loadSeconds = o.duration + warm + 2;
    const load: Promise<PgbenchResult> = pgbenchRun(pgbench, endpoint, [
      '-n', '-f', script, '-c', String(o.clients), '-j', String(Math.min(2, o.clients)), '-R', String(o.rate), '-T', String(loadSeconds),
    ]);
    let loadError: unknown = null;
    load.catch((e) => {
      loadError = e;
    });
    await sleep(warm * 1000);
    const cpu0 = cpuSeconds(gate.child.pid!);
    const pg0 = Number((await direct.query<{ n: string }>(`SELECT count(*)::text AS n FROM fresh_events`)).rows[0]!.n);
    const start = performance.now();
    const probes: Probe[] = [];
    const failures: string[] = [];
    while (performance.now() - start < o.duration * 1000 && !loadError) {
      try {
        probes.push(await probeOnce(a, b, 15_000));
      } catch (e) {
        failures.push((e as Error).message);
        if (failures.length > 20) break;
      }
      await sleep(o['probe-gap']);
    }
    const seconds = (performance.now() - start) / 1000;
    const cpu = (cpuSeconds(gate.child.pid!) - cpu0) / seconds;
    const pg1 = Number((await direct.query<{ n: string }>(`SELECT count(*)::text AS n FROM fresh_events`)).rows[0]!.n);
    const bg = await load;
    const lag = (await direct.query<{ s: string | null }>(
      `SELECT state || ', lag ' || coalesce(pg_size_pretty(lag_bytes), '-') || ', ' || row_count || ' rows' AS s FROM mooncake.columnstore_tables`,
    )).rows[0]?.s;

    const added = probes.map((p) => p.waitMs);
    const visible = probes.map((p) => p.visibleMs);
    const row = (name: string, xs: number[]) => [name, String(xs.length), f2(percentile(xs, 50)), f2(percentile(xs, 90)), f2(percentile(xs, 99)), f2(Math.max(...xs))];
    const first = probes.filter((p) => p.tries === 1).length;
    say('');
    say(`background: pgbench ${Math.round(bg.tps).toLocaleString('en-US')} commits/s (asked ${o.rate}), latency avg ${f2(bg.latencyMs)} ms, ` +
      `${bg.failed} failed; ${Math.round((pg1 - pg0) / seconds).toLocaleString('en-US')} rows/s arrived while probing`);
    say(`lakegate process CPU while probing: ${(cpu * 100).toFixed(0)}% of one core; mirror after the run: ${lag}`);
    say('');
    say(table(['under load', 'probes', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], [
      row('commit-to-visible (answer − commit ack)', visible),
      row('added wait (the query waiting for freshness)', added),
      row('the query without that wait', probes.map((p) => p.visibleMs - p.waitMs)),
      row('marker commit round trip', probes.map((p) => p.commitMs)),
    ]));
    say('');
    say(`seen on the first query: ${first}/${probes.length} (${probes.length ? ((100 * first) / probes.length).toFixed(2) : '-'}%)` +
      `${probes.length > first ? `; most queries needed: ${Math.max(...probes.map((p) => p.tries))}` : ''}`);
    if (failures.length) say(`probe failures: ${failures.length} (first: ${failures[0]})`);
    say(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    say('');
    const loadOk = bg.tps >= 0.9 * o.rate && bg.failed === 0;
    if (!loadOk) say(`WARNING: the background load reached ${Math.round(bg.tps)} of ${o.rate} commits/s — the figures are for that load`);
    const p99 = percentile(strict ? added : visible, 99);
    const okP99 = probes.length > 0 && p99 <= o.target;
    const okFirst = probes.length > 0 && (!strict || first === probes.length) && failures.length === 0;
    say(`${okP99 ? 'PASS' : 'FAIL'}: p99 ${strict ? 'added wait' : 'commit-to-visible'} ≤ ${o.target} ms (${f2(p99)} ms over ${probes.length} probes; ` +
      `commit-to-visible p99 ${f2(percentile(visible, 99))} ms)`);
    say(`${okFirst ? 'PASS' : 'FAIL'}: every marker visible on the first query${strict ? '' : ' (not required: freshness snapshot)'} ` +
      `(${first}/${probes.length}, ${failures.length} failures)`);
    return okP99 && okFirst && loadOk;
  } finally {
    await cleanupAll();
  }
}
