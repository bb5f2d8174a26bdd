// CDC apply rate: how fast lakegate (a separate `node dist/src/main.js` process) turns pgoutput into mirror
// rows, next to a raw pgoutput consumer that decodes nothing, on the same WAL in the same run.
//
// Per variant (large transactions / many small ones), one fresh Postgres for the whole run:
//  * backlog phase: lakegate is frozen (SIGSTOP) while N rows are loaded, so its slot faces a backlog. The raw
//    consumer (src/cdc consumeRaw: CopyData counted, nothing decoded) reads the same WAL range from its own
//    slot; optionally the full decoder (consumeDecoded) too. Then lakegate is continued (SIGCONT) and timed
//    until a strict-freshness read through it returns (= every loaded row applied, flushes included), and the raw
//    consumer reads the range once more. Same walsender work, same WAL, one after the other on an otherwise idle
//    Postgres: lakegate's rate / the raw consumer's (mean of its two runs) is the figure of merit. lakegate's CPU
//    time per row (all threads, /proc) is reported too: it varies far less than wall time on a shared machine.
//  * live phase: N more rows while lakegate runs; its freshness lag is sampled during the load, and the
//    end-to-end lag is the time from the last COMMIT to the moment a strict read sees it.
// Target: lakegate ≥ 0.9× the raw rate in every variant.
import os from 'node:os';
import type pg from 'pg';
import { startPostgres } from '../test/helpers/postgres.js';
import { consumeDecoded, consumeRaw, createSlot, openReplicationConnection, parseLsn } from '../src/cdc/index.js';
import { readOptions } from './lib/options.js';
import { createBenchTable, loadBenchRows } from './lib/bench-table.js';
import { cleanupAll, onCleanup } from './lib/processes.js';
import { startLakegateProcess, type LakegateProcess } from './lib/lakegate.js';
import { createMirror, waitForControlPlane, dropSlot, emitMarker, freshCount, lakegateClient, lsnDiff, waitForMirrorReady, walsenderSentLsn } from './lib/mirror.js';
import { fmtMiB, procCpuMs, procMemory, sampleRss } from './lib/proc-stats.js';
import { pauseProcess, resumeProcess } from './lib/pause.js';
import { cpuProfileEnv } from './lib/cpu-profile.js';
import { median, table } from './lib/stats.js';

const DEFAULTS = {
  rows: 1_000_000, // rows per load; each variant loads this twice (backlog phase, live phase)
  'txn-rows': 100_000, // rows per transaction, variant "large"
  'small-txn-rows': 10, // rows per transaction, variant "small"
  variants: 'large,small',
  phases: 'backlog,live',
  decoded: 'yes', // also time src/cdc's full decoder on the same range (yes|no)
  target: 0.9, // required lakegate/raw rate ratio
  timeout: 1800, // seconds any one step may take
  'cpu-prof': '', // directory: record a CPU profile of lakegate there (bench/lib/cpu-profile.ts)
};

const VARIANTS = ['large', 'small'] as const;
type Variant = (typeof VARIANTS)[number];

const LAKEGATE_SLOT = 'lakegate'; // mirror.slot default
const PUBLICATION = 'lakegate'; // mirror.publication default

const say = (s: string) => process.stdout.write(s + '\n');
const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface BacklogResult {
  loadMs: number;
  txns: number;
  walBytes: number;
  rawMs: number; // mean of rawRunsMs
  rawRunsMs: number[]; // before and after lakegate's run
  decodedMs: number | null;
  applyMs: number;
  applyCpuMs: number; // lakegate process CPU (all threads) while it worked off the backlog
  headStart: number; // fraction of the WAL range lakegate's walsender had sent before the freeze
}

interface LiveResult {
  loadMs: number;
  applyMs: number; // load start → everything visible
  endLagMs: number; // last COMMIT → visible
  lagSamples: number[];
}

