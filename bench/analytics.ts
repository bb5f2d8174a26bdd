// Analytics: ClickBench-style queries (bench/queries/clickbench.sql) over a generated `hits` table
// (bench/lib/hits.ts), three ways in one run plus a diagnostic fourth:
//   npm run bench -- analytics [--rows=200000] [--queries=1-10] [--explain=21] [--view=no]
//   postgres  the source table on Postgres (primary key index, VACUUM ANALYZEd, warm cache),
//   lakegate  its mirror hits_iceberg through lakegate (`node dist/src/main.js`, DuckDB threads = --threads),
//   raw       DuckDB in this process over the mirror's own Parquet data files (read from its Iceberg
//             metadata after create_snapshot), same thread count: the floor for what lakegate can reach.
//   view      (diagnostic) the same DuckDB over the reader view lakegate reads for those files (src/table/mirror-table.ts
//             viewSql, the one lg_reader_<id> picks: with no pending deletes and an empty tail, the files as they
//             are; --view=full: the full view with anti joins against the pending-delete tables), queried with the
//             raw SQL. Splits lakegate's cost into the view's shape (view − raw) and the engine's per-query work
//             (lakegate − view: round trips, translation, encoding).
// Per query: one warm-up run per target, then --runs timed runs interleaved across targets; the median counts.
// lakegate's answers must equal Postgres' text rows exactly; raw DuckDB's are checked up to number formatting.
// Targets: identical answers, geo-mean Postgres/lakegate ≥ --speedup, geo-mean lakegate/raw ≤ --raw-ratio.
import os from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type pg from 'pg';
import { startPostgres } from '../test/helpers/postgres.js';
import { IcebergTable, type Schema } from '../src/iceberg/index.js';
import { openStorage } from '../src/storage/index.js';
import { MirrorTable } from '../src/table/mirror-table.js';
import type { BaseState } from '../src/table/base.js';
import type { MirrorColumn } from '../src/table/column-types.js';
import { readOptions } from './lib/options.js';
import { cleanupAll, onCleanup } from './lib/processes.js';
import { startLakegateProcess } from './lib/lakegate.js';
import { median, table } from './lib/stats.js';
import { geomean } from './lib/percentiles.js';
import { createHits, HITS_PRIMARY_KEY } from './lib/hits.js';
import { connectClient, diffRows, looselyEqual, queryText, sortedRows, type TextRows } from './lib/text-rows.js';

const DEFAULTS = {
  rows: 10_000_000,
  threads: 2, // DuckDB threads, lakegate's and raw
  runs: 3, // timed runs per query and target (after one warm-up)
  queries: '', // subset, e.g. 1-10,20 (default: all)
  timeout: 300, // seconds: Postgres statement_timeout per query
  'pg-workers': 2, // max_parallel_workers_per_gather (Postgres' default)
  'pg-shared-buffers': '4GB',
  'pg-work-mem': '64MB',
  speedup: 10, // target: geo-mean Postgres/lakegate
  'raw-ratio': 1.1, // target: geo-mean lakegate/raw at most
  explain: '', // query numbers to print EXPLAIN ANALYZE for (lakegate, view and raw)
  view: 'yes', // also time the 'view' target (lakegate's reader view in raw DuckDB); 'full': the full view; 'no' skips it
};

const say = (s: string) => process.stdout.write(s + '\n');
const fmtMs = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
const fmtX = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) + '×' : '-');
const secs = (ms: number) => (ms / 1000).toFixed(1) + ' s';

interface Query {
  n: number;
  sql: string;
  ordered: boolean;
}

function queriesFile(): string {
  // dist/bench/analytics.js after tsc, bench/analytics.ts under tsx
  for (const rel of ['../../bench/queries/clickbench.sql', './queries/clickbench.sql']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('bench/queries/clickbench.sql not found');
}

function loadQueries(values: Record<string, string>): Query[] {
  const lines = readFileSync(queriesFile(), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('--'));
  return lines.map((line, i) => {
    const sql = line.trim().replace(/;$/, '').replace(/\{(\w+)\}/g, (_, k: string) => {
      if (!(k in values)) throw new Error(`clickbench.sql: unknown placeholder {${k}}`);
      return values[k]!;
    });
    return { n: i + 1, sql, ordered: /\bORDER BY\b/i.test(sql) };
  });
}

function parseSelection(spec: string, max: number): Set<number> {
  const out = new Set<number>();
  if (!spec) {
    for (let i = 1; i <= max; i++) out.add(i);
    return out;
  }
  for (const part of spec.split(',').map((s) => s.trim().replace(/^q/i, '')).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`--queries: cannot read '${part}' (use e.g. 1-10,20)`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let i = a; i <= b; i++) if (i >= 1 && i <= max) out.add(i);
  }
  return out;
}

