// The one DuckDB instance of a lakegate process. Mirrors keep their in-memory tail here and readers query
// mirror views here, so both must share one instance: DuckDB's MVCC then gives every reader a consistent
// point across all mirrors (a change-apply transaction commits all mirrors' effects at once).
//
// Memory: in-memory tables (the tails) spill to `tempDir` once `memoryLimit` is reached (verified: a 260 MB
// table under a 100 MB limit kept ~100 MB resident), so a 10M-row transaction does not need a file database.
// Settings are per instance (duckdb.md §7); async calls run on the libuv pool (default 4 threads).
import { mkdirSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { log } from '../log.js';

export interface DuckDBOptions {
  /** database file; default ':memory:' (the tail is rebuilt from the slot after a restart anyway) */
  path?: string;
  /** worker threads; default 2 */
  threads?: number;
  /** e.g. '2GB'; default DuckDB's (80 % of RAM) */
  memoryLimit?: string;
  /** where DuckDB spills when over memoryLimit; default DuckDB's (<path>.tmp, none for :memory:) */
  tempDir?: string;
}

export interface SharedDuckDB {
  readonly instance: DuckDBInstance;
  /** a new connection (each has its own transaction state); close it with closeSync() when done */
  connect(): Promise<DuckDBConnection>;
  /** reader connections */
  readonly pool: ConnectionPool;
  close(): void;
}

export interface ConnectionPool {
  /** a connection for one reader transaction: an idle one from the pool, else a new one */
  lease(): Promise<DuckDBConnection>;
  /**
   * The reader is done with `conn`: its transaction is rolled back (temp tables it created go with it) after
   * the caller's answer is out, and the connection waits in the pool for the next reader. Opening one is an
   * async DuckDB call (a libuv pool hop, 0.1–0.7 ms here), and a short mirror query makes only a few calls.
   */
  release(conn: DuckDBConnection): void;
  close(): void;
}

/** idle reader connections kept; more concurrent readers open (and later close) their own */
const POOL_MAX = 16;

function closeQuietly(conn: DuckDBConnection): void {
  try {
    conn.closeSync();
  } catch {
    // already gone
  }
}

export function connectionPool(open: () => Promise<DuckDBConnection>): ConnectionPool {
  let closed = false;
  const idle: DuckDBConnection[] = [];
  return {
    lease: () => (idle.length > 0 ? Promise.resolve(idle.pop()!) : open()),
    release(conn) {
      if (closed) return closeQuietly(conn);
      // a failed ROLLBACK (no transaction open, connection broken): not reused
      conn.run('ROLLBACK').then(
        () => (closed || idle.length >= POOL_MAX ? closeQuietly(conn) : idle.push(conn)),
        () => closeQuietly(conn),
      );
    },
    close() {
      closed = true;
      for (const c of idle.splice(0)) closeQuietly(c);
    },
  };
}

export async function openDuckDB(o: DuckDBOptions = {}): Promise<SharedDuckDB> {
  const settings: Record<string, string> = { threads: String(o.threads ?? 2) };
  if (o.memoryLimit) settings.memory_limit = o.memoryLimit;
  if (o.tempDir) {
    mkdirSync(o.tempDir, { recursive: true });
    settings.temp_directory = o.tempDir;
  }
  const instance = await DuckDBInstance.create(o.path ?? ':memory:', settings);
  // a fixed zone keeps DuckDB-side timestamptz casts deterministic (TimeZone needs icu, not autoloaded here)
  const c = await instance.connect();
  try {
    await c.run("LOAD icu; SET GLOBAL TimeZone = 'UTC'");
    // Mirror files are immutable (every write gets a new name), so a footer is parsed once and kept, not re-read
    // on every query: with ~100 columns and several files that is ~10 ms of CPU per query saved. DuckDB still
    // re-reads a footer when the file's modification time is newer than its cached copy.
    await c.run('LOAD parquet; SET GLOBAL parquet_metadata_cache = true');
  } finally {
    c.closeSync();
  }
  log.debug({ path: o.path ?? ':memory:', ...settings }, 'duckdb: instance open');
  let closed = false;
  const pool = connectionPool(() => instance.connect());
  return {
    instance,
    connect: () => instance.connect(),
    pool,
    close() {
      if (closed) return;
      closed = true;
      pool.close();
      instance.closeSync();
    },
  };
}
