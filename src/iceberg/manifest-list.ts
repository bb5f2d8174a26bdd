// Manifest lists: one Avro file per snapshot naming every manifest of that snapshot with its counts and
// sequence numbers (spec §Manifest Lists). Carrying a manifest forward into the next snapshot means copying
// its record here unchanged.
import { readAvroFile, writeAvroFile } from './avro.js';

export const ManifestContent = { DATA: 0, DELETES: 1 } as const;
export type ManifestContent = (typeof ManifestContent)[keyof typeof ManifestContent];

export interface ManifestFile {
  manifestPath: string;
  /** exact byte size of the manifest file */
  manifestLength: number;
  partitionSpecId: number;
  content: ManifestContent;
  /** sequence number of the snapshot that added the manifest */
  sequenceNumber: number;
  /** smallest data sequence number of the live entries */
  minSequenceNumber: number;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: number;
  existingRowsCount: number;
  deletedRowsCount: number;
  /** v3 row lineage; null for delete manifests */
  firstRowId?: number | null;
}

const opt = (name: string, id: number, type: unknown) => ({ name, type: ['null', type], default: null, 'field-id': id });

export function manifestFileSchema(formatVersion: number): object {
  const fields: unknown[] = [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    opt('partitions', 507, {
      type: 'array',
      'element-id': 508,
      items: {
        type: 'record',
        name: 'r508',
        fields: [
          { name: 'contains_null', type: 'boolean', 'field-id': 509 },
          opt('contains_nan', 518, 'boolean'),
          opt('lower_bound', 510, 'bytes'),
          opt('upper_bound', 511, 'bytes'),
        ],
      },
    }),
    opt('key_metadata', 519, 'bytes'),
  ];
  if (formatVersion >= 3) fields.push(opt('first_row_id', 520, 'long'));
  return { type: 'record', name: 'manifest_file', fields };
}

export interface ManifestListWriteOptions {
  formatVersion: number;
  snapshotId: bigint;
  parentSnapshotId: bigint | null;
  sequenceNumber: number;
  manifests: readonly ManifestFile[];
  /** v3 */
  firstRowId?: number;
}

export function encodeManifestList(opts: ManifestListWriteOptions): Buffer {
  const records = opts.manifests.map((m) => {
    const r: Record<string, unknown> = {
      manifest_path: m.manifestPath,
      manifest_length: m.manifestLength,
      partition_spec_id: m.partitionSpecId,
      content: m.content,
      sequence_number: m.sequenceNumber,
      min_sequence_number: m.minSequenceNumber,
      added_snapshot_id: m.addedSnapshotId,
      added_files_count: m.addedFilesCount,
      existing_files_count: m.existingFilesCount,
      deleted_files_count: m.deletedFilesCount,
      added_rows_count: m.addedRowsCount,
      existing_rows_count: m.existingRowsCount,
      deleted_rows_count: m.deletedRowsCount,
      partitions: [],
      key_metadata: null,
    };
    if (opts.formatVersion >= 3) r.first_row_id = m.firstRowId ?? null;
    return r;
  });
  const meta: Record<string, string> = {
    'snapshot-id': opts.snapshotId.toString(),
    'parent-snapshot-id': opts.parentSnapshotId === null ? 'null' : opts.parentSnapshotId.toString(),
    'sequence-number': String(opts.sequenceNumber),
    'format-version': String(opts.formatVersion),
  };
  if (opts.formatVersion >= 3 && opts.firstRowId !== undefined) meta['first-row-id'] = String(opts.firstRowId);
  return writeAvroFile(manifestFileSchema(opts.formatVersion), records, meta);
}

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

export function decodeManifestList(buf: Buffer): ManifestFile[] {
  return readAvroFile(buf).records.map((r) => {
    const m: ManifestFile = {
      manifestPath: r.manifest_path as string,
      manifestLength: num(r.manifest_length),
      partitionSpecId: r.partition_spec_id as number,
      content: ((r.content as number | undefined) ?? 0) as ManifestContent,
      sequenceNumber: num(r.sequence_number ?? 0),
      minSequenceNumber: num(r.min_sequence_number ?? 0),
      addedSnapshotId: BigInt(r.added_snapshot_id as bigint),
      addedFilesCount: (r.added_files_count as number | null) ?? 0,
      existingFilesCount: (r.existing_files_count as number | null) ?? 0,
      deletedFilesCount: (r.deleted_files_count as number | null) ?? 0,
      addedRowsCount: num(r.added_rows_count ?? 0),
      existingRowsCount: num(r.existing_rows_count ?? 0),
      deletedRowsCount: num(r.deleted_rows_count ?? 0),
    };
    if (r.first_row_id !== undefined) m.firstRowId = r.first_row_id === null ? null : num(r.first_row_id);
    return m;
  });
}
