// Writing Iceberg data files with DuckDB: `COPY (SELECT …) TO … (FORMAT parquet, FIELD_IDS {…}, RETURN_STATS
// true)` puts the Iceberg field ids into the Parquet schema (readers match columns by id) and returns the
// per-column stats the manifest needs, so no second pass over the file is required (duckdb.md §4).
import type { DuckDBConnection } from '@duckdb/node-api';
import { FileContent, type DataFile } from './manifest.js';
import { parseDecimal, parseFixed, type IcebergType, type NestedField, type Schema } from './schema.js';
import { metricsFromDuckDBStats, parseReturnStatsRow, type MetricsOptions } from './stats.js';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The DuckDB type that holds an Iceberg type (and writes the Parquet type Iceberg expects). */
export function duckdbType(t: IcebergType): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'boolean': return 'BOOLEAN';
      case 'int': return 'INTEGER';
      case 'long': return 'BIGINT';
      case 'float': return 'FLOAT';
      case 'double': return 'DOUBLE';
      case 'date': return 'DATE';
      case 'time': return 'TIME';
      case 'timestamp': return 'TIMESTAMP';
      case 'timestamptz': return 'TIMESTAMPTZ';
      case 'string': return 'VARCHAR';
      case 'uuid': return 'UUID';
      case 'binary': return 'BLOB';
    }
    const d = parseDecimal(t);
    if (d) return `DECIMAL(${d.precision}, ${d.scale})`;
    if (parseFixed(t) !== null) return 'BLOB';
    throw new Error(`no DuckDB type for ${t}`);
  }
  switch (t.type) {
    case 'list': return `${duckdbType(t.element)}[]`;
    case 'map': return `MAP(${duckdbType(t.key)}, ${duckdbType(t.value)})`;
    case 'struct': return `STRUCT(${t.fields.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ')})`;
  }
}

/** The FIELD_IDS option value for these columns, e.g. {"id": 1, "l": {__duckdb_field_id: 2, element: 3}}. */
export function fieldIdsOption(fields: readonly NestedField[]): string {
  const forType = (id: number, t: IcebergType): string => {
    if (typeof t === 'string') return String(id);
    if (t.type === 'list') return `{__duckdb_field_id: ${id}, element: ${forType(t['element-id'], t.element)}}`;
    if (t.type === 'map') {
      return `{__duckdb_field_id: ${id}, key: ${forType(t['key-id'], t.key)}, value: ${forType(t['value-id'], t.value)}}`;
    }
    return `{__duckdb_field_id: ${id}, ${t.fields.map((f) => `${quoteIdent(f.name)}: ${forType(f.id, f.type)}`).join(', ')}}`;
  };
  return `{${fields.map((f) => `${quoteIdent(f.name)}: ${forType(f.id, f.type)}`).join(', ')}}`;
}

/**
 * The `schema =` argument of read_parquet that maps file columns to the table schema by field id: renamed
 * columns get their current name, columns added later read as NULL, promoted types are cast.
 */
export function readParquetSchemaParam(schema: Schema): string {
  const items = schema.fields.map(
    (f) => `${f.id}: {name: ${quoteLiteral(f.name)}, type: ${quoteLiteral(duckdbType(f.type))}, default_value: NULL}`,
  );
  return `MAP {${items.join(', ')}}`;
}

export interface ParquetWriteOptions {
  compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
  /** zstd level (DuckDB's default: 3) */
  compressionLevel?: number;
  /** rounded up to a multiple of 2048 by DuckDB */
  rowGroupSize?: number;
  /** stamped into the Parquet footer (readable with parquet_kv_metadata) */
  kvMetadata?: Record<string, string>;
}

/** A written file's Iceberg description; add `filePath` (its URI) before committing it. */
export type WrittenFile = Omit<DataFile, 'filePath'>;

/** Run COPY … RETURN_STATS and turn its single result row into metrics. */
export async function copyWithStats(
  conn: DuckDBConnection,
  selectSql: string,
  localPath: string,
  fields: readonly NestedField[],
  opts: ParquetWriteOptions & MetricsOptions = {},
): Promise<ReturnType<typeof metricsFromDuckDBStats>> {
  const options = [
    'FORMAT parquet',
    `COMPRESSION ${opts.compression ?? 'zstd'}`,
    `FIELD_IDS ${fieldIdsOption(fields)}`,
    'RETURN_STATS true',
  ];
  if (opts.compressionLevel !== undefined) options.push(`COMPRESSION_LEVEL ${Math.floor(opts.compressionLevel)}`);
  if (opts.rowGroupSize) options.push(`ROW_GROUP_SIZE ${Math.floor(opts.rowGroupSize)}`);
  if (opts.kvMetadata && Object.keys(opts.kvMetadata).length) {
    options.push(`KV_METADATA {${Object.entries(opts.kvMetadata).map(([k, v]) => `${quoteIdent(k)}: ${quoteLiteral(v)}`).join(', ')}}`);
  }
  const reader = await conn.runAndReadAll(`COPY (${selectSql}) TO ${quoteLiteral(localPath)} (${options.join(', ')})`);
  const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
  if (rows.length !== 1) throw new Error(`COPY wrote ${rows.length} files, expected 1`);
  return metricsFromDuckDBStats(parseReturnStatsRow(rows[0]!), { fields: [...fields] }, opts);
}

/**
 * Write the rows of `selectSql` as an Iceberg data file at `localPath`. The query must return every column
 * of `schema` by name (extra columns are ignored); each is cast to the schema's type and written in schema
 * order with its field id. Returns the metrics for the manifest entry.
 */
export async function writeParquetFromDuckDB(
  conn: DuckDBConnection,
  selectSql: string,
  localPath: string,
  schema: Schema,
  opts: ParquetWriteOptions = {},
): Promise<WrittenFile> {
  const cols = schema.fields.map((f) => `CAST(${quoteIdent(f.name)} AS ${duckdbType(f.type)}) AS ${quoteIdent(f.name)}`);
  const sql = `SELECT ${cols.join(', ')} FROM (${selectSql}) AS lakegate_src`;
  // Java writers stamp the write schema into the footer; name-based readers (icebird) resolve renames with it
  const kvMetadata = { 'iceberg.schema': JSON.stringify(schema), ...opts.kvMetadata };
  const metrics = await copyWithStats(conn, sql, localPath, schema.fields, { ...opts, kvMetadata });
  return { content: FileContent.DATA, fileFormat: 'PARQUET', sortOrderId: 0, ...metrics };
}
