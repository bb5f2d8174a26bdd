// Builds one new snapshot from a base table state (Java SnapshotProducer/MergingSnapshotProducer, reduced):
// new files go into fresh manifests; manifests untouched by removals are carried forward unchanged (fast
// append); a manifest that holds a removed file is rewritten with that entry DELETED and the rest EXISTING.
// Format v3 adds row lineage (first_row_id ranges handed out in the manifest list, materialised in rewritten
// manifests) and takes deletes only as deletion vectors, at most one live vector per data file.
import { CommitConflictError } from './commit.js';
import { deleteFileKey, EntryStatus, FileContent, isDeletionVector, type DataFile, type ManifestEntry } from './manifest.js';
import { ManifestContent, type ManifestFile } from './manifest-list.js';
import { ManifestIO } from './manifest-io.js';
import type { Schema } from './schema.js';
import {
  currentSchema,
  currentSnapshot,
  MAIN_BRANCH,
  type Snapshot,
  type SnapshotOperation,
  type TableMetadata,
} from './metadata.js';

/** One commit's worth of file changes. Paths are full URIs exactly as stored in manifests. */
export interface TableChanges {
  addDataFiles?: DataFile[];
  /** position-delete files (content 1): Parquet in v2, deletion vectors in v3 */
  addDeleteFiles?: DataFile[];
  /** data files to mark DELETED (compaction, rewrite) */
  removeDataFiles?: string[];
  /** delete files to mark DELETED, by deleteFileKey (merging delete files, dropping deletes of removed data files) */
  removeDeleteFiles?: string[];
  /** default: derived from the changes like Java's RowDelta/RewriteFiles */
  operation?: SnapshotOperation;
  /** extra summary properties, e.g. { 'lakegate.flush-lsn': '0/16B3748' } */
  summary?: Record<string, string>;
}

export interface ProducedSnapshot {
  /** base metadata plus the new snapshot as main (metadata-log not yet updated) */
  metadata: TableMetadata;
  snapshot: Snapshot;
  /** manifests and manifest list written for it: garbage if the commit then loses */
  writtenFiles: string[];
}

function inferOperation(c: TableChanges): SnapshotOperation {
  const addsData = (c.addDataFiles?.length ?? 0) > 0;
  const addsDeletes = (c.addDeleteFiles?.length ?? 0) > 0;
  const removesData = (c.removeDataFiles?.length ?? 0) > 0;
  const removes = removesData || (c.removeDeleteFiles?.length ?? 0) > 0;
  if (!addsDeletes && !removes) return 'append'; // also an empty commit that only records summary properties
  if (!addsData && !removesData) return 'delete'; // only delete files added/removed: rows go away
  return 'overwrite';
}

const sumSizes = (files: { fileSizeInBytes: number }[]) => files.reduce((a, f) => a + f.fileSizeInBytes, 0);
const sumRows = (files: { recordCount: number }[]) => files.reduce((a, f) => a + f.recordCount, 0);

