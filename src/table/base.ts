// The "base" of a mirror: the live data files and position-delete files of its current Iceberg snapshot, with
// local paths DuckDB can open (the file itself on fs, a download-cache entry on S3), plus the LSN the snapshot
// covers. Everything else a reader sees (tail, pending deletes) lives in DuckDB tables on top of it.
import type { DuckDBConnection } from '@duckdb/node-api';
import { formatLsn, parseLsn, type Lsn } from '../cdc/index.js';
import { duckdbType, quoteLiteral, type DataFile, type IcebergTable, type Schema, type Snapshot } from '../iceberg/index.js';
import { INITIAL_DEFAULTS_PROPERTY } from './schema-change.js';

/** Snapshot summary key: every transaction with commit LSN < this value is in the snapshot, none at or after. */
export const FLUSH_LSN_PROPERTY = 'lakegate.flush-lsn';

export interface BaseDataFile {
  uri: string;
  local: string;
  seq: number;
  recordCount: number;
  sizeBytes: number;
  /** column bounds from the manifest (field id → Iceberg single-value bytes), for pruning */
  lowerBounds?: Map<number, Buffer>;
  upperBounds?: Map<number, Buffer>;
}

/** the BaseDataFile of a written or planned data file */
export function baseDataFile(f: DataFile, local: string, seq: number): BaseDataFile {
  return { uri: f.filePath, local, seq, recordCount: f.recordCount, sizeBytes: f.fileSizeInBytes, lowerBounds: f.lowerBounds, upperBounds: f.upperBounds };
}

export interface BaseDeleteFile {
  uri: string;
  local: string;
  seq: number;
  recordCount: number;
  sizeBytes: number;
  referencedDataFile: string | null;
}

export interface BaseState {
  snapshotId: bigint | null;
  /** see FLUSH_LSN_PROPERTY; 0 when the table has no snapshot */
  flushLsn: Lsn;
  schema: Schema;
  /** field id → DuckDB SQL expression: the value of a column added later for rows of files that lack it */
  defaults?: Record<number, string>;
  dataFiles: BaseDataFile[];
  deleteFiles: BaseDeleteFile[];
}

export function snapshotFlushLsn(s: Snapshot | null): Lsn {
  const v = s?.summary[FLUSH_LSN_PROPERTY];
  return v ? parseLsn(v) : 0n;
}

export function flushSummary(lsn: Lsn): Record<string, string> {
  return { [FLUSH_LSN_PROPERTY]: formatLsn(lsn) };
}

/**
 * Plan the table's current snapshot and make every file locally readable (deletion vectors of a v3 table are
 * materialised through `conn`). A delete file's `uri` is its deleteFileKey: what a commit removes it by.
 */
export async function loadBase(table: IcebergTable, conn?: DuckDBConnection): Promise<BaseState> {
  const plan = await table.planScan();
  const locals = await table.localPaths(plan, conn);
  const local = (uri: string) => locals.get(uri)!;
  return {
    snapshotId: plan.snapshotId,
    flushLsn: snapshotFlushLsn(table.currentSnapshot),
    schema: plan.schema,
    defaults: initialDefaults(table.properties),
    dataFiles: plan.dataFiles.map((f) => baseDataFile(f.dataFile, local(f.path), f.seq)),
    deleteFiles: plan.deleteFiles.map((d) => ({
      uri: d.path,
      local: local(d.path),
      seq: d.seq,
      recordCount: d.recordCount,
      sizeBytes: d.fileSizeBytes,
      referencedDataFile: d.referencedDataFile,
    })),
  };
}

export function emptyBase(schema: Schema): BaseState {
  return { snapshotId: null, flushLsn: 0n, schema, dataFiles: [], deleteFiles: [] };
}

/** rows in data files minus committed position deletes (exact for lakegate-written tables) */
export function baseRowCount(b: BaseState): number {
  return b.dataFiles.reduce((a, f) => a + f.recordCount, 0) - b.deleteFiles.reduce((a, d) => a + d.recordCount, 0);
}

/** the initial defaults of added columns, from the table's properties (schema-change.ts) */
export function initialDefaults(props: Record<string, string>): Record<number, string> {
  const raw = props[INITIAL_DEFAULTS_PROPERTY];
  return raw ? (JSON.parse(raw) as Record<number, string>) : {};
}

/** read_parquet's `schema` map: columns by field id, a file lacking one reads its initial default (or NULL) */
export function baseSchemaParam(b: Pick<BaseState, 'schema' | 'defaults'>): string {
  const items = b.schema.fields.map((f) => {
    const d = b.defaults?.[f.id];
    return `${f.id}: {name: ${quoteLiteral(f.name)}, type: ${quoteLiteral(duckdbType(f.type))}, default_value: ${d ? `(${d})` : 'NULL'}}`;
  });
  return `MAP {${items.join(', ')}}`;
}
