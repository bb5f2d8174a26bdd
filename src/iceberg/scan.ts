// Scan planning (spec §Scan Planning, unpartitioned): the live data files of a snapshot plus the delete files
// that can still apply to them. A position delete applies to a data file when data.seq <= delete.seq and
// its file_path names the file; delete files that can match no live data file are left out of the plan.
import { deleteFileKey, EntryStatus, FileContent, isDeletionVector, type DataFile } from './manifest.js';
import { ManifestContent } from './manifest-list.js';
import type { ManifestIO } from './manifest-io.js';
import { currentSchema, currentSnapshot, schemaById, snapshotById, type TableMetadata } from './metadata.js';
import { DELETE_FILE_PATH_ID } from './position-deletes.js';
import type { Schema } from './schema.js';

export interface ScanDataFile {
  path: string;
  recordCount: number;
  fileSizeBytes: number;
  /** data sequence number */
  seq: number;
  dataFile: DataFile;
}

export interface ScanDeleteFile {
  /** the file's URI; for a v3 deletion vector `URI#offset` (deleteFileKey: many vectors share a Puffin file) */
  path: string;
  /** v3 deletion vector: where its blob is */
  vector: { uri: string; offset: number; length: number } | null;
  /** 1 position deletes, 2 equality deletes (never written by lakegate) */
  content: FileContent;
  recordCount: number;
  fileSizeBytes: number;
  seq: number;
  /** the only data file it touches, when known */
  referencedDataFile: string | null;
  dataFile: DataFile;
}

export interface ScanPlan {
  snapshotId: bigint | null;
  sequenceNumber: number;
  /** current schema, or the snapshot's schema when planning an older snapshot */
  schema: Schema;
  dataFiles: ScanDataFile[];
  deleteFiles: ScanDeleteFile[];
  /** rows in data files, before deletes */
  recordCount: number;
}

export async function planScan(io: ManifestIO, meta: TableMetadata, snapshotId?: bigint): Promise<ScanPlan> {
  const snap = snapshotId === undefined ? currentSnapshot(meta) : snapshotById(meta, snapshotId);
  const schema =
    snapshotId !== undefined && snap?.['schema-id'] !== undefined ? schemaById(meta, snap['schema-id']) : currentSchema(meta);
  const plan: ScanPlan = {
    snapshotId: snap?.['snapshot-id'] ?? null,
    sequenceNumber: snap?.['sequence-number'] ?? 0,
    schema,
    dataFiles: [],
    deleteFiles: [],
    recordCount: 0,
  };
  if (!snap) return plan;
  const manifests = await io.readList(snap['manifest-list']);
  const read = await Promise.all(manifests.map(async (mf) => ({ mf, entries: await io.readEntries(mf) })));
  const deletes: ScanDeleteFile[] = [];
  for (const { mf, entries } of read) {
    for (const e of entries) {
      if (e.status === EntryStatus.DELETED) continue;
      const f = e.dataFile;
      const seq = e.sequenceNumber ?? mf.sequenceNumber;
      if (mf.content === ManifestContent.DATA) {
        plan.dataFiles.push({ path: f.filePath, recordCount: f.recordCount, fileSizeBytes: f.fileSizeInBytes, seq, dataFile: f });
        plan.recordCount += f.recordCount;
      } else {
        deletes.push({
          path: deleteFileKey(f),
          vector: isDeletionVector(f) ? { uri: f.filePath, offset: f.contentOffset ?? 0, length: f.contentSizeInBytes ?? 0 } : null,
          content: f.content,
          recordCount: f.recordCount,
          fileSizeBytes: f.fileSizeInBytes,
          seq,
          referencedDataFile: f.referencedDataFile ?? null,
          dataFile: f,
        });
      }
    }
  }
  plan.deleteFiles = deletes.filter((d) => plan.dataFiles.some((f) => deleteMayApply(d, f)));
  return plan;
}

/** Can this delete file remove rows of this data file? (sequence numbers and file_path bounds) */
export function deleteMayApply(d: ScanDeleteFile, f: ScanDataFile): boolean {
  if (d.content === FileContent.EQUALITY_DELETES) return f.seq < d.seq;
  return f.seq <= d.seq && positionDeleteMayName(d, f.path);
}

/** Could this position-delete file contain rows for `path`? (referenced_data_file, else file_path bounds) */
export function positionDeleteMayName(d: ScanDeleteFile, path: string): boolean {
  if (d.referencedDataFile !== null) return d.referencedDataFile === path;
  const lo = d.dataFile.lowerBounds?.get(DELETE_FILE_PATH_ID);
  const hi = d.dataFile.upperBounds?.get(DELETE_FILE_PATH_ID);
  const p = Buffer.from(path, 'utf8');
  // bounds may be truncated prefixes (other writers): a prefix lower bound still sorts <= the path
  if (lo && Buffer.compare(lo, p) > 0) return false;
  if (hi && Buffer.compare(p, hi) > 0 && !p.subarray(0, hi.length).equals(hi)) return false;
  return true;
}
