// Initial copy sink: rows of a snapshot COPY (src/cdc TableCopy batches) → Iceberg data files, through a
// DuckDB staging table that is written out and emptied every `fileRows` rows, so memory stays bounded by
// a file's worth of rows (and DuckDB spills beyond its memory limit). Nothing is committed here: the caller
// commits all files in one snapshot once the copy is complete.
//
// With a second connection (`connect`), staging is double-buffered: while DuckDB writes file N from one
// connection's staging table (on its own threads), the COPY stream keeps being decoded and appended into the
// other's, so Postgres is not kept waiting for the Parquet write. At most two files' rows are staged at once.
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { cellValue, type ColumnBatch, type Value } from '../cdc/index.js';
import { quoteIdent as q, type DataFile, type IcebergTable } from '../iceberg/index.js';
import { ChunkAppender, chunkable } from './chunk-append.js';
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
  /** opens a second connection to overlap staging with the Parquet writes; without it they alternate */
  connect?: () => Promise<DuckDBConnection>;
}

interface Slot {
  conn: DuckDBConnection;
  stage: string;
  staged: number;
  app: DuckDBAppender | null;
  /** the Parquet write (and the staging table's reset) of what this slot staged last, if under way */
  writing: Promise<void> | null;
}

export async function copyIntoIceberg(
  conn: DuckDBConnection,
  mt: MirrorTable,
  table: IcebergTable,
  batches: AsyncIterable<Value[][] | ColumnBatch>,
  o: CopySinkOptions = {},
): Promise<{ files: DataFile[]; rows: number }> {
  const fileRows = o.fileRows ?? 1_000_000;
  const append = mt.columns.map((c) => appendFn(c));
  const chunks = chunkable(mt.columns) ? new ChunkAppender(mt.columns) : null;
  const n = mt.columns.length;
  const createStage = (s: Slot) =>
    s.conn.run(`CREATE OR REPLACE TEMP TABLE ${q(s.stage)} (${mt.columns.map((c) => `${q(c.name)} ${c.duckdb}`).join(', ')})`);
  const slots: Slot[] = [{ conn, stage: `lg_copy_${mt.id}`, staged: 0, app: null, writing: null }];
  const files: DataFile[] = [];
  const p: CopyProgress = { rows: 0, files: 0, bytes: 0 };
  let failure: unknown = null;

  /** write the slot's rows as file number `index`; runs in the background, failures surface at the next wait */
  const writeOut = (s: Slot, index: number): void => {
    s.staged = 0;
    closeAppender(s);
    s.writing = (async () => {
      // zstd level 1: ~25 % less write time than the default level for ~8 % larger files; compaction rewrites
      // long-lived files at the default level
      const f = await table.writeDataFile(s.conn, `SELECT ${mt.cols()} FROM temp.${q(s.stage)}`, { compressionLevel: 1 });
      o.written?.push(f.filePath);
      files[index] = f;
      // recreate rather than DELETE: DuckDB keeps a temp table's deleted storage (~88 MB per 1M rows copied)
      await createStage(s);
      p.files++;
      p.bytes += f.fileSizeInBytes;
      await o.onProgress?.({ ...p });
    })().catch((e: unknown) => {
      failure ??= e;
    });
  };
  const closeAppender = (s: Slot): void => {
    const app = s.app;
    s.app = null;
    if (app) {
      try {
        app.flushSync();
      } finally {
        app.closeSync();
      }
    }
  };
  const settle = async (s: Slot): Promise<void> => {
    if (s.writing) await s.writing;
    s.writing = null;
    if (failure) throw failure;
  };

  try {
    await createStage(slots[0]!);
    if (o.connect) {
      const s: Slot = { conn: await o.connect(), stage: `lg_copy_${mt.id}_b`, staged: 0, app: null, writing: null };
      slots.push(s);
      await createStage(s);
    }
    let cur = 0;
    let nextFile = 0;
    for await (const batch of batches) {
      if (failure) throw failure;
      const s = slots[cur]!;
      // one appender per staged file: opening one is a round trip through the thread pool
      const app = (s.app ??= await s.conn.createAppender(s.stage, 'main', 'temp'));
      const rows = Array.isArray(batch) ? batch.length : batch.rows;
      if (!Array.isArray(batch)) {
        if (chunks) {
          chunks.begin(app);
          chunks.appendBatch(batch);
          chunks.finish();
        } else {
          for (let r = 0; r < batch.rows; r++) {
            for (let i = 0; i < n; i++) append[i]!(app, cellValue(batch.columns[i]!, r));
            app.endRow();
          }
        }
      } else if (chunks) {
        chunks.begin(app);
        for (const row of batch) {
          for (let i = 0; i < n; i++) chunks.set(i, row[i]!);
          chunks.endRow();
        }
        chunks.finish();
      } else {
        for (const row of batch) {
          for (let i = 0; i < n; i++) append[i]!(app, row[i]!);
          app.endRow();
        }
      }
      s.staged += rows;
      p.rows += rows;
      if (s.staged >= fileRows) {
        writeOut(s, nextFile++);
        cur = (cur + 1) % slots.length;
        await settle(slots[cur]!);
      }
    }
    const last = slots[cur]!;
    if (last.staged > 0) writeOut(last, nextFile++);
    for (const s of slots) await settle(s);
  } finally {
    for (const s of slots) {
      try {
        s.app?.closeSync();
      } catch {
        // the copy failed already; the staging table is dropped below
      }
      s.app = null;
    }
    // nothing may still be writing once the caller cleans up after a failure
    for (const s of slots) await s.writing?.catch(() => undefined);
    for (const s of slots) await s.conn.run(`DROP TABLE IF EXISTS temp.${q(s.stage)}`).catch(() => undefined);
    for (const s of slots.slice(1)) s.conn.closeSync();
  }
  return { files, rows: p.rows };
}