type TargetName = 'postgres' | 'lakegate' | 'raw' | 'view';

interface RunError {
  code: string;
  message: string;
}

interface Outcome {
  ms: number[];
  rows: TextRows | null;
  error: RunError | null;
}

interface Target {
  name: TargetName;
  run(sql: string): Promise<{ rows: TextRows; ms: number }>;
  explain(sql: string): Promise<string>;
}

function errorOf(e: unknown): RunError {
  const x = e as { code?: string; message?: string };
  return { code: typeof x.code === 'string' ? x.code : 'ERR', message: String(x.message ?? e).split('\n')[0]! };
}

function pgTarget(name: TargetName, c: pg.Client, rewrite: (sql: string) => string): Target {
  return {
    name,
    run: (sql) => queryText(c, rewrite(sql)),
    async explain(sql) {
      const r = await queryText(c, `EXPLAIN ANALYZE ${rewrite(sql)}`);
      return r.rows.map((x) => x[0]).join('\n');
    },
  };
}

function duckText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return String(v);
}

function duckTarget(name: TargetName, conn: DuckDBConnection, rewrite: (sql: string) => string): Target {
  return {
    name,
    async run(sql) {
      const t = performance.now();
      const reader = await conn.runAndReadAll(rewrite(sql));
      const values = reader.getRows();
      const ms = performance.now() - t;
      return { rows: values.map((r) => r.map(duckText)), ms };
    },
    async explain(sql) {
      const reader = await conn.runAndReadAll(`EXPLAIN ANALYZE ${rewrite(sql)}`);
      return reader.getRows().map((r) => String(r[1])).join('\n');
    },
  };
}

async function runOnce(t: Target, sql: string, o: Outcome, timed: boolean): Promise<void> {
  try {
    const r = await t.run(sql);
    if (timed) o.ms.push(r.ms);
    o.rows = r.rows;
  } catch (e) {
    o.error = errorOf(e);
  }
}

async function waitForMirror(c: pg.Client, mirror: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await c.query<{ state: string; row_count: string | null; error: string | null }>(
      `SELECT state, row_count::text, error FROM mooncake.columnstore_tables WHERE "table" = $1`,
      [`public.${mirror}`],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`mirror ${mirror} is not in mooncake.columnstore_tables`);
    if (row.state === 'failed') throw new Error(`mirror ${mirror} failed: ${row.error}`);
    if (row.state === 'ready') {
      // the registry says ready a moment before lakegate's router knows the mirror: wait until it answers
      try {
        await c.query(`SELECT 1 FROM ${mirror} LIMIT 0`);
        return;
      } catch {
        // still routed to Postgres, which refuses to read a mirror
      }
    }
    const now = `${row.state} ${row.row_count ?? 0} rows`;
    if (now !== last) {
      last = now;
      process.stdout.write(`  … ${now}\n`);
    }
    if (Date.now() > deadline) throw new Error(`mirror ${mirror} not ready after ${timeoutMs / 1000} s (${now})`);
    await new Promise((res) => setTimeout(res, row.state === 'ready' ? 50 : 1000));
  }
}

interface MirrorFiles {
  files: string[];
  rows: number;
  bytes: number;
  deletes: number;
  base: BaseState;
}

/** The mirror's current data files from its Iceberg metadata (lakegate's planner; no delete files expected). */
async function mirrorDataFiles(location: string): Promise<MirrorFiles> {
  const t = await IcebergTable.load(openStorage(location), location);
  const plan = await t.planScan();
  const local = await t.localPaths(plan);
  const schema: Schema = plan.schema;
  return {
    files: plan.dataFiles.map((f) => local.get(f.path)!),
    rows: plan.dataFiles.reduce((s, f) => s + f.recordCount, 0),
    bytes: plan.dataFiles.reduce((s, f) => s + f.fileSizeBytes, 0),
    deletes: plan.deleteFiles.length,
    base: {
      snapshotId: plan.snapshotId,
      flushLsn: 0n,
      schema,
      dataFiles: plan.dataFiles.map((f) => ({ uri: f.path, local: local.get(f.path)!, seq: f.seq, recordCount: f.recordCount, sizeBytes: f.fileSizeBytes })),
      deleteFiles: [],
    },
  };
}