export async function run(args: string[]): Promise<boolean> {
  const o = readOptions(args, DEFAULTS);
  const variants = o.variants.split(',').map((v) => v.trim()).filter(Boolean) as Variant[];
  for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`--variants: unknown '${v}' (use ${VARIANTS.join(',')})`);
  for (const k of ['rows', 'txn-rows', 'small-txn-rows'] as const) if (!Number.isInteger(o[k])) throw new Error(`--${k} must be a whole number`);
  if (!['yes', 'no'].includes(o.decoded)) throw new Error('--decoded must be yes or no');
  const phases = new Set(o.phases.split(',').map((p) => p.trim()).filter(Boolean));
  for (const p of phases) if (p !== 'backlog' && p !== 'live') throw new Error(`--phases: unknown '${p}' (use backlog,live)`);
  const perTxn = (v: Variant) => (v === 'large' ? o['txn-rows'] : o['small-txn-rows']);
  const timeoutMs = o.timeout * 1000;

  say(`cdc benchmark: ${fmtInt(o.rows)} rows per load; variants ${variants.map((v) => `${v} (${fmtInt(perTxn(v))} rows/txn)`).join(', ')}`);
  say(`machine: ${os.cpus().length} CPU(s), node ${process.version}; lakegate = separate process (node dist/src/main.js), default settings`);

  try {
    // wal_sender_timeout 0: lakegate is frozen for the whole backlog load and its walsender must not give up on it.
    // synchronous_commit on: a commit's WAL is flushed (fsync stays off) before it returns, so walsenders see it
    // at once and the measured lag does not include the WAL writer's delay.
    // autovacuum off: its ANALYZE/VACUUM of the freshly loaded table would land on whichever consumer runs first.
    const pg = await startPostgres({ settings: { wal_sender_timeout: 0, synchronous_commit: 'on', max_wal_size: '4GB', autovacuum: 'off' } });
    onCleanup(() => pg.destroy());
    const c = await pg.client();
    onCleanup(() => c.end().catch(() => undefined));
    const version = (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
    for (const v of variants) await createBenchTable(c, `cdc_${v}`);

    const gate = await startLakegateProcess(pg.url, o['cpu-prof'] ? cpuProfileEnv(o['cpu-prof']) : {});
    const pid = gate.child.pid!;
    say(`Postgres ${version} on port ${pg.port} (fsync off, synchronous_commit on, wal_sender_timeout 0, autovacuum off); lakegate pid ${pid} on port ${gate.port}`);
    await waitForControlPlane(c).catch((e: Error) => {
      throw new Error(`${e.message}; lakegate output:\n${gate.output()}`);
    });
    for (const v of variants) await createMirror(c, `cdc_${v}_iceberg`, `cdc_${v}`);
    for (const v of variants) await waitForMirrorReady(c, `public.cdc_${v}_iceberg`, timeoutMs);
    const gc = await lakegateClient(gate.port);
    onCleanup(() => gc.end().catch(() => undefined));
    for (const v of variants) await freshCount(gc, `public.cdc_${v}_iceberg`, timeoutMs);
    const baseline = await procMemory(pid);
    say(`mirrors ready; lakegate RSS ${fmtMiB(baseline.rssBytes)}`);

    const backlog = new Map<Variant, BacklogResult>();
    const live = new Map<Variant, LiveResult>();
    const peaks = new Map<string, number>();
    let nextId = 1;
    for (const v of variants) {
      const mirror = `public.cdc_${v}_iceberg`;
      let loaded = 0;
      if (phases.has('backlog')) {
        say('');
        say(`[${v}] backlog phase: lakegate frozen, ${fmtInt(o.rows)} rows in ${fmtInt(Math.ceil(o.rows / perTxn(v)))} transactions …`);
        const rss = sampleRss(pid);
        loaded += o.rows;
        const b = await backlogPhase(pg.url, c, gate, gc, v, mirror, nextId, o.rows, perTxn(v), loaded, o.decoded === 'yes', timeoutMs);
        peaks.set(`${v} backlog`, await rss.stop());
        nextId += o.rows;
        backlog.set(v, b);
        say(`  load ${fmtS(b.loadMs)} (${fmtInt(o.rows / (b.loadMs / 1000))} rows/s, ${fmtMiB(b.walBytes)} WAL); ` +
          `raw consumer ${b.rawRunsMs.map(fmtS).join(' / ')} (before / after lakegate); ${b.decodedMs === null ? '' : `decoded ${fmtS(b.decodedMs)}; `}lakegate ${fmtS(b.applyMs)} using ${fmtS(b.applyCpuMs)} CPU ` +
          `(its walsender had sent ${(b.headStart * 100).toFixed(1)}% of the range before the freeze)`);
      }
      if (phases.has('live')) {
        say(`[${v}] live phase: ${fmtInt(o.rows)} ${loaded ? 'more ' : ''}rows while lakegate runs …`);
        const rss = sampleRss(pid);
        loaded += o.rows;
        const l = await livePhase(c, gate, v, mirror, nextId, o.rows, perTxn(v), loaded, timeoutMs);
        peaks.set(`${v} live`, await rss.stop());
        nextId += o.rows;
        live.set(v, l);
        say(`  load ${fmtS(l.loadMs)} (${fmtInt(o.rows / (l.loadMs / 1000))} rows/s); applied ${fmtS(l.applyMs)} after the load started; ` +
          `lag at the end ${fmtS(l.endLagMs)}; lag during the load median ${fmtS(median(l.lagSamples))}, max ${fmtS(Math.max(0, ...l.lagSamples))} ` +
          `(${l.lagSamples.length} samples)`);
      }
    }
    const final = await procMemory(pid);

    if (backlog.size) {
      say('');
      say('backlog (same WAL range; rows/s = loaded rows / time to consume them):');
      say(table(
        ['variant', 'rows/txn', 'raw rows/s', 'decoded rows/s', 'lakegate rows/s', 'lakegate CPU µs/row', 'lakegate/raw'],
        [...backlog].map(([v, b]) => [v, fmtInt(perTxn(v)), fmtInt(o.rows / (b.rawMs / 1000)),
          b.decodedMs === null ? '-' : fmtInt(o.rows / (b.decodedMs / 1000)), fmtInt(o.rows / (b.applyMs / 1000)),
          ((b.applyCpuMs * 1000) / o.rows).toFixed(1), (b.rawMs / b.applyMs).toFixed(2)]),
      ));
    }
    if (live.size) {
      say('');
      say('live (lakegate applying while the load runs; lag = time until a strict read sees a commit):');
      say(table(
        ['variant', 'load rows/s', 'lakegate rows/s', 'lag at end', 'lag median', 'lag max'],
        [...live].map(([v, l]) => [v, fmtInt(o.rows / (l.loadMs / 1000)), fmtInt(o.rows / (l.applyMs / 1000)), fmtS(l.endLagMs),
          fmtS(median(l.lagSamples)), fmtS(Math.max(0, ...l.lagSamples))]),
      ));
    }
    say('');
    say(`lakegate RSS: ${fmtMiB(baseline.rssBytes)} after start, peak (VmHWM) ${fmtMiB(final.hwmBytes)}; ` +
      `peak per phase: ${[...peaks].map(([k, b]) => `${k} ${fmtMiB(b)}`).join(', ')}`);
    say('');
    if (!backlog.size) {
      say(`TARGET lakegate apply rate ≥ ${o.target}× raw pgoutput consumer: NOT EVALUATED (no backlog phase)`);
      return true;
    }
    const ratios = [...backlog].map(([v, b]) => [v, b.rawMs / b.applyMs] as const);
    const miss = ratios.filter(([, r]) => !(r >= o.target));
    say(`${miss.length ? 'FAIL' : 'PASS'}: lakegate apply rate ≥ ${o.target}× raw pgoutput consumer ` +
      `(${ratios.map(([v, r]) => `${v} ${r.toFixed(2)}`).join(', ')})`);
    return miss.length === 0;
  } finally {
    await cleanupAll();
  }
}

