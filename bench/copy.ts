// Initial copy: how fast lakegate (a separate `node dist/src/main.js` process) turns an existing table into its
// first Iceberg snapshot, next to `COPY … TO STDOUT` of the same table by psql (output to /dev/null), in the same
// run. The lakegate figure is the wall time from `CALL mooncake.create_table` until columnstore_tables says
// `ready` (snapshot COPY → DuckDB → Parquet → Iceberg commit, as an operator would see it; polled every 100 ms).
// Two references, each run before and after lakegate's copy (their mean counts): psql's default text format —
// the target's reference, "COPY … TO STDOUT of it" — and FORMAT binary, what lakegate itself reads.
// Targets: lakegate rate ≥ 0.8× the text-format reference, and lakegate's peak RSS (VmHWM, whole process life)
// ≤ 1 GiB. The binary ratio is printed for information.
import os from 'node:os';
import { startPostgres } from '../test/helpers/postgres.js';
import { readOptions } from './lib/options.js';
import { cleanupAll, onCleanup } from './lib/processes.js';
import { startLakegateProcess } from './lib/lakegate.js';
import { createBenchTable, loadBenchRows } from './lib/bench-table.js';
import { createMirror, freshCount, lakegateClient, waitForControlPlane, waitForMirrorReady } from './lib/mirror.js';
import { fmtMiB, procCpuMs, procMemory, sampleRss } from './lib/proc-stats.js';
import { findPsql, psqlCopyOut } from './lib/psql.js';
import { cpuProfileEnv } from './lib/cpu-profile.js';
import { table } from './lib/stats.js';

const DEFAULTS = {
  rows: 10_000_000,
  target: 0.8, // required lakegate/psql rate ratio, against the text-format reference
  'max-rss-mib': 1024, // lakegate VmHWM limit
  timeout: 3600, // seconds for the copy
  'cpu-prof': '', // directory: profile lakegate (see bench/lib/cpu-profile.ts)
};

const say = (s: string) => process.stdout.write(s + '\n');
const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** lakegate's own `copy done` log line (pino JSON), if present in its output */
function copyDoneLog(output: string): { rows: number; files: number; ms: number } | null {
  for (const line of output.split('\n').reverse()) {
    if (!line.includes('"copy done"')) continue;
    try {
      const j = JSON.parse(line) as { rows: number; files: number; ms: number };
      return { rows: j.rows, files: j.files, ms: j.ms };
    } catch {
      return null;
    }
  }
  return null;
}