export async function produceSnapshot(
  io: ManifestIO,
  base: TableMetadata,
  changes: TableChanges,
  snapshotId: bigint,
  now = Date.now(),
): Promise<ProducedSnapshot> {
  const fv = base['format-version'];
  if (fv !== 2 && fv !== 3) throw new Error(`format-version ${String(fv)} tables cannot be written`);
  const spec = base['partition-specs'].find((p) => p['spec-id'] === base['default-spec-id']);
  if (spec && spec.fields.length > 0) throw new Error('partitioned tables cannot be written (unpartitioned only)');
  const location = base.location;
  const schema = currentSchema(base);
  const seq = base['last-sequence-number'] + 1;
  const parent = currentSnapshot(base);
  const addData = changes.addDataFiles ?? [];
  const addDeletes = changes.addDeleteFiles ?? [];
  for (const f of addData) if (f.content !== FileContent.DATA) throw new Error(`not a data file: ${f.filePath}`);
  for (const f of addDeletes) {
    if (f.content !== FileContent.POSITION_DELETES) throw new Error(`only position-delete files can be added: ${f.filePath}`);
    if (fv >= 3 && !(isDeletionVector(f) && f.referencedDataFile && f.contentOffset != null && f.contentSizeInBytes != null)) {
      throw new Error(`format-version 3 takes deletes only as deletion vectors: ${f.filePath}`);
    }
    if (fv < 3 && isDeletionVector(f)) throw new Error(`deletion vectors need format-version 3: ${f.filePath}`);
  }
  const removeData = new Set(changes.removeDataFiles ?? []);
  const removeDeletes = new Set(changes.removeDeleteFiles ?? []);
  const written: string[] = [];
  const newManifests: ManifestFile[] = [];
  const rewritten: ManifestFile[] = [];
  const carried: ManifestFile[] = [];
  const removedData: DataFile[] = [];
  const removedDeletes: DataFile[] = [];

  const baseManifests = parent ? await io.readList(parent['manifest-list']) : [];
  for (const mf of baseManifests) {
    const removeSet = mf.content === ManifestContent.DATA ? removeData : removeDeletes;
    const key = (f: DataFile) => (mf.content === ManifestContent.DATA ? f.filePath : deleteFileKey(f));
    let entries: ManifestEntry[] | null = null;
    if (removeSet.size > 0) {
      entries = await io.readEntries(mf);
      if (!entries.some((e) => e.status !== EntryStatus.DELETED && removeSet.has(key(e.dataFile)))) entries = null;
    }
    if (!entries) {
      // a manifest whose entries were all DELETED by an earlier snapshot has nothing left to say
      if (mf.addedFilesCount + mf.existingFilesCount > 0) carried.push(mf);
      continue;
    }
    const out: ManifestEntry[] = [];
    for (const e of withRowIds(fv, mf, entries)) {
      if (e.status === EntryStatus.DELETED) continue;
      const seqs = { sequenceNumber: e.sequenceNumber, fileSequenceNumber: e.fileSequenceNumber };
      if (removeSet.has(key(e.dataFile))) {
        out.push({ status: EntryStatus.DELETED, snapshotId, ...seqs, dataFile: e.dataFile });
        (mf.content === ManifestContent.DATA ? removedData : removedDeletes).push(e.dataFile);
        removeSet.delete(key(e.dataFile));
      } else {
        out.push({ status: EntryStatus.EXISTING, snapshotId: e.snapshotId, ...seqs, dataFile: e.dataFile });
      }
    }
    const uri = ManifestIO.manifestUri(location);
    written.push(uri);
    rewritten.push(
      await io.writeManifest(uri, {
        formatVersion: fv,
        schema,
        content: mf.content === ManifestContent.DATA ? 'data' : 'deletes',
        entries: out,
        snapshotId,
        seq,
      }),
    );
  }
  const missing = [...removeData, ...removeDeletes];
  if (missing.length > 0) {
    throw new CommitConflictError(`files to remove are not live in the table: ${missing.slice(0, 5).join(', ')}`);
  }

  for (const [content, files] of [['data', addData], ['deletes', addDeletes]] as const) {
    if (files.length === 0) continue;
    const uri = ManifestIO.manifestUri(location);
    written.push(uri);
    newManifests.push(
      await io.writeManifest(uri, {
        formatVersion: fv,
        schema,
        content,
        entries: files.map((f) => ({ status: EntryStatus.ADDED, snapshotId, sequenceNumber: null, fileSequenceNumber: null, dataFile: f })),
        snapshotId,
        seq,
      }),
    );
  }

  const merged = await mergeSmallManifests(io, base, carried, { schema, snapshotId, seq, written });
  let manifests = [...newManifests, ...rewritten, ...merged];
  if (fv >= 3) await checkOneVectorPerFile(io, manifests);
  // v3 row lineage: every data manifest without a range gets the next one
  const firstRowId = base['next-row-id'] ?? 0;
  let nextRowId = firstRowId;
  if (fv >= 3) {
    manifests = manifests.map((m) => {
      if (m.content !== ManifestContent.DATA || m.firstRowId != null) return m;
      const r = { ...m, firstRowId: nextRowId };
      nextRowId += m.addedRowsCount + m.existingRowsCount;
      return r;
    });
  }
  const listUri = ManifestIO.manifestListUri(location, snapshotId);
  written.push(listUri);
  await io.writeList(listUri, {
    formatVersion: fv,
    snapshotId,
    parentSnapshotId: parent?.['snapshot-id'] ?? null,
    sequenceNumber: seq,
    manifests,
    ...(fv >= 3 ? { firstRowId } : {}),
  });

  const summary = buildSummary(changes, parent, manifests, { addData, addDeletes, removedData, removedDeletes });
  const snapshot: Snapshot = {
    'snapshot-id': snapshotId,
    ...(parent ? { 'parent-snapshot-id': parent['snapshot-id'] } : {}),
    'sequence-number': seq,
    'timestamp-ms': now,
    'manifest-list': listUri,
    summary,
    'schema-id': schema['schema-id'],
    ...(fv >= 3 ? { 'first-row-id': firstRowId, 'added-rows': nextRowId - firstRowId } : {}),
  };
  const metadata: TableMetadata = {
    ...base,
    ...(fv >= 3 ? { 'next-row-id': nextRowId } : {}),
    'last-sequence-number': seq,
    'last-updated-ms': now,
    'current-snapshot-id': snapshotId,
    refs: { ...base.refs, [MAIN_BRANCH]: { 'snapshot-id': snapshotId, type: 'branch' } },
    snapshots: [...base.snapshots, snapshot],
    'snapshot-log': [...base['snapshot-log'], { 'timestamp-ms': now, 'snapshot-id': snapshotId }],
  };
  return { metadata, snapshot, writtenFiles: written };
}

