// Flush: move a mirror's tail and pending deletes into one Iceberg snapshot, without stopping apply for long.
//
//  1. cut (between source transactions): open a DuckDB read transaction on the flush connection — the state
//     at LSN W (every transaction with commit LSN < W applied) — and note the highest tail rowid R.
//  2. in that snapshot, apply running meanwhile: tail rows (ORDER BY _lg_rowid) → one data file; pending
//     deletes (delpos, delkeys/delrows resolved against the live base by one scan) → one position-delete file.
//  3. commit an Iceberg snapshot with summary lakegate.flush-lsn = W (a TRUNCATE also removes every old file).
//  4. swap (between source transactions, one DuckDB transaction): drop tail rows <= R; rows <= R deleted after
//     the cut (lg_gone) become delpos against the new file; drop delete entries older than W; new base + view.
//
// Only after 4 does the mirror's durable LSN become W (the ack follows). A crash between 3 and 4 is harmless:
// on restart the snapshot says W and the slot replays everything from the older ack, of which transactions
// with commit LSN < W are skipped for this mirror.
import type { DuckDBConnection } from '@duckdb/node-api';
import { formatLsn, type Lsn } from '../cdc/index.js';
import { decodeSingleValue, deleteFileKey, quoteIdent as q, quoteLiteral, type DataFile, type WrittenVector } from '../iceberg/index.js';
import { log } from '../log.js';
import { baseDataFile, flushSummary, snapshotFlushLsn, type BaseDataFile, type BaseState } from './base.js';
import { delaypoint, failpoint } from './failpoint.js';
import { MirrorStateLostError, type ApplyGate } from './gate.js';
import type { MirrorState } from './mirror-state.js';
import { rebuildTailFilter, TailKeyFilter } from './tail-filter.js';

const log_ = log.child({ mod: 'flush' });

export const ROW_COUNT_PROPERTY = 'lakegate.row-count';

export interface FlushResult {
  mirrorId: number;
  flushLsn: Lsn;
  snapshotId: bigint;
  rowsWritten: number;
  deletesWritten: number;
  truncated: boolean;
  rowCount: number;
  dataFiles: number;
  ms: number;
}

async function scalar(conn: DuckDBConnection, sql: string): Promise<number> {
  const r = await conn.runAndReadAll(sql);
  return Number(r.getRows()[0]![0] as bigint | number);
}

/** (local path, uri) pairs of the base data files as a VALUES list */
function fileMapSql(base: BaseState): string {
  return base.dataFiles.map((f) => `(${quoteLiteral(f.local)}, ${quoteLiteral(f.uri)})`).join(', ');
}

/**
 * Base files that may hold rows named by pending key/row deletes (in the flush's snapshot): none without
 * such deletes; for a single integer or text key, files whose key bounds overlap the deleted keys' range.
 */
async function filesToResolve(conn: DuckDBConnection, st: MirrorState, base: BaseState): Promise<BaseDataFile[]> {
  const t = st.table;
  const n = await scalar(conn, `SELECT count(*) FROM ${q(t.deletes)}`);
  if (n === 0) return [];
  if (!t.keyed || t.keyColumns.length !== 1) return base.dataFiles;
  const col = t.keyColumns[0]!;
  const field = base.schema.fields.find((f) => f.name === col.name);
  if (!field || col.isList || !['int', 'long', 'string'].includes(col.scalar)) return base.dataFiles;
  const r = (await conn.runAndReadAll(`SELECT min(${q(col.name)}), max(${q(col.name)}) FROM ${q(t.delkeys)}`)).getRows()[0]!;
  const type = col.scalar as 'int' | 'long' | 'string';
  const cmp = (a: unknown, b: unknown): number =>
    type === 'string' ? Buffer.compare(Buffer.from(String(a)), Buffer.from(String(b))) : a! < b! ? -1 : a! > b! ? 1 : 0;
  const norm = (v: unknown) => (type === 'long' ? BigInt(v as bigint) : type === 'int' ? Number(v) : v);
  const lo = norm(r[0]);
  const hi = norm(r[1]);
  return base.dataFiles.filter((f) => {
    const fl = f.lowerBounds?.get(field.id);
    const fh = f.upperBounds?.get(field.id);
    if (fh && cmp(decodeSingleValue(type, fh), lo) < 0) return false;
    if (fl && cmp(decodeSingleValue(type, fl), hi) > 0) return false;
    return true;
  });
}

/**
 * The tail filter once the swap removed the flushed rows: what is left entered the tail after the cut, so the
 * keys recorded since then are enough (deleted ones only cost a probe); without them, read the tail back.
 */
async function tailFilterAfterSwap(conn: DuckDBConnection, st: MirrorState): Promise<TailKeyFilter> {
  if (st.tailRows === 0) return new TailKeyFilter();
  const keys = st.keysSinceCut;
  if (!keys) return rebuildTailFilter(conn, st.table, st.tailRows);
  const f = new TailKeyFilter(st.tailRows * 16);
  for (const k of keys) f.add(k);
  return f;
}