/**
 * lakegate's reader views (MirrorTable, exactly as src/table builds them) over `base`, with empty tail and
 * pending-delete tables, and `name` in `conn` over the one lakegate reads (`full`: the full view). Only column
 * names and DuckDB types matter to the SQL.
 */
async function createMirrorView(conn: DuckDBConnection, base: BaseState, files: string, name: string, full: boolean): Promise<void> {
  const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet([${files}])`)).getRows();
  const columns = described.map(([n, t]) => ({ name: String(n), duckdb: String(t) }) as unknown as MirrorColumn);
  const key = HITS_PRIMARY_KEY.map((k) => columns.findIndex((c) => c.name === k.toLowerCase()));
  if (key.some((i) => i < 0)) throw new Error('mirror files lack a primary-key column');
  const mt = new MirrorTable({ id: 0, name: 'public.hits_iceberg', source: { schema: 'public', name: 'hits' }, relationOid: 0, columns, key });
  for (const sql of mt.createSql()) await conn.run(sql);
  await conn.run(mt.viewSql(base));
  const chosen = String((await conn.runAndReadAll(`SELECT relation FROM ${mt.chooser}`)).getRows()[0]![0]);
  await conn.run(`CREATE VIEW ${name} AS ${full ? mt.readerSql() : `SELECT * FROM ${chosen}`}`);
}

export async function run(args: string[]): Promise<boolean> {
  const o = readOptions(args, DEFAULTS);
  // output piped into a reader that quits (| head): stop our processes instead of dying with them running
  process.stdout.once('error', () => void cleanupAll().finally(() => process.exit(1)));
  for (const k of ['rows', 'threads', 'runs', 'pg-workers'] as const) {
    if (!Number.isInteger(o[k])) throw new Error(`--${k} must be a whole number`);
  }
  const explainSet = o.explain ? parseSelection(o.explain, 999) : new Set<number>();
  say(`analytics benchmark: hits with ${o.rows.toLocaleString('en-US')} rows; ClickBench-style queries; ` +
    `warm-up + median of ${o.runs}; DuckDB threads ${o.threads}`);
  say(`machine: ${os.cpus().length} CPU(s), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ` +
    `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  try {
    // ---- Postgres + hits ------------------------------------------------------------------------------------
    const pgSettings = {
      shared_buffers: o['pg-shared-buffers'],
      work_mem: o['pg-work-mem'],
      max_parallel_workers_per_gather: o['pg-workers'],
      max_wal_size: '8GB',
    };
    const pgs = await startPostgres({ settings: pgSettings });
    onCleanup(() => pgs.destroy());
    const direct = await connectClient({ host: '127.0.0.1', port: pgs.port, user: 'postgres', database: 'postgres' });
    onCleanup(() => direct.end().catch(() => {}));
    const version = (await direct.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    const shown = (await direct.query<{ s: string }>(
      `SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) AS s FROM pg_settings
        WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'fsync', 'synchronous_commit')`,
    )).rows[0]!.s;
    say(`Postgres ${version} on port ${pgs.port} (${shown})`);
    say(`generating hits (${o.rows.toLocaleString('en-US')} rows, primary key (CounterID, EventDate, UserID, EventTime, WatchID)) …`);
    const gen = await createHits(direct, o.rows);
    const size = (await direct.query<{ s: string }>("SELECT pg_size_pretty(pg_table_size('hits')) || ' heap + ' || pg_size_pretty(pg_indexes_size('hits')) || ' primary key' AS s")).rows[0]!.s;
    say(`  insert ${secs(gen.insertMs)}, primary key ${secs(gen.primaryKeyMs)}, vacuum analyze + checkpoint ${secs(gen.vacuumMs)}; ${size}`);

    // constants the lookup queries need: values that exist in the data, chosen deterministically
    const one = async (sql: string) => (await direct.query({ text: sql, rowMode: 'array' })).rows[0]?.[0] as string | undefined;
    const values: Record<string, string> = {
      having: String(Math.max(1, Math.floor(o.rows / 100))),
      user_id: (await one('SELECT UserID::text FROM hits ORDER BY WatchID LIMIT 1')) ?? '0',
      referer_hash: (await one("SELECT RefererHash::text FROM hits WHERE CounterID = 62 AND Referer <> '' GROUP BY RefererHash ORDER BY count(*) DESC, RefererHash LIMIT 1")) ?? '0',
      url_hash: (await one("SELECT URLHash::text FROM hits WHERE CounterID = 62 AND URL <> '' GROUP BY URLHash ORDER BY count(*) DESC, URLHash LIMIT 1")) ?? '0',
    };
    say(`  placeholders: ${Object.entries(values).map(([k, v]) => `${k}=${v}`).join(' ')}`);

    // ---- lakegate + mirror ----------------------------------------------------------------------------------
    const gate = await startLakegateProcess(pgs.url, {
      LAKEGATE_DUCKDB_THREADS: String(o.threads),
      LAKEGATE_FRESHNESS: 'strict',
    });
    const viaGate = await connectClient({ host: '127.0.0.1', port: gate.port, user: 'postgres', database: 'postgres' });
    onCleanup(() => viaGate.end().catch(() => {}));
    say(`lakegate on port ${gate.port} (freshness strict, DuckDB threads ${o.threads}); CALL mooncake.create_table('hits_iceberg', 'hits') …`);
    let t0 = performance.now();
    await viaGate.query(`CALL mooncake.create_table('hits_iceberg', 'hits')`);
    await waitForMirror(viaGate, 'hits_iceberg', 3_600_000);
    const copyMs = performance.now() - t0;
    await viaGate.query(`SET mooncake.request_timeout = '3600s'`);
    t0 = performance.now();
    await viaGate.query(`CALL mooncake.create_snapshot('hits_iceberg')`);
    const snapMs = performance.now() - t0;
    const location = (await one("SELECT iceberg_warehouse_location FROM mooncake.list_tables() WHERE \"table\" = 'public.hits_iceberg'"))!;
    let data = await mirrorDataFiles(location);
    if (data.deletes > 0) {
      say(`  snapshot has ${data.deletes} delete file(s): CALL mooncake.optimize_table('hits_iceberg', 'full')`);
      await viaGate.query(`CALL mooncake.optimize_table('hits_iceberg', 'full')`);
      data = await mirrorDataFiles(location);
    }
    say(`  mirror ready in ${secs(copyMs)} (${Math.round(o.rows / (copyMs / 1000)).toLocaleString('en-US')} rows/s), ` +
      `create_snapshot ${secs(snapMs)}; ${data.files.length} data file(s), ${(data.bytes / 2 ** 20).toFixed(0)} MiB Parquet at ${location}`);
    if (data.rows !== o.rows || data.deletes > 0) {
      throw new Error(`mirror snapshot has ${data.rows} rows and ${data.deletes} delete files; expected ${o.rows} rows, no deletes`);
    }

    // ---- raw DuckDB over the same files -----------------------------------------------------------------------
    const duck = await DuckDBInstance.create(':memory:', { threads: String(o.threads) });
    const dconn = await duck.connect();
    onCleanup(() => {
      dconn.closeSync();
      duck.closeSync();
    });
    const fileList = data.files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ');
    await dconn.run(`CREATE VIEW hits AS SELECT * FROM read_parquet([${fileList}])`);
    const duckVersion = String((await dconn.runAndReadAll('SELECT version()')).getRows()[0]![0]);
    say(`raw DuckDB ${duckVersion} in this process, threads ${o.threads}: CREATE VIEW hits AS SELECT * FROM read_parquet([${data.files.length} file(s)])`);
    const withView = o.view !== 'no';
    if (withView) {
      await createMirrorView(dconn, data.base, fileList, 'hits_view', o.view === 'full');
      say(`view: the same DuckDB, CREATE VIEW hits_view AS lakegate's ${o.view === 'full' ? 'full ' : ''}reader view (MirrorTable.viewSql) of those files`);
    }

    await direct.query(`SET statement_timeout = '${o.timeout}s'`);
    const targets: Target[] = [
      pgTarget('postgres', direct, (s) => s),
      pgTarget('lakegate', viaGate, (s) => s.replace(/\bFROM hits\b/g, 'FROM hits_iceberg')),
      duckTarget('raw', dconn, (s) => s),
    ];
    if (withView) targets.push(duckTarget('view', dconn, (s) => s.replace(/\bFROM hits\b/g, 'FROM hits_view')));

    // ---- the queries ----------------------------------------------------------------------------------------
    const all = loadQueries(values);
    const chosen = parseSelection(o.queries, all.length);
    const queries = all.filter((q) => chosen.has(q.n));
    interface Result {
      q: Query;
      out: Record<TargetName, Outcome>;
      verdict: string;
      match: boolean | null; // null: not compared (unsupported / error / Postgres timeout)
      rawVerdict: string;
    }
    const results: Result[] = [];
    say('');
    for (const q of queries) {
      const out = Object.fromEntries(targets.map((t) => [t.name, { ms: [], rows: null, error: null } as Outcome])) as Record<TargetName, Outcome>;
      for (const t of targets) await runOnce(t, q.sql, out[t.name], false); // warm-up
      for (let r = 0; r < o.runs; r++) {
        const order = targets.map((_, i) => targets[(i + r + q.n) % targets.length]!);
        for (const t of order) if (!out[t.name].error) await runOnce(t, q.sql, out[t.name], true);
      }
      const norm = (rows: TextRows) => (q.ordered ? rows : sortedRows(rows));
      const P = out.postgres;
      const L = out.lakegate;
      const R = out.raw;
      const V = out.view;
      let verdict: string;
      let match: boolean | null = null;
      if (L.error?.code === '0A000') verdict = `unsupported: ${L.error.message}`;
      else if (L.error) verdict = `LAKEGATE ERROR ${L.error.code}: ${L.error.message}`;
      else if (P.error) verdict = P.error.code === '57014' ? `postgres over ${o.timeout} s (not compared)` : `postgres error ${P.error.code}: ${P.error.message}`;
      else {
        const d = diffRows(norm(P.rows!), norm(L.rows!));
        match = d === null;
        verdict = d === null ? 'same' : `DIFFERENT: ${d}`;
      }
      let rawVerdict: string;
      if (R.error) rawVerdict = `error: ${R.error.message}`;
      else if (P.error || !P.rows) rawVerdict = '-';
      else {
        const d = diffRows(norm(P.rows), norm(R.rows!), looselyEqual);
        rawVerdict = d === null ? 'same' : `differs: ${d}`;
      }
      results.push({ q, out, verdict, match, rawVerdict });
      const m = (x: Outcome) => (x.error ? '-' : fmtMs(median(x.ms)));
      say(`Q${String(q.n).padStart(2, '0')}  postgres ${m(P).padStart(7)} ms  lakegate ${m(L).padStart(7)} ms  ` +
        `${V ? `view ${m(V).padStart(7)} ms  ` : ''}raw ${m(R).padStart(7)} ms  ${verdict}`);
      if (explainSet.has(q.n)) {
        for (const t of targets.slice(1)) {
          try {
            say(`--- EXPLAIN ANALYZE Q${q.n} on ${t.name} ---\n${await t.explain(q.sql)}`);
          } catch (e) {
            say(`--- EXPLAIN ANALYZE Q${q.n} on ${t.name} failed: ${errorOf(e).message}`);
          }
        }
      }
    }

    // ---- report ---------------------------------------------------------------------------------------------
    const med = (r: Result, t: TargetName) => (!r.out[t] || r.out[t].error ? NaN : median(r.out[t].ms));
    const rows = results.map((r) => {
      const p = med(r, 'postgres');
      const l = med(r, 'lakegate');
      const w = med(r, 'raw');
      const v = med(r, 'view');
      return [
        `Q${String(r.q.n).padStart(2, '0')}`,
        fmtMs(p),
        fmtMs(l),
        ...(withView ? [fmtMs(v)] : []),
        fmtMs(w),
        fmtX(p / l),
        fmtX(p / w),
        Number.isFinite(l / w) ? (l / w).toFixed(2) : '-',
        ...(withView ? [Number.isFinite(v / w) ? (v / w).toFixed(2) : '-'] : []),
        r.verdict.length > 70 ? r.verdict.slice(0, 67) + '...' : r.verdict,
        r.rawVerdict.length > 40 ? r.rawVerdict.slice(0, 37) + '...' : r.rawVerdict,
      ];
    });
    say('');
    say(table(['query', 'postgres ms', 'lakegate ms', ...(withView ? ['view ms'] : []), 'raw ms', 'pg/lakegate', 'pg/raw', 'lakegate/raw',
      ...(withView ? ['view/raw'] : []), 'lakegate answer', 'raw answer'], rows, 1));
    const full = results.filter((r) => r.verdict.length > 70 || r.rawVerdict.length > 40);
    for (const r of full) say(`  Q${r.q.n}: ${r.verdict}${r.rawVerdict.length > 40 ? ` | raw: ${r.rawVerdict}` : ''}`);

    const compared = results.filter((r) => r.match !== null);
    const same = compared.filter((r) => r.match);
    const unsupported = results.filter((r) => r.out.lakegate.error?.code === '0A000');
    const errors = results.filter((r) => r.out.lakegate.error && r.out.lakegate.error.code !== '0A000');
    const timed = same.filter((r) => Number.isFinite(med(r, 'raw')));
    const gPL = geomean(same.map((r) => med(r, 'postgres') / med(r, 'lakegate')));
    const gPR = geomean(timed.map((r) => med(r, 'postgres') / med(r, 'raw')));
    const gLR = geomean(timed.map((r) => med(r, 'lakegate') / med(r, 'raw')));
    const gVR = geomean(timed.map((r) => med(r, 'view') / med(r, 'raw')));
    const gLV = geomean(timed.map((r) => med(r, 'lakegate') / med(r, 'view')));
    const slower = same.filter((r) => med(r, 'lakegate') > med(r, 'postgres'));
    const sum = (t: TargetName) => same.reduce((s, r) => s + med(r, t), 0);
    say('');
    say(`queries: ${results.length} run, ${compared.length} compared, ${same.length} same answer, ` +
      `${compared.length - same.length} DIFFERENT, ${unsupported.length} unsupported by lakegate` +
      `${unsupported.length ? ` (${unsupported.map((r) => 'Q' + r.q.n).join(' ')})` : ''}, ${errors.length} lakegate errors` +
      `${errors.length ? ` (${errors.map((r) => 'Q' + r.q.n).join(' ')})` : ''}`);
    say(`over the ${same.length} queries with the same answer: geo-mean speedup Postgres/lakegate ${fmtX(gPL)}, ` +
      `Postgres/raw DuckDB ${fmtX(gPR)}, lakegate/raw ${Number.isFinite(gLR) ? gLR.toFixed(3) : '-'}; ` +
      `sum of medians postgres ${secs(sum('postgres'))}, lakegate ${secs(sum('lakegate'))}, raw ${secs(sum('raw'))}`);
    if (withView) {
      const fixed = median(timed.map((r) => med(r, 'lakegate') - med(r, 'view')));
      say(`lakegate/raw split: view/raw ${gVR.toFixed(3)} (the reader view's shape) × lakegate/view ${gLV.toFixed(3)} ` +
        `(engine work per query; median lakegate − view ${fmtMs(fixed)} ms)`);
    }
    if (slower.length) say(`slower through lakegate than on Postgres: ${slower.map((r) => `Q${r.q.n} (${fmtX(med(r, 'postgres') / med(r, 'lakegate'))})`).join(', ')}`);
    say(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    say('');
    const okAnswers = compared.length === same.length && errors.length === 0;
    const okSpeed = gPL >= o.speedup;
    const okRaw = gLR <= o['raw-ratio'];
    say(`${okAnswers ? 'PASS' : 'FAIL'}: identical answers (${same.length}/${compared.length} compared; ${errors.length} errors)`);
    say(`${okSpeed ? 'PASS' : 'FAIL'}: geo-mean ≥ ${o.speedup}× faster than Postgres (${fmtX(gPL)} at ${o.rows.toLocaleString('en-US')} rows)`);
    say(`${okRaw ? 'PASS' : 'FAIL'}: within ${o['raw-ratio']}× of raw DuckDB (geo-mean lakegate/raw ${Number.isFinite(gLR) ? gLR.toFixed(3) : '-'})`);
    return okAnswers && okSpeed && okRaw;
  } finally {
    await cleanupAll();
  }
}