/** Load `rows` rows; `endAt` is when the last load transaction had committed, `marker` the LSN just after it. */
async function load(c: pg.Client, v: Variant, first: number, rows: number, per: number): Promise<{ ms: number; endAt: number; marker: string }> {
  const t0 = performance.now();
  await loadBenchRows(c, `cdc_${v}`, first, rows, per);
  const endAt = performance.now();
  const marker = await emitMarker(c);
  return { ms: endAt - t0, endAt, marker };
}

async function backlogPhase(
  url: string, c: pg.Client, gate: LakegateProcess, gc: pg.Client, v: Variant, mirror: string,
  first: number, rows: number, per: number, expected: number, decoded: boolean, timeoutMs: number,
): Promise<BacklogResult> {
  const u = new URL(url);
  const connection: pg.ClientConfig = { host: u.hostname, port: Number(u.port), user: 'postgres', database: 'postgres' };
  const slot = `bench_raw_${v}`;
  const rc = await openReplicationConnection(connection);
  let startLsn: bigint;
  try {
    startLsn = (await createSlot(rc, slot, { snapshot: 'nothing' })).consistentPoint;
  } finally {
    await rc.end().catch(() => undefined);
  }
  try {
    const walStart = (await c.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l;
    pauseProcess(gate);
    const ld = await load(c, v, first, rows, per);
    const untilLsn = parseLsn(ld.marker);
    const common = { connection, slot, publications: [PUBLICATION], binary: true, messages: true, startLsn, untilLsn, timeoutMs };
    const raw = await consumeRaw(common);
    const dec = decoded ? await consumeDecoded(common) : null;
    const sent = await walsenderSentLsn(c, LAKEGATE_SLOT);
    const walBytes = lsnDiff(ld.marker, walStart);
    const headStart = sent ? Math.max(0, lsnDiff(sent, walStart)) / walBytes : 0;
    const cpu0 = await procCpuMs(gate.child.pid!);
    const t0 = performance.now();
    resumeProcess(gate);
    const seen = await freshCount(gc, mirror, timeoutMs);
    const applyMs = seen.at - t0;
    const applyCpuMs = (await procCpuMs(gate.child.pid!)) - cpu0;
    // the raw consumer once more, after lakegate: the reference is the mean of both, so drifting load on a shared
    // machine does not favour either side
    const raw2 = await consumeRaw(common);
    if (seen.rows !== expected) throw new Error(`${mirror} shows ${seen.rows} rows after the backlog phase, expected ${expected}`);
    return { loadMs: ld.ms, txns: Math.ceil(rows / per), walBytes, rawMs: (raw.ms + raw2.ms) / 2, rawRunsMs: [raw.ms, raw2.ms], decodedMs: dec?.ms ?? null, applyMs, applyCpuMs, headStart };
  } finally {
    await dropSlot(c, slot).catch((e) => say(`  could not drop slot ${slot}: ${(e as Error).message}`));
  }
}

async function livePhase(
  c: pg.Client, gate: LakegateProcess, v: Variant, mirror: string, first: number, rows: number, per: number, expected: number,
  timeoutMs: number,
): Promise<LiveResult> {
  // lag sampler: a strict read issued at t returns once everything committed before t is applied
  const sampler = await lakegateClient(gate.port);
  const final = await lakegateClient(gate.port);
  const lagSamples: number[] = [];
  let loading = true;
  const sampling = (async () => {
    while (loading) {
      const t = performance.now();
      const r = await freshCount(sampler, mirror, timeoutMs);
      if (!loading) break;
      lagSamples.push(r.at - t);
      await sleep(250);
    }
  })();
  try {
    const t0 = performance.now();
    const ld = await load(c, v, first, rows, per);
    loading = false;
    const seen = await freshCount(final, mirror, timeoutMs);
    if (seen.rows !== expected) throw new Error(`${mirror} shows ${seen.rows} rows after the live phase, expected ${expected}`);
    await sampling;
    return { loadMs: ld.ms, applyMs: seen.at - t0, endLagMs: seen.at - ld.endAt, lagSamples };
  } finally {
    loading = false;
    await sampling.catch(() => undefined);
    await sampler.end().catch(() => undefined);
    await final.end().catch(() => undefined);
  }
}