/**
 * Flush one mirror. Returns null when it had nothing to flush. Throws MirrorStateLostError when the Iceberg
 * commit succeeded but DuckDB could not follow (the caller must rebuild the mirror from Iceberg).
 */
export async function flushMirror(
  gate: ApplyGate,
  flushConn: DuckDBConnection,
  st: MirrorState,
  /** false once the mirror stopped being the live one (dropped, resynced): its DuckDB tables are not its own */
  alive: () => boolean = () => true,
): Promise<FlushResult | null> {
  const t = st.table;
  const started = Date.now();
  // 1. cut
  const cut = await gate.exclusive(async (_conn, appliedLsn) => {
    if (!st.dirty || !alive()) return null;
    const lsn = appliedLsn > st.durableLsn ? appliedLsn : st.durableLsn;
    await flushConn.run('BEGIN TRANSACTION');
    await flushConn.run(`SELECT count(*) FROM ${q(t.tail)}`); // DuckDB takes the snapshot at first table access
    st.startFlushCut({ rowid: st.nextRowid - 1, lsn });
    return { lsn, rowid: st.nextRowid - 1, truncateLsn: st.truncateLsn, base: st.base, baseRows: st.baseRows, atMs: Date.now() };
  });
  if (!cut) return null;
  const truncated = cut.truncateLsn !== null;
  const base = cut.base;
  const table = st.iceberg;
  const added: DataFile[] = [];
  let rowsWritten = 0;
  let deletesWritten = 0;
  let committed = false;
  try {
    await delaypoint('flush-cut');
    // 2. files, in the cut's snapshot
    rowsWritten = await scalar(flushConn, `SELECT count(*) FROM ${q(t.tail)}`);
    let dataFile: DataFile | null = null;
    if (rowsWritten > 0) {
      dataFile = await table.writeDataFile(flushConn, `SELECT ${t.cols()} FROM ${q(t.tail)} ORDER BY _lg_rowid`, {
        kvMetadata: { 'lakegate.flush-lsn': formatLsn(cut.lsn) },
        compressionLevel: 1, // fast on the flush path, like the copy (initial-copy.ts)
      });
      added.push(dataFile);
    }
    let deleteFile: DataFile | null = null;
    // format v3: deletion vectors (each merged with the file's current one, which it replaces)
    let vectors: { written: WrittenVector[]; replaced: string[] } | null = null;
    if (!truncated && base.dataFiles.length > 0) {
      // pending key/row deletes are resolved by one scan of the live base — of the files whose key range
      // can hold them, and not at all when there are none
      const scanned = await filesToResolve(flushConn, st, base);
      const live = scanned.length > 0 ? t.liveBaseSql({ ...base, dataFiles: scanned }) : null;
      const positions =
        `SELECT _lg_local AS _lg_f, _lg_pos AS _lg_p FROM ${q(t.delpos)}` +
        (live ? ` UNION ALL ${t.deletedBasePositionsSql(live)}` : '');
      const sql = `SELECT m.uri AS file_path, p._lg_p AS pos FROM (${positions}) p JOIN (VALUES ${fileMapSql(base)}) m(local, uri) ON m.local = p._lg_f`;
      const n = await scalar(flushConn, `SELECT count(*) FROM (${sql})`);
      if (n > 0 && table.formatVersion >= 3) {
        vectors = await table.writeDeletionVectors(flushConn, sql);
        deletesWritten = n;
        if (vectors.written.length > 0) added.push(vectors.written[0]!.file); // one Puffin file holds them all
      } else if (n > 0) {
        deleteFile = await table.writePositionDeleteFile(flushConn, sql);
        deletesWritten = deleteFile.recordCount;
        added.push(deleteFile);
      }
    }
    await flushConn.run('ROLLBACK');

    // 3. commit
    const rowCount = (truncated ? 0 : cut.baseRows - deletesWritten) + rowsWritten;
    failpoint('before-iceberg-commit');
    const snapshot = await table.commit({
      addDataFiles: dataFile ? [dataFile] : [],
      addDeleteFiles: deleteFile ? [deleteFile] : (vectors?.written.map((v) => v.file) ?? []),
      removeDataFiles: truncated ? base.dataFiles.map((f) => f.uri) : [],
      removeDeleteFiles: truncated ? base.deleteFiles.map((f) => f.uri) : (vectors?.replaced ?? []),
      summary: { ...flushSummary(cut.lsn), [ROW_COUNT_PROPERTY]: String(rowCount) },
      validate: (m) => {
        const cur = m.snapshots.find((s) => s['snapshot-id'] === m['current-snapshot-id']) ?? null;
        if (snapshotFlushLsn(cur) !== base.flushLsn) throw new Error(`${t.spec.name}: Iceberg table changed under the flush`);
      },
    });
    committed = true;
    failpoint('after-iceberg-commit');

    // the new base, built from the old one (no manifest re-read)
    const seq = snapshot['sequence-number'];
    const newBase: BaseState = {
      snapshotId: snapshot['snapshot-id'],
      flushLsn: cut.lsn,
      schema: table.schema,
      defaults: st.base.defaults,
      dataFiles: truncated ? [] : [...base.dataFiles],
      deleteFiles: truncated ? [] : [...base.deleteFiles],
    };
    let newLocal: string | null = null;
    if (dataFile) {
      newLocal = await table.storage.localPath(dataFile.filePath);
      newBase.dataFiles.push(baseDataFile(dataFile, newLocal, seq));
    }
    if (vectors) {
      const replaced = new Set(vectors.replaced);
      newBase.deleteFiles = newBase.deleteFiles.filter((d) => !replaced.has(d.uri));
      for (const v of vectors.written) {
        newBase.deleteFiles.push({
          uri: deleteFileKey(v.file),
          local: v.local,
          seq,
          recordCount: v.file.recordCount,
          sizeBytes: v.file.contentSizeInBytes ?? 0,
          referencedDataFile: v.file.referencedDataFile ?? null,
        });
      }
    }
    if (deleteFile) {
      newBase.deleteFiles.push({
        uri: deleteFile.filePath,
        local: await table.storage.localPath(deleteFile.filePath),
        seq,
        recordCount: deleteFile.recordCount,
        sizeBytes: deleteFile.fileSizeInBytes,
        referencedDataFile: deleteFile.referencedDataFile ?? null,
      });
    }

    // 4. swap
    const swapped = await gate.exclusive(async (conn) => {
      // a resync replaced the mirror meanwhile: its copy supersedes this commit, and these tables are not ours
      if (!alive()) return false;
      // an insert-only stream leaves lg_gone and the delete tables empty: no statement for them, which keeps
      // this section (apply waits for it, and so do strict readers) short
      const gone = st.goneWritten && (await scalar(conn, `SELECT count(*) FROM ${q(t.gone)}`)) > 0;
      if (newLocal !== null && gone) {
        // position of a flushed row in the new file = its rank among the rows the cut saw
        await conn.run(
          `INSERT INTO ${q(t.delpos)} SELECT ${quoteLiteral(newLocal)}, n.pos, g._lg_lsn FROM ` +
            `(SELECT r, row_number() OVER (ORDER BY r) - 1 AS pos FROM (` +
            `SELECT _lg_rowid AS r FROM ${q(t.tail)} WHERE _lg_rowid <= ${cut.rowid} UNION ALL SELECT _lg_rowid FROM ${q(t.gone)})) n ` +
            `JOIN ${q(t.gone)} g ON g._lg_rowid = n.r`,
        );
      }
      const dropped = await conn.run(`DELETE FROM ${q(t.tail)} WHERE _lg_rowid <= ${cut.rowid}`);
      if (gone) await conn.run(`DELETE FROM ${q(t.gone)}`);
      // pendingDeletes counts every row written to the delete tables: 0 means both are empty
      if (gone || st.pendingDeletes > 0) {
        await conn.run(`DELETE FROM ${q(t.deletes)} WHERE _lg_lsn < ${cut.lsn}`);
        await conn.run(`DELETE FROM ${q(t.delpos)} WHERE _lg_lsn < ${cut.lsn}`);
        st.pendingDeletes =
          (await scalar(conn, `SELECT count(*) FROM ${q(t.deletes)}`)) + (await scalar(conn, `SELECT count(*) FROM ${q(t.delpos)}`));
      }
      st.tailRows -= dropped.rowsChanged;
      if (st.tailKeys) st.tailKeys = await tailFilterAfterSwap(conn, st);
      st.base = newBase;
      st.baseRows = rowCount;
      if (st.truncateLsn !== null && st.truncateLsn < cut.lsn) st.truncateLsn = null;
      await conn.run(t.viewSql(newBase, { truncated: st.truncateLsn !== null }));
      st.endFlushCut();
      st.dirtySinceMs = st.lastChangeLsn >= cut.lsn ? cut.atMs : null;
      return true;
    });
    if (!swapped) return null;
    failpoint('after-flush-swap');
    const ms = Date.now() - started;
    log_.debug({ mirror: t.spec.name, lsn: formatLsn(cut.lsn), rows: rowsWritten, deletes: deletesWritten, truncated, ms }, 'flushed');
    return {
      mirrorId: t.id,
      flushLsn: cut.lsn,
      snapshotId: snapshot['snapshot-id'],
      rowsWritten,
      deletesWritten,
      truncated,
      rowCount,
      dataFiles: newBase.dataFiles.length,
      ms,
    };
  } catch (e) {
    if (committed) throw new MirrorStateLostError(`${t.spec.name}: flush committed to Iceberg but the swap failed`, { cause: e });
    await flushConn.run('ROLLBACK').catch(() => undefined);
    await table.deleteFiles(added.map((f) => f.filePath)).catch(() => undefined);
    await gate.exclusive(async (conn) => {
      if (alive()) await conn.run(`DELETE FROM ${q(t.gone)}`);
      st.endFlushCut();
    }).catch(() => undefined);
    throw e;
  }
}
