// Shared pieces of the mirror tests (not a test file): a warehouse dir, DuckDB, reading a mirror through
// the service's view, and reading its Iceberg table with ClickHouse (chdb) — an engine that shares no code
// with lakegate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query as chQuery } from 'chdb';
import type pg from 'pg';
import { openDuckDB, type SharedDuckDB } from '../src/engine/duckdb.js';
import { openStorage, type Storage } from '../src/storage/index.js';
import type { MirrorService } from '../src/mirror/index.js';

export interface Warehouse {
  dir: string;
  storage: Storage;
  spillDir: string;
  cleanup(): Promise<void>;
}

export function makeWarehouse(prefix = 'lg-mirror-'): Warehouse {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const storage = openStorage(`file://${dir}/wh`);
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