export async function run(args: string[]): Promise<boolean> {
  const o = readOptions(args, DEFAULTS);
  if (!Number.isInteger(o.rows)) throw new Error('--rows must be a whole number');
  const psql = findPsql();
  say(`copy benchmark: ${fmtInt(o.rows)} rows (bigint key, text, timestamptz, float8, int4, bool)`);
  say(`machine: ${os.cpus().length} CPU(s), node ${process.version}; lakegate = separate process (node dist/src/main.js), ` +
    `default settings; references: ${psql} COPY … TO STDOUT [(FORMAT binary)] > /dev/null; target against the text format`);

  try {
    // autovacuum off: the table is vacuumed (frozen, hint bits set) once before any reader, and nothing runs behind
    const pg = await startPostgres({ settings: { autovacuum: 'off', max_wal_size: '8GB' } });
    onCleanup(() => pg.destroy());
    const c = await pg.client();
    onCleanup(() => c.end().catch(() => undefined));
    const version = (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]!.v;
    say(`Postgres ${version} on port ${pg.port}; loading …`);
    await createBenchTable(c, 'copy_src');
    const tLoad = performance.now();
    const chunk = 1_000_000;
    for (let first = 1; first <= o.rows; first += chunk) {
      const n = Math.min(chunk, o.rows - first + 1);
      await loadBenchRows(c, 'copy_src', first, n, n);
      if (o.rows > chunk) say(`  ${fmtInt(first + n - 1)} rows`);
    }
    await c.query('VACUUM (FREEZE, ANALYZE) copy_src');
    await c.query('CHECKPOINT');
    const size = (await c.query<{ b: string }>(`SELECT pg_table_size('copy_src')::text AS b`)).rows[0]!.b;
    say(`loaded in ${fmtS(performance.now() - tLoad)}; table ${fmtMiB(Number(size))}`);

    const endpoint = { host: '127.0.0.1', port: pg.port, user: 'postgres', database: 'postgres' };
    const FORMATS = ['text', 'binary'] as const;
    const copySql = { text: 'COPY public.copy_src TO STDOUT', binary: 'COPY public.copy_src TO STDOUT (FORMAT binary)' };
    const refs = { text: [] as number[], binary: [] as number[] };
    const reference = async () => {
      for (const f of FORMATS) {
        const ms = await psqlCopyOut(psql, endpoint, copySql[f]);
        refs[f].push(ms);
        say(`psql ${copySql[f]}: ${fmtS(ms)} (${fmtInt(o.rows / (ms / 1000))} rows/s)`);
      }
    };
    await reference();

    const gate = await startLakegateProcess(pg.url, { LAKEGATE_LOG_LEVEL: 'info', ...(o['cpu-prof'] ? cpuProfileEnv(o['cpu-prof']) : {}) });
    const pid = gate.child.pid!;
    await waitForControlPlane(c).catch((e: Error) => {
      throw new Error(`${e.message}; lakegate output:\n${gate.output()}`);
    });
    const before = await procMemory(pid);
    say(`lakegate pid ${pid} on port ${gate.port}, RSS ${fmtMiB(before.rssBytes)}; CALL mooncake.create_table('copy_src_iceberg', 'copy_src') …`);
    const rss = sampleRss(pid);
    const cpu0 = await procCpuMs(pid);
    const t0 = performance.now();
    await createMirror(c, 'copy_src_iceberg', 'copy_src');
    const status = await waitForMirrorReady(c, 'public.copy_src_iceberg', o.timeout * 1000, 100).catch((e: Error) => {
      throw new Error(`${e.message}; lakegate output:\n${gate.output().slice(-4000)}`);
    });
    const copyMs = performance.now() - t0;
    const copyCpuMs = (await procCpuMs(pid)) - cpu0;
    const peakDuringCopy = await rss.stop();
    const internal = copyDoneLog(gate.output());
    say(`lakegate: ready after ${fmtS(copyMs)} (${fmtInt(o.rows / (copyMs / 1000))} rows/s), ` +
      `${fmtS(copyCpuMs)} CPU (${((copyCpuMs * 1000) / o.rows).toFixed(1)} µs/row, all threads); ${status.dataFiles ?? '?'} data files` +
      (internal ? `; its own log: ${fmtInt(internal.rows)} rows in ${fmtS(internal.ms)}` : ''));

    await reference();

    const gc = await lakegateClient(gate.port);
    onCleanup(() => gc.end().catch(() => undefined));
    const seen = await freshCount(gc, 'public.copy_src_iceberg', 60_000);
    if (seen.rows !== o.rows) throw new Error(`mirror shows ${seen.rows} rows, expected ${o.rows}`);
    const after = await procMemory(pid);

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const refMs = { text: mean(refs.text), binary: mean(refs.binary) };
    const ratio = refMs.text / copyMs;
    const maxRss = o['max-rss-mib'] * 1048576;
    say('');
    say(table(['what', 'time', 'rows/s', 'lakegate / this'], [
      ['psql COPY TO STDOUT (text; the target reference), mean of 2', fmtS(refMs.text), fmtInt(o.rows / (refMs.text / 1000)), ratio.toFixed(2)],
      ['psql COPY TO STDOUT (FORMAT binary), mean of 2', fmtS(refMs.binary), fmtInt(o.rows / (refMs.binary / 1000)), (refMs.binary / copyMs).toFixed(2)],
      ['lakegate create_table → ready', fmtS(copyMs), fmtInt(o.rows / (copyMs / 1000)), '1.00'],
    ]));
    say('');
    say(`lakegate RSS: ${fmtMiB(before.rssBytes)} before the copy, peak during it ${fmtMiB(peakDuringCopy)}, VmHWM ${fmtMiB(after.hwmBytes)}`);
    say(`mirror: ${fmtInt(seen.rows)} rows read back through lakegate, ${status.dataFiles ?? '?'} data files`);
    say('');
    const rateOk = ratio >= o.target;
    const rssOk = after.hwmBytes <= maxRss;
    say(`${rateOk ? 'PASS' : 'FAIL'}: lakegate copy rate ≥ ${o.target}× psql COPY TO STDOUT, text format (${ratio.toFixed(2)}; ` +
      `vs FORMAT binary ${(refMs.binary / copyMs).toFixed(2)}, not a target)`);
    say(`${rssOk ? 'PASS' : 'FAIL'}: lakegate peak RSS ≤ ${fmtMiB(maxRss)} (${fmtMiB(after.hwmBytes)})`);
    return rateOk && rssOk;
  } finally {
    await cleanupAll();
  }
}
