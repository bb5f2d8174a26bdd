// Reading an Iceberg table's files back in tests (DuckDB, ClickHouse), shared by the local and S3 suites.
import type { DuckDBConnection } from '@duckdb/node-api';
import { query as chQuery } from 'chdb';
import { quoteLiteral, type DataFile, type IcebergTable } from '../../src/iceberg/index.js';

/** (file_path, pos) of the rows matching `where` in a data file: how CDC flush finds positions to delete. */
export async function positionsOf(t: IcebergTable, f: DataFile, where: string): Promise<string> {
  const local = await t.storage.localPath(f.filePath);
  return `SELECT ${quoteLiteral(f.filePath)} AS file_path, file_row_number AS pos FROM read_parquet(${quoteLiteral(local)}, file_row_number = true) WHERE ${where}`;
}

/** A DuckDB query's rows as JSON-safe objects. */
export async function duckRows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** ClickHouse JSONCompactEachRow output: one parsed row per non-empty line. */
export function jsonEachRow<T>(out: string): T[] {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** A ClickHouse (chdb) query run with `dir` as working directory: it only opens files under its cwd. */
export function clickhouseIn<T = unknown[]>(dir: string, sql: string): T[] {
  const prev = process.cwd();
  process.chdir(dir);
  try {
    return jsonEachRow<T>(chQuery(sql, 'JSONCompactEachRow'));
  } finally {
    process.chdir(prev);
  }
}