/**
 * Every commit adds a manifest, so a table flushed every few seconds would soon list thousands. Like Java's
 * merge-append (commit.manifest.min-count-to-merge, default 100; commit.manifest.target-size-bytes, 8 MiB),
 * once that many small carried manifests of one content type pile up, rewrite their live entries (as EXISTING,
 * explicit sequence numbers) into one manifest.
 */
async function mergeSmallManifests(
  io: ManifestIO,
  base: TableMetadata,
  carried: ManifestFile[],
  o: { schema: Schema; snapshotId: bigint; seq: number; written: string[] },
): Promise<ManifestFile[]> {
  const props = base.properties;
  if (props['commit.manifest-merge.enabled'] === 'false') return carried;
  const minCount = Number(props['commit.manifest.min-count-to-merge'] ?? '100');
  const target = Number(props['commit.manifest.target-size-bytes'] ?? String(8 * 1024 * 1024));
  const out: ManifestFile[] = [];
  for (const content of [ManifestContent.DATA, ManifestContent.DELETES]) {
    const mine = carried.filter((m) => m.content === content);
    const small = mine.filter((m) => m.manifestLength < target);
    if (small.length < Math.max(2, minCount)) {
      out.push(...mine);
      continue;
    }
    const entries: ManifestEntry[] = [];
    for (const mf of small) {
      for (const e of withRowIds(base['format-version'], mf, await io.readEntries(mf))) {
        if (e.status === EntryStatus.DELETED) continue;
        entries.push({ ...e, status: EntryStatus.EXISTING });
      }
    }
    const uri = ManifestIO.manifestUri(base.location);
    o.written.push(uri);
    out.push(
      await io.writeManifest(uri, {
        formatVersion: base['format-version'],
        schema: o.schema,
        content: content === ManifestContent.DATA ? 'data' : 'deletes',
        entries,
        snapshotId: o.snapshotId,
        seq: o.seq,
      }),
      ...mine.filter((m) => m.manifestLength >= target),
    );
  }
  return out;
}

/**
 * Entries of a v3 data manifest with inherited first_row_ids made explicit (a data file without one starts
 * at the manifest's first_row_id plus the rows of the earlier such files), as a rewritten manifest must carry
 * them. Other manifests unchanged.
 */
