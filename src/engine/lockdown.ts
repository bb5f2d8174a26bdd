// DuckDB safety. Clients never send SQL to DuckDB directly — the translator emits only SELECTs it built from
// whitelisted nodes — but the instance is locked as well: file access only under the warehouse/cache folders,
// no extension installs, no further configuration changes. Call once after the table layer has attached and
// loaded what it needs (settings are instance-wide and cannot be unlocked).
import type { DuckDBConnection } from '@duckdb/node-api';

export interface LockDownOptions {
  /** folders DuckDB may read and write (warehouse, download cache, spill directory) */
  allowedDirectories: string[];
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export async function lockDown(conn: DuckDBConnection, o: LockDownOptions): Promise<void> {
  const dirs = o.allowedDirectories.map((d) => (d.endsWith('/') ? d : d + '/'));
  await conn.run(`SET GLOBAL allowed_directories = [${dirs.map(literal).join(', ')}]`);
  await conn.run('SET GLOBAL autoinstall_known_extensions = false');
  await conn.run('SET GLOBAL autoload_known_extensions = false');
  await conn.run('SET GLOBAL enable_external_access = false');
  await conn.run('SET GLOBAL lock_configuration = true');
}
