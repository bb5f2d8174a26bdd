// Manifests: Avro files of manifest_entry records, one per data or delete file (spec §Manifests). One manifest
// holds either data files or delete files, never both; this writer only handles unpartitioned tables
// (partition spec 0 with no fields), so the partition tuple is an empty record.
import { readAvroFile, writeAvroFile } from './avro.js';
import type { Schema } from './schema.js';

export const EntryStatus = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;
export type EntryStatus = (typeof EntryStatus)[keyof typeof EntryStatus];

export const FileContent = { DATA: 0, POSITION_DELETES: 1, EQUALITY_DELETES: 2 } as const;
export type FileContent = (typeof FileContent)[keyof typeof FileContent];

/** The data_file struct: a data file or a delete file, with its metrics keyed by field id. */
export interface DataFile {
  content: FileContent;
  /** full URI; delete files reference data files by exactly this string */
  filePath: string;
  /** 'PARQUET' (Java enum name), 'PUFFIN' for v3 deletion vectors */
  fileFormat: string;
  recordCount: number;
  fileSizeInBytes: number;
  columnSizes?: Map<number, number>;
  valueCounts?: Map<number, number>;
  nullValueCounts?: Map<number, number>;
  nanValueCounts?: Map<number, number>;
  lowerBounds?: Map<number, Buffer>;
  upperBounds?: Map<number, Buffer>;
  splitOffsets?: number[];
  equalityIds?: number[];
  /** 0 for data files, null for position deletes */
  sortOrderId?: number | null;
  /** v2 position deletes: set when every row targets this one data file; v3 DVs: required */
  referencedDataFile?: string | null;
  /** v3 only */
  firstRowId?: number | null;
  contentOffset?: number | null;
  contentSizeInBytes?: number | null;
}

/** A v3 deletion vector: a blob inside a Puffin file, not a whole file. */
export function isDeletionVector(f: Pick<DataFile, 'fileFormat'>): boolean {
  return f.fileFormat.toUpperCase() === 'PUFFIN';
}

/**
 * What a delete file is removed by in a commit: its URI, or `URI#offset` for a deletion vector (one Puffin file
 * holds the vectors of many data files, and a later commit may replace only some of them).
 */
export function deleteFileKey(f: Pick<DataFile, 'filePath' | 'fileFormat' | 'contentOffset'>): string {
  return isDeletionVector(f) ? `${f.filePath}#${f.contentOffset ?? 0}` : f.filePath;
}

export interface ManifestEntry {
  status: EntryStatus;
  /** null on ADDED entries = inherit the manifest's added_snapshot_id */
  snapshotId: bigint | null;
  /** data sequence number; null on ADDED entries = inherit the manifest list's sequence_number */
  sequenceNumber: number | null;
  fileSequenceNumber: number | null;
  dataFile: DataFile;
}

// ---- Avro schema (spec Appendix A/C; field ids are what readers resolve by) -------------------------------

const opt = (name: string, id: number, type: unknown) => ({ name, type: ['null', type], default: null, 'field-id': id });
const intMap = (k: number, v: number, valueType: string) => ({
  type: 'array',
  logicalType: 'map',
  items: {
    type: 'record',
    name: `k${k}_v${v}`,
    fields: [
      { name: 'key', type: 'int', 'field-id': k },
      { name: 'value', type: valueType, 'field-id': v },
    ],
  },
});