function withRowIds(fv: number, mf: ManifestFile, entries: ManifestEntry[]): ManifestEntry[] {
  if (fv < 3 || mf.content !== ManifestContent.DATA || mf.firstRowId == null) return entries;
  let next = mf.firstRowId;
  return entries.map((e) => {
    if (e.dataFile.firstRowId != null || e.status === EntryStatus.DELETED) return e;
    const r = { ...e, dataFile: { ...e.dataFile, firstRowId: next } };
    next += e.dataFile.recordCount;
    return r;
  });
}

/** v3: a data file may have at most one live deletion vector in a snapshot. */
async function checkOneVectorPerFile(io: ManifestIO, manifests: ManifestFile[]): Promise<void> {
  const seen = new Set<string>();
  for (const mf of manifests) {
    if (mf.content !== ManifestContent.DELETES) continue;
    for (const e of await io.readEntries(mf)) {
      if (e.status === EntryStatus.DELETED || !isDeletionVector(e.dataFile)) continue;
      const target = e.dataFile.referencedDataFile!;
      if (seen.has(target)) throw new Error(`data file ${target} would have two deletion vectors in one snapshot`);
      seen.add(target);
    }
  }
}

function buildSummary(
  changes: TableChanges,
  parent: Snapshot | null,
  manifests: ManifestFile[],
  f: { addData: DataFile[]; addDeletes: DataFile[]; removedData: DataFile[]; removedDeletes: DataFile[] },
): Snapshot['summary'] {
  const s: Record<string, string> = {};
  const put = (k: string, n: number) => {
    if (n > 0) s[k] = String(n);
  };
  put('added-data-files', f.addData.length);
  put('added-records', sumRows(f.addData));
  put('added-delete-files', f.addDeletes.length);
  put('added-position-delete-files', f.addDeletes.filter((d) => !isDeletionVector(d)).length);
  put('added-dvs', f.addDeletes.filter((d) => isDeletionVector(d)).length);
  put('added-position-deletes', sumRows(f.addDeletes));
  put('added-files-size', sumSizes(f.addData) + sumSizes(f.addDeletes));
  put('deleted-data-files', f.removedData.length);
  put('deleted-records', sumRows(f.removedData));
  put('removed-delete-files', f.removedDeletes.length);
  put('removed-position-delete-files', f.removedDeletes.filter((d) => !isDeletionVector(d)).length);
  put('removed-dvs', f.removedDeletes.filter((d) => isDeletionVector(d)).length);
  put('removed-position-deletes', sumRows(f.removedDeletes));
  put('removed-files-size', sumSizes(f.removedData) + sumSizes(f.removedDeletes));
  // totals are exact from the manifest list counts; file size only as a running sum
  let records = 0, dataFiles = 0, deleteFiles = 0, posDeletes = 0;
  for (const m of manifests) {
    if (m.content === ManifestContent.DATA) {
      records += m.addedRowsCount + m.existingRowsCount;
      dataFiles += m.addedFilesCount + m.existingFilesCount;
    } else {
      posDeletes += m.addedRowsCount + m.existingRowsCount;
      deleteFiles += m.addedFilesCount + m.existingFilesCount;
    }
  }
  s['total-records'] = String(records);
  s['total-data-files'] = String(dataFiles);
  s['total-delete-files'] = String(deleteFiles);
  s['total-position-deletes'] = String(posDeletes);
  s['total-equality-deletes'] = parent?.summary['total-equality-deletes'] ?? '0';
  const prevSize = parent ? parent.summary['total-files-size'] : '0';
  if (prevSize !== undefined) {
    const delta = sumSizes(f.addData) + sumSizes(f.addDeletes) - sumSizes(f.removedData) - sumSizes(f.removedDeletes);
    s['total-files-size'] = String(Number(prevSize) + delta);
  }
  const { operation: _ignored, ...extra } = changes.summary ?? {};
  return { operation: changes.operation ?? inferOperation(changes), ...extra, ...s };
}
