// Small files: many single-row commits must not leave a mirror with many tiny Iceberg data files. pgbench sends
// N single-row INSERT transactions straight to Postgres while lakegate (a separate `node dist/src/main.js`
// process, default settings) mirrors the table; then the benchmark waits one background maintenance period
// (lakegate's `mirror.maintenance_interval_ms`, 60 s by default) after everything is applied and counts the data
// files of the mirror's current Iceberg snapshot, read from the warehouse. The file count is followed over time
// from mooncake.columnstore_tables (flushes add files, compaction removes them).
// Target: ≤ 10 data files after maintenance.
import os from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/helpers/postgres.js';
import { IcebergTable } from '../src/iceberg/index.js';
import { openStorage } from '../src/storage/index.js';
import { readOptions } from './lib/options.js';
import { cleanupAll, onCleanup } from './lib/processes.js';
import { startLakegateProcess } from './lib/lakegate.js';
import { findPgbench, pgbenchRun } from './lib/pgbench.js';
import { createMirror, freshCount, lakegateClient, mirrorStatus, waitForControlPlane, waitForMirrorReady, type MirrorStatus } from './lib/mirror.js';
import { fmtBytes, fmtMiB, procMemory } from './lib/proc-stats.js';
import { table } from './lib/stats.js';

const DEFAULTS = {
  commits: 100_000, // single-row INSERT transactions (rounded up to a multiple of --clients)
  clients: 4, // pgbench -c
  rate: 0, // pgbench -R (transactions/s, all clients together); not given = as fast as possible
  'maintenance-interval-ms': 60_000, // lakegate mirror.maintenance_interval_ms (its default)
  target: 10, // maximum data files after maintenance
  timeout: 1800, // seconds for the load to be applied
};