export function manifestEntrySchema(formatVersion: number): object {
  const fields: unknown[] = [
    { name: 'content', type: 'int', 'field-id': 134 },
    { name: 'file_path', type: 'string', 'field-id': 100 },
    { name: 'file_format', type: 'string', 'field-id': 101 },
    { name: 'partition', type: { type: 'record', name: 'r102', fields: [] }, 'field-id': 102 },
    { name: 'record_count', type: 'long', 'field-id': 103 },
    { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
    opt('column_sizes', 108, intMap(117, 118, 'long')),
    opt('value_counts', 109, intMap(119, 120, 'long')),
    opt('null_value_counts', 110, intMap(121, 122, 'long')),
    opt('nan_value_counts', 137, intMap(138, 139, 'long')),
    opt('lower_bounds', 125, intMap(126, 127, 'bytes')),
    opt('upper_bounds', 128, intMap(129, 130, 'bytes')),
    opt('key_metadata', 131, 'bytes'),
    opt('split_offsets', 132, { type: 'array', items: 'long', 'element-id': 133 }),
    opt('equality_ids', 135, { type: 'array', items: 'int', 'element-id': 136 }),
    opt('sort_order_id', 140, 'int'),
  ];
  if (formatVersion >= 3) fields.push(opt('first_row_id', 142, 'long'));
  fields.push(opt('referenced_data_file', 143, 'string'));
  if (formatVersion >= 3) fields.push(opt('content_offset', 144, 'long'), opt('content_size_in_bytes', 145, 'long'));
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      opt('snapshot_id', 1, 'long'),
      opt('sequence_number', 3, 'long'),
      opt('file_sequence_number', 4, 'long'),
      { name: 'data_file', type: { type: 'record', name: 'r2', fields }, 'field-id': 2 },
    ],
  };
}

// ---- write ------------------------------------------------------------------------------------------------

const toPairs = <V>(m: Map<number, V> | undefined) =>
  m && m.size ? [...m].sort((a, b) => a[0] - b[0]).map(([key, value]) => ({ key, value })) : null;

function dataFileRecord(f: DataFile, formatVersion: number): Record<string, unknown> {
  const r: Record<string, unknown> = {
    content: f.content,
    file_path: f.filePath,
    file_format: f.fileFormat,
    partition: {},
    record_count: f.recordCount,
    file_size_in_bytes: f.fileSizeInBytes,
    column_sizes: toPairs(f.columnSizes),
    value_counts: toPairs(f.valueCounts),
    null_value_counts: toPairs(f.nullValueCounts),
    nan_value_counts: toPairs(f.nanValueCounts),
    lower_bounds: toPairs(f.lowerBounds),
    upper_bounds: toPairs(f.upperBounds),
    key_metadata: null,
    split_offsets: f.splitOffsets?.length ? f.splitOffsets : null,
    equality_ids: f.equalityIds?.length ? f.equalityIds : null,
    sort_order_id: f.sortOrderId ?? (f.content === FileContent.DATA ? 0 : null),
    referenced_data_file: f.referencedDataFile ?? null,
  };
  if (formatVersion >= 3) {
    r.first_row_id = f.firstRowId ?? null;
    r.content_offset = f.contentOffset ?? null;
    r.content_size_in_bytes = f.contentSizeInBytes ?? null;
  }
  return r;
}

export interface ManifestWriteOptions {
  formatVersion: number;
  schema: Schema;
  content: 'data' | 'deletes';
  entries: readonly ManifestEntry[];
}

/** Encode a manifest. ADDED entries may leave sequence numbers null (inherited); others must set both. */
export function encodeManifest(opts: ManifestWriteOptions): Buffer {
  const wantDeletes = opts.content === 'deletes';
  const records = opts.entries.map((e) => {
    if ((e.dataFile.content !== FileContent.DATA) !== wantDeletes) {
      throw new Error(`a ${opts.content} manifest cannot hold ${e.dataFile.filePath}`);
    }
    if (e.status !== EntryStatus.ADDED && (e.sequenceNumber === null || e.fileSequenceNumber === null)) {
      throw new Error(`EXISTING/DELETED entry needs explicit sequence numbers: ${e.dataFile.filePath}`);
    }
    return {
      status: e.status,
      snapshot_id: e.snapshotId,
      sequence_number: e.sequenceNumber,
      file_sequence_number: e.fileSequenceNumber,
      data_file: dataFileRecord(e.dataFile, opts.formatVersion),
    };
  });
  return writeAvroFile(manifestEntrySchema(opts.formatVersion), records, {
    schema: JSON.stringify(opts.schema),
    'schema-id': String(opts.schema['schema-id']),
    'partition-spec': '[]',
    'partition-spec-id': '0',
    'format-version': String(opts.formatVersion),
    content: opts.content,
  });
}

