// Shared pieces of the mirror tests (not a test file): a warehouse dir, DuckDB, reading a mirror through
// the service's view, and reading its Iceberg table with ClickHouse (chdb) — an engine that shares no code
// with lakegate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query as chQuery } from 'chdb';
import pg from 'pg';
import { openDuckDB, type SharedDuckDB } from '../src/engine/duckdb.js';
import { openStorage, type Storage } from '../src/storage/index.js';
import { startMirrorService, MemoryRegistry, type MirrorService, type MirrorServiceOptions } from '../src/mirror/index.js';
import { ControlRegistry } from '../src/mirror/control-registry.js';
import { migrate } from '../src/control/index.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';

export interface Warehouse {
  dir: string;
  storage: Storage;
  spillDir: string;
  cleanup(): Promise<void>;
}

export function makeWarehouse(prefix = 'lg-mirror-'): Warehouse {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // derived files (deletion-vector copies) stay inside the warehouse, not in the shared default cache
  const storage = openStorage(`file://${dir}/wh`, { cacheDir: join(dir, 'cache') });
  return {
    dir,
    storage,
    spillDir: join(dir, 'spill'),
    async cleanup() {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function makeDuck(dir: string): Promise<SharedDuckDB> {
  return openDuckDB({ threads: 2, memoryLimit: '512MB', tempDir: join(dir, 'duck-tmp') });
}

/** rows of a query on Postgres as canonical JSON strings, sorted */
export async function pgRows(client: pg.ClientBase, sql: string): Promise<string[]> {
  const r = await client.query({ text: sql, rowMode: 'array' });
  return r.rows.map((row: unknown[]) => JSON.stringify(row.map(norm))).sort();
}

/** rows of a DuckDB query, same shape */
export async function duckRows(duck: SharedDuckDB, sql: string): Promise<string[]> {
  const c = await duck.connect();
  try {
    const r = await c.runAndReadAll(sql);
    return r.getRowsJS().map((row) => JSON.stringify(row.map(norm))).sort();
  } finally {
    c.closeSync();
  }
}

/** rows of a ClickHouse query over the Iceberg table at `location` (file:// URI; $TABLE in `select`) */
export function chRows(location: string, select: string): string[] {
  const path = location.replace(/^file:\/\//, '');
  const sql = select.replace('$TABLE', `icebergLocal('${path}')`);
  const prev = process.cwd();
  process.chdir('/');
  try {
    const out = chQuery(sql, 'JSONCompactEachRow');
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.stringify((JSON.parse(l) as unknown[]).map(norm)))
      .sort();
  } finally {
    process.chdir(prev);
  }
}

/** one canonical form for values coming from pg, DuckDB and ClickHouse */
export function norm(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(norm);
  if (Buffer.isBuffer(v)) return v.toString('hex');
  return String(v);
}

/** SELECT over a live mirror's view, or fail */
export function viewOf(svc: MirrorService, ref: number | string): string {
  const sql = svc.mirrorSql(ref);
  if (!sql) throw new Error(`mirror ${String(ref)} not live`);
  return sql;
}

export async function currentLsn(client: pg.ClientBase): Promise<bigint> {
  const r = await client.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l');
  const [hi, lo] = r.rows[0]!.l.split('/');
  return (BigInt('0x' + hi) << 32n) | BigInt('0x' + lo!);
}

/** A Postgres with the control plane migrated, a warehouse, DuckDB, and a way to start the mirror service on them. */
export interface ControlFixture {
  server: TestPostgres;
  wh: Warehouse;
  duck: SharedDuckDB;
  client: pg.Client;
  pool: pg.Pool;
  /** the service with quiet test settings (no idle/age flushes, fast ticks), overridden by `o` */
  startSvc(o?: Partial<MirrorServiceOptions>): Promise<MirrorService>;
  close(svc?: MirrorService): Promise<void>;
}

export async function startControlFixture(): Promise<ControlFixture> {
  const server = await startPostgres();
  const wh = makeWarehouse();
  const duck = await makeDuck(wh.dir);
  const client = await server.client();
  const pool = new pg.Pool({ host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres', max: 3 });
  await migrate(pool);
  return {
    server,
    wh,
    duck,
    client,
    pool,
    startSvc: (o = {}) =>
      startMirrorService({
        upstream: { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' },
        storage: wh.storage,
        duckdb: duck,
        registry: new ControlRegistry(pool),
        options: { spillDir: wh.spillDir, idleFlushMs: 0, flushAgeMs: 3_600_000, flushRows: 1_000_000, tickMs: 50, ackIntervalMs: 100, maintenanceIntervalMs: 0, ...o },
      }),
    async close(svc) {
      await svc?.stop();
      await pool.end();
      await client.end();
      duck.close();
      await server.destroy();
      await wh.cleanup();
    },
  };
}

export async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface MemoryFixture {
  server: TestPostgres;
  wh: Warehouse;
  duck: SharedDuckDB;
  client: pg.Client;
  registry: MemoryRegistry;
  svc: MirrorService;
  close(): Promise<void>;
}

/** Postgres + warehouse + DuckDB + a mirror service on an in-memory registry, with quiet test settings. */
export async function startMemoryFixture(prefix?: string): Promise<MemoryFixture> {
  const server = await startPostgres();
  const wh = makeWarehouse(prefix);
  const duck = await makeDuck(wh.dir);
  const client = await server.client();
  const registry = new MemoryRegistry();
  const svc = await startMirrorService({
    upstream: { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' },
    storage: wh.storage,
    duckdb: duck,
    registry,
    options: { spillDir: wh.spillDir, idleFlushMs: 0, flushAgeMs: 3_600_000, flushRows: 1_000_000, tickMs: 50, maintenanceIntervalMs: 0 },
  });
  return {
    server,
    wh,
    duck,
    client,
    registry,
    svc,
    async close() {
      await svc.stop();
      await client.end();
      duck.close();
      await server.destroy();
      await wh.cleanup();
    },
  };
}
