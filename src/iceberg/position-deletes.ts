// v2 position-delete files (spec §Position Delete Files): Parquet rows (file_path, pos) with the reserved
// field ids, sorted by file_path then pos. A row deletes row number `pos` (0-based, = DuckDB file_row_number)
// of the data file whose manifest file_path equals `file_path` byte for byte.
import type { DuckDBConnection } from '@duckdb/node-api';
import { FileContent } from './manifest.js';
import { copyWithStats, quoteLiteral, type ParquetWriteOptions, type WrittenFile } from './parquet.js';
import type { NestedField } from './schema.js';

export const DELETE_FILE_PATH_ID = 2147483546;
export const DELETE_POS_ID = 2147483545;

export const POSITION_DELETE_FIELDS: readonly NestedField[] = [
  { id: DELETE_FILE_PATH_ID, name: 'file_path', required: true, type: 'string' },
  { id: DELETE_POS_ID, name: 'pos', required: true, type: 'long' },
];

/**
 * Write the (file_path, pos) rows of `selectSql` as a position-delete file at `localPath`, sorted as the spec
 * requires. file_path bounds are kept whole (not truncated) so readers can tell which data files it touches;
 * when it touches only one, referenced_data_file is set.
 */
export async function writePositionDeletesFromDuckDB(
  conn: DuckDBConnection,
  selectSql: string,
  localPath: string,
  opts: ParquetWriteOptions = {},
): Promise<WrittenFile> {
  const sql =
    `SELECT CAST(file_path AS VARCHAR) AS file_path, CAST(pos AS BIGINT) AS pos ` +
    `FROM (${selectSql}) AS lakegate_del ORDER BY file_path, pos`;
  const m = await copyWithStats(conn, sql, localPath, POSITION_DELETE_FIELDS, {
    ...opts,
    fullBoundIds: new Set([DELETE_FILE_PATH_ID]),
  });
  const lo = m.lowerBounds?.get(DELETE_FILE_PATH_ID);
  const hi = m.upperBounds?.get(DELETE_FILE_PATH_ID);
  const single = lo && hi && lo.equals(hi) ? lo.toString('utf8') : null;
  return {
    content: FileContent.POSITION_DELETES,
    fileFormat: 'PARQUET',
    sortOrderId: null,
    ...(single ? { referencedDataFile: single } : {}),
    ...m,
  };
}

/** SQL for a VALUES list of (file_path, pos) pairs — handy for small deletes and tests. */
export function positionsValuesSql(rows: readonly { filePath: string; pos: number | bigint }[]): string {
  if (rows.length === 0) return 'SELECT NULL::VARCHAR AS file_path, NULL::BIGINT AS pos WHERE false';
  return `SELECT * FROM (VALUES ${rows.map((r) => `(${quoteLiteral(r.filePath)}, ${BigInt(r.pos)})`).join(', ')}) AS t(file_path, pos)`;
}
