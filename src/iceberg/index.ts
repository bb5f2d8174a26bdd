// Public surface of the Iceberg layer (see README.md in this folder).
export { IcebergTable, type CreateTableOptions, type CommitOptions, type ExpireResult } from './table.js';
export { CommitConflictError, findCurrentVersion, metadataFileUri, VERSION_HINT } from './commit.js';
export type { TableChanges } from './snapshot-producer.js';
export type { ExpireOptions } from './maintenance.js';
export { planScan, deleteMayApply, positionDeleteMayName, type ScanPlan, type ScanDataFile, type ScanDeleteFile } from './scan.js';
export { buildScanSql, readFileLayouts, type ScanSqlOptions, type FileLayouts } from './read.js';
export {
  writeParquetFromDuckDB,
  duckdbType,
  fieldIdsOption,
  readParquetSchemaParam,
  quoteIdent,
  quoteLiteral,
  type ParquetWriteOptions,
  type WrittenFile,
} from './parquet.js';
export {
  writePositionDeletesFromDuckDB,
  positionsValuesSql,
  POSITION_DELETE_FIELDS,
  DELETE_FILE_PATH_ID,
  DELETE_POS_ID,
} from './position-deletes.js';
export {
  buildSchema,
  decimalType,
  findField,
  indexFields,
  maxFieldId,
  parseDecimal,
  validateSchema,
  type Schema,
  type NestedField,
  type IcebergType,
  type PrimitiveType,
  type FieldSpec,
  type TypeSpec,
} from './schema.js';
export { applySchemaChanges, canPromote, type SchemaChange } from './schema-update.js';
export {
  parseTableMetadata,
  serializeTableMetadata,
  currentSchema,
  currentSnapshot,
  snapshotById,
  ancestors,
  type TableMetadata,
  type Snapshot,
  type SnapshotOperation,
} from './metadata.js';
export {
  EntryStatus,
  FileContent,
  decodeManifest,
  deleteFileKey,
  encodeManifest,
  isDeletionVector,
  type DataFile,
  type ManifestEntry,
} from './manifest.js';
export { materialiseDeletionVector, readDeletionVector, type VectorRef, type WrittenVector } from './deletion-vectors.js';
export { decodeDeletionVector, encodeDeletionVector, readPuffinFooter, writePuffin } from './puffin.js';
export { deserializeRoaring32, serializeRoaring32 } from './roaring.js';
export { decodeManifestList, encodeManifestList, type ManifestFile } from './manifest-list.js';
export { encodeSingleValue, decodeSingleValue } from './single-value.js';
export { metricsFromDuckDBStats, parseReturnStatsRow } from './stats.js';