// ---- read -------------------------------------------------------------------------------------------------

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

function fromPairs<V>(v: unknown, conv: (x: unknown) => V): Map<number, V> | undefined {
  if (!Array.isArray(v)) return undefined;
  return new Map(v.map((p: { key: number; value: unknown }) => [p.key, conv(p.value)]));
}

function dataFileFromRecord(r: Record<string, unknown>): DataFile {
  const f: DataFile = {
    content: (r.content ?? 0) as FileContent,
    filePath: r.file_path as string,
    fileFormat: String(r.file_format).toUpperCase(),
    recordCount: num(r.record_count),
    fileSizeInBytes: num(r.file_size_in_bytes),
  };
  const cs = fromPairs(r.column_sizes, num);
  if (cs) f.columnSizes = cs;
  const vc = fromPairs(r.value_counts, num);
  if (vc) f.valueCounts = vc;
  const nc = fromPairs(r.null_value_counts, num);
  if (nc) f.nullValueCounts = nc;
  const nan = fromPairs(r.nan_value_counts, num);
  if (nan) f.nanValueCounts = nan;
  const lb = fromPairs(r.lower_bounds, (x) => Buffer.from(x as Buffer));
  if (lb) f.lowerBounds = lb;
  const ub = fromPairs(r.upper_bounds, (x) => Buffer.from(x as Buffer));
  if (ub) f.upperBounds = ub;
  if (Array.isArray(r.split_offsets)) f.splitOffsets = r.split_offsets.map(num);
  if (Array.isArray(r.equality_ids)) f.equalityIds = r.equality_ids as number[];
  if ('sort_order_id' in r) f.sortOrderId = (r.sort_order_id as number | null) ?? null;
  if (typeof r.referenced_data_file === 'string') f.referencedDataFile = r.referenced_data_file;
  if (r.first_row_id !== undefined && r.first_row_id !== null) f.firstRowId = num(r.first_row_id);
  if (r.content_offset !== undefined && r.content_offset !== null) f.contentOffset = num(r.content_offset);
  if (r.content_size_in_bytes !== undefined && r.content_size_in_bytes !== null) f.contentSizeInBytes = num(r.content_size_in_bytes);
  return f;
}

export interface Manifest {
  meta: Record<string, string>;
  entries: ManifestEntry[];
}

/**
 * Decode a manifest. With `inherit` (the manifest-list record it came from), null snapshot ids and the
 * sequence numbers of ADDED entries are filled in as the spec's inheritance rules say.
 */
export function decodeManifest(buf: Buffer, inherit?: { addedSnapshotId: bigint; sequenceNumber: number }): Manifest {
  const { meta, records } = readAvroFile(buf);
  const entries = records.map((r): ManifestEntry => {
    const status = r.status as EntryStatus;
    const e: ManifestEntry = {
      status,
      snapshotId: (r.snapshot_id as bigint | null | undefined) ?? null,
      sequenceNumber: numOrNull(r.sequence_number),
      fileSequenceNumber: numOrNull(r.file_sequence_number),
      dataFile: dataFileFromRecord(r.data_file as Record<string, unknown>),
    };
    if (inherit) {
      if (e.snapshotId === null) e.snapshotId = inherit.addedSnapshotId;
      if (status === EntryStatus.ADDED) {
        if (e.sequenceNumber === null) e.sequenceNumber = inherit.sequenceNumber;
        if (e.fileSequenceNumber === null) e.fileSequenceNumber = inherit.sequenceNumber;
      }
    }
    return e;
  });
  return { meta, entries };
}
