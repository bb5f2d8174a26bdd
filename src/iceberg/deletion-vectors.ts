// Format v3 deletes: one deletion vector per data file, all vectors of a commit in one Puffin file. A later
// delete on a file ORs its old vector with the new positions into a new vector and replaces the old entry
// (spec: at most one vector per data file per snapshot).
//
// Readers here use DuckDB's Parquet reader only, so each vector is also materialised once as a small local
// Parquet file of (file_path, pos) — the shape of a v2 position-delete file — in the storage's cache directory.
// Every reader of position deletes then handles vectors unchanged. Vectors are immutable, so the cache never
// goes stale; it lives at dv/<hash of the Puffin URI>/<offset>.parquet, so deleting a Puffin file (snapshot
// expiry, orphan removal) drops its vectors' cache with it.
import type { DuckDBConnection } from '@duckdb/node-api';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Storage } from '../storage/storage.js';
import { deleteFileKey, FileContent, type DataFile } from './manifest.js';
import { quoteIdent, quoteLiteral } from './parquet.js';
import { decodeDeletionVector, encodeDeletionVector, ROW_POSITION_FIELD_ID, writePuffin } from './puffin.js';

export interface VectorRef {
  uri: string;
  offset: number;
  length: number;
}

export interface WrittenVector {
  /** manifest entry of the vector */
  file: DataFile;
  /** local (file_path, pos) Parquet of it */
  local: string;
}

/** the deleteFileKey of a vector */
const vectorKey = (v: VectorRef) => deleteFileKey({ filePath: v.uri, fileFormat: 'PUFFIN', contentOffset: v.offset });

/** Row positions of a deletion vector in storage. */
export async function readDeletionVector(storage: Storage, v: VectorRef): Promise<number[]> {
  return decodeDeletionVector(await storage.getRange(v.uri, v.offset, v.length));
}

const cacheDirOf = (storage: Storage, puffinUri: string) =>
  join(storage.cacheDir, 'dv', createHash('sha256').update(puffinUri).digest('hex').slice(0, 40));

const cachePath = (storage: Storage, puffinUri: string, offset: number) => join(cacheDirOf(storage, puffinUri), `${offset}.parquet`);

/** Forget the local copies of the vectors in a Puffin file that was deleted from storage. */
export async function dropVectorCache(storage: Storage, puffinUri: string): Promise<void> {
  await rm(cacheDirOf(storage, puffinUri), { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Write `positions` of `dataFile` as a (file_path, pos) Parquet file at `path` (atomically). */
async function writePositionsParquet(conn: DuckDBConnection, dataFile: string, positions: ArrayLike<number> & Iterable<number>, path: string): Promise<void> {
  const t = `lg_dv_${randomUUID().replace(/-/g, '')}`;
  const tmp = `${path}.${randomUUID()}.tmp`;
  await mkdir(join(path, '..'), { recursive: true });
  await conn.run(`CREATE TEMP TABLE ${quoteIdent(t)} (pos BIGINT)`);
  try {
    const app = await conn.createAppender(t, 'main', 'temp');
    try {
      for (const p of positions) {
        app.appendBigInt(BigInt(p));
        app.endRow();
      }
      app.flushSync();
    } finally {
      app.closeSync();
    }
    await conn.run(
      `COPY (SELECT ${quoteLiteral(dataFile)} AS file_path, pos FROM temp.${quoteIdent(t)} ORDER BY pos) ` +
        `TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS temp.${quoteIdent(t)}`);
  }
}

/** The local (file_path, pos) Parquet of a committed vector, made on first use. */
export async function materialiseDeletionVector(
  conn: DuckDBConnection,
  storage: Storage,
  v: VectorRef,
  referencedDataFile: string,
): Promise<string> {
  const path = cachePath(storage, v.uri, v.offset);
  if (await exists(path)) return path;
  await writePositionsParquet(conn, referencedDataFile, await readDeletionVector(storage, v), path);
  return path;
}

/**
 * Write deletion vectors for the (file_path, pos) rows of `selectSql` into one Puffin file at `uri`, merged
 * with each data file's current vector (`current`: data file URI → its live vector). Returns the new manifest
 * entries with their local Parquet, and the deleteFileKeys of the vectors they replace. Nothing is committed.
 */
export async function writeDeletionVectors(
  conn: DuckDBConnection,
  storage: Storage,
  uri: string,
  selectSql: string,
  current: ReadonlyMap<string, VectorRef>,
): Promise<{ written: WrittenVector[]; replaced: string[] }> {
  const reader = await conn.runAndReadAll(`SELECT file_path, pos FROM (${selectSql}) ORDER BY file_path, pos`);
  const byFile = new Map<string, number[]>();
  for (const [file, pos] of reader.getRows() as [string, bigint | number][]) {
    let list = byFile.get(file);
    if (!list) byFile.set(file, (list = []));
    list.push(Number(pos));
  }
  if (byFile.size === 0) return { written: [], replaced: [] };
  const replaced: string[] = [];
  const blobs: { dataFile: string; sorted: Float64Array; blob: Buffer; cardinality: number }[] = [];
  for (const [dataFile, positions] of byFile) {
    let all = positions;
    const old = current.get(dataFile);
    if (old) {
      all = [...(await readDeletionVector(storage, old)), ...positions];
      replaced.push(vectorKey(old));
    }
    blobs.push({ dataFile, ...encodeDeletionVector(all) });
  }
  const puffin = writePuffin(
    blobs.map((b) => ({
      type: 'deletion-vector-v1',
      fields: [ROW_POSITION_FIELD_ID],
      data: b.blob,
      properties: { 'referenced-data-file': b.dataFile, cardinality: String(b.cardinality) },
    })),
    { 'created-by': 'lakegate' },
  );
  await storage.put(uri, puffin.bytes);
  const written: WrittenVector[] = [];
  try {
    for (let i = 0; i < blobs.length; i++) {
      const b = blobs[i]!;
      const meta = puffin.blobs[i]!;
      const file: DataFile = {
        content: FileContent.POSITION_DELETES,
        filePath: uri,
        fileFormat: 'PUFFIN',
        recordCount: b.cardinality,
        fileSizeInBytes: puffin.bytes.length,
        sortOrderId: null,
        referencedDataFile: b.dataFile,
        contentOffset: meta.offset,
        contentSizeInBytes: meta.length,
      };
      const local = cachePath(storage, uri, meta.offset);
      await writePositionsParquet(conn, b.dataFile, b.sorted, local);
      written.push({ file, local });
    }
  } catch (e) {
    await storage.delete(uri).catch(() => undefined);
    await dropVectorCache(storage, uri);
    throw e;
  }
  return { written, replaced };
}
