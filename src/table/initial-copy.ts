// Initial copy sink: rows of a snapshot COPY (src/cdc TableCopy batches) → Iceberg data files, through a
// DuckDB staging table that is written out and emptied every `fileRows` rows, so memory stays bounded by
// one file's worth of rows (and DuckDB spills beyond its memory limit). Nothing is committed here: the caller
// commits all files in one snapshot once the copy is complete.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Value } from '../cdc/index.js';
import { quoteIdent as q, type DataFile, type IcebergTable } from '../iceberg/index.js';
import { appendFn } from './column-types.js';
import type { MirrorTable } from './mirror-table.js';

export interface CopyProgress {
  rows: number;
  files: number;
  bytes: number;
}

export interface CopySinkOptions {
  /** rows per data file; default 1,000,000 */
  fileRows?: number;
  /** called after each written file */
  onProgress?: (p: CopyProgress) => void | Promise<void>;
  /** paths of files written so far, for cleanup if the copy is abandoned */
  written?: string[];
}

export async function copyIntoIceberg(
  conn: DuckDBConnection,
  mt: MirrorTable,
  table: IcebergTable,
  batches: AsyncIterable<Value[][]>,
  o: CopySinkOptions = {},
): Promise<{ files: DataFile[]; rows: number }> {
  const stage = `lg_copy_${mt.id}`;
  const fileRows = o.fileRows ?? 1_000_000;
  const append = mt.columns.map((c) => appendFn(c));
  const n = mt.columns.length;
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(stage)} (${mt.columns.map((c) => `${q(c.name)} ${c.duckdb}`).join(', ')})`);
  const files: DataFile[] = [];
  const p: CopyProgress = { rows: 0, files: 0, bytes: 0 };
  let staged = 0;
  const writeOut = async () => {
    if (staged === 0) return;
    const f = await table.writeDataFile(conn, `SELECT ${mt.cols()} FROM temp.${q(stage)}`);
    o.written?.push(f.filePath);
    files.push(f);
    // recreate rather than DELETE: DuckDB keeps a temp table's deleted storage (~88 MB per 1M rows copied)
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${q(stage)} (${mt.columns.map((c) => `${q(c.name)} ${c.duckdb}`).join(', ')})`);
    p.files++;
    p.bytes += f.fileSizeInBytes;
    staged = 0;
    await o.onProgress?.({ ...p });
  };
  try {
    for await (const batch of batches) {
      const app = await conn.createAppender(stage, 'main', 'temp');
      try {
        for (const row of batch) {
          for (let i = 0; i < n; i++) append[i]!(app, row[i]!);
          app.endRow();
        }
        app.flushSync();
      } finally {
        app.closeSync();
      }
      staged += batch.length;
      p.rows += batch.length;
      if (staged >= fileRows) await writeOut();
    }
    await writeOut();
  } finally {
    await conn.run(`DROP TABLE IF EXISTS temp.${q(stage)}`);
  }
  return { files, rows: p.rows };
}