const MIRROR = 'public.small_src_iceberg';
const say = (s: string) => process.stdout.write(s + '\n');
const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function run(args: string[]): Promise<boolean> {
  const o = readOptions(args, DEFAULTS);
  for (const k of ['commits', 'clients', 'maintenance-interval-ms', 'target'] as const) {
    if (!Number.isInteger(o[k])) throw new Error(`--${k} must be a whole number`);
  }
  const perClient = Math.ceil(o.commits / o.clients);
  const commits = perClient * o.clients;
  const threads = Math.min(2, o.clients);
  const pgbench = findPgbench();
  say(`smallfiles benchmark: ${fmtInt(commits)} single-row INSERT commits (pgbench -c ${o.clients} -j ${threads} -t ${fmtInt(perClient)}` +
    `${o.rate ? ` -R ${o.rate}` : ''}), then one maintenance period (${fmtS(o['maintenance-interval-ms'])})`);
  say(`machine: ${os.cpus().length} CPU(s), node ${process.version}; lakegate = separate process (node dist/src/main.js), default settings` +
    (o['maintenance-interval-ms'] === DEFAULTS['maintenance-interval-ms'] ? '' : ` except mirror.maintenance_interval_ms=${o['maintenance-interval-ms']}`));

  try {
    const pg = await startPostgres();
    onCleanup(() => pg.destroy());
    const c = await pg.client();
    onCleanup(() => c.end().catch(() => undefined));
    const version = (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
    await c.query('CREATE TABLE small_src (id bigserial PRIMARY KEY, v int4 NOT NULL, t text, ts timestamptz NOT NULL DEFAULT now())');

    const gate = await startLakegateProcess(pg.url, { LAKEGATE_MIRROR_MAINTENANCE_INTERVAL_MS: String(o['maintenance-interval-ms']) });
    const pid = gate.child.pid!;
    await waitForControlPlane(c).catch((e: Error) => {
      throw new Error(`${e.message}; lakegate output:\n${gate.output()}`);
    });
    await createMirror(c, 'small_src_iceberg', 'small_src');
    await waitForMirrorReady(c, MIRROR, 120_000);
    const gc = await lakegateClient(gate.port);
    onCleanup(() => gc.end().catch(() => undefined));
    say(`Postgres ${version} on port ${pg.port}; lakegate pid ${pid} on port ${gate.port}; mirror ${MIRROR} ready`);

    // the file count over time, from the registry lakegate updates after every flush and compaction
    const timeline: { t: number; files: number; flushLsn: string | null }[] = [];
    const t0 = performance.now();
    let watching = true;
    const watch = (async () => {
      let last: MirrorStatus | null = null;
      while (watching) {
        const s = await mirrorStatus(c, MIRROR).catch(() => null);
        if (s && (s.dataFiles !== last?.dataFiles || s.flushLsn !== last?.flushLsn)) {
          timeline.push({ t: performance.now() - t0, files: s.dataFiles ?? 0, flushLsn: s.flushLsn });
          last = s;
        }
        await sleep(250);
      }
    })();

    const dir = mkdtempSync(join(tmpdir(), 'lakegate-smallfiles-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'insert.sql');
    writeFileSync(script, "\\set v random(1, 1000000)\nINSERT INTO small_src (v, t) VALUES (:v, 'row ' || :v);\n");
    const endpoint = { host: '127.0.0.1', port: pg.port, user: 'postgres', database: 'postgres' };
    const bench = ['-n', '-f', script, '-c', String(o.clients), '-j', String(threads), '-t', String(perClient)];
    if (o.rate) bench.push('-R', String(o.rate));
    say('loading …');
    const res = await pgbenchRun(pgbench, endpoint, bench);
    const loadMs = performance.now() - t0;
    if (res.failed) throw new Error(`${res.failed} pgbench transactions failed`);
    const seen = await freshCount(gc, MIRROR, o.timeout * 1000);
    const appliedMs = seen.at - t0;
    if (seen.rows !== commits) throw new Error(`mirror shows ${seen.rows} rows, expected ${commits}`);
    say(`load: ${fmtS(loadMs)} (${fmtInt(res.tps)} commits/s); all applied ${fmtS(appliedMs - loadMs)} after the last commit`);
    const filesApplied = (await mirrorStatus(c, MIRROR))?.dataFiles ?? 0;

    const waitMs = o['maintenance-interval-ms'] + 15_000;
    say(`waiting ${fmtS(waitMs)} for the idle flush and one background maintenance pass …`);
    await sleep(waitMs);
    watching = false;
    await watch;

    const status = (await mirrorStatus(c, MIRROR))!;
    const storage = openStorage(status.location!);
    const ice = await IcebergTable.load(storage, status.location!);
    const plan = await ice.planScan();
    const mem = await procMemory(pid);
    const dataBytes = plan.dataFiles.reduce((s, f) => s + f.fileSizeBytes, 0);
    const peakFiles = Math.max(0, ...timeline.map((x) => x.files));
    // the first flush LSN seen is the initial copy's
    const flushes = Math.max(0, new Set(timeline.map((x) => x.flushLsn).filter(Boolean)).size - 1);

    say('');
    say('data files of the mirror over time (columnstore_tables):');
    say(table(['t', 'data files', 'flush LSN'], timeline.map((x) => [fmtS(x.t), String(x.files), x.flushLsn ?? '-'])));
    say('');
    say(table(['what', 'value'], [
      ['single-row commits', fmtInt(commits)],
      ['rows in the mirror (read through lakegate)', fmtInt(seen.rows)],
      ['flushes seen (new flush LSNs in columnstore_tables)', String(flushes)],
      ['Iceberg snapshots kept', String(ice.metadata.snapshots.length)],
      ['data files when everything was applied', String(filesApplied)],
      ['data files, most at any time', String(peakFiles)],
      ['data files after maintenance (current snapshot)', String(plan.dataFiles.length)],
      ['delete files after maintenance', String(plan.deleteFiles.length)],
      ['data bytes / average file', `${fmtBytes(dataBytes)} / ${fmtBytes(dataBytes / Math.max(1, plan.dataFiles.length))}`],
      ['lakegate RSS now / peak', `${fmtMiB(mem.rssBytes)} / ${fmtMiB(mem.hwmBytes)}`],
    ]));
    say('');
    const ok = plan.dataFiles.length <= o.target;
    say(`${ok ? 'PASS' : 'FAIL'}: data files per mirror after maintenance ≤ ${o.target} (${plan.dataFiles.length})`);
    return ok;
  } finally {
    await cleanupAll();
  }
}
