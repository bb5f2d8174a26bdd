// One DuckDB statement that reads a planned snapshot with the built-in Parquet reader only (no iceberg
// extension offline, iceberg.md §10): data files by field id, minus the positions named by delete files.
import { FileContent } from './manifest.js';
import { duckdbType, quoteIdent, quoteLiteral, readParquetSchemaParam } from './parquet.js';
import type { ScanPlan } from './scan.js';

export interface ScanSqlOptions {
  /** URI → local path DuckDB can open (Storage.localPath); every data and delete file of the plan */
  localPaths: ReadonlyMap<string, string>;
}

const list = (xs: string[]) => `[${xs.map(quoteLiteral).join(', ')}]`;

/**
 * SELECT returning the table's rows (current column names, schema order). Columns are mapped by field id, so
 * renamed/added/promoted columns read right from older files. Positions apply only when data.seq <= delete.seq.
 * A table column literally named `filename` or `file_row_number` would collide with the reader's virtual columns.
 */
export function buildScanSql(plan: ScanPlan, o: ScanSqlOptions): string {
  const local = (uri: string): string => {
    const p = o.localPaths.get(uri);
    if (!p) throw new Error(`no local path for ${uri}`);
    return p;
  };
  const cols = plan.schema.fields.map((f) => `d.${quoteIdent(f.name)}`).join(', ');
  if (plan.dataFiles.length === 0) {
    const nulls = plan.schema.fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${quoteIdent(f.name)}`);
    return `SELECT ${nulls.join(', ')} WHERE false`;
  }
  if (plan.deleteFiles.some((d) => d.content !== FileContent.POSITION_DELETES)) {
    throw new Error('equality deletes are not supported by this reader');
  }
  const data =
    `read_parquet(${list(plan.dataFiles.map((f) => local(f.path)))}, filename = true, file_row_number = true, ` +
    `schema = ${readParquetSchemaParam(plan.schema)})`;
  if (plan.deleteFiles.length === 0) return `SELECT ${cols} FROM ${data} d`;
  const files = plan.dataFiles.map((f) => `(${quoteLiteral(f.path)}, ${quoteLiteral(local(f.path))}, ${f.seq})`).join(', ');
  const dels = plan.deleteFiles.map((d) => `(${quoteLiteral(local(d.path))}, ${d.seq})`).join(', ');
  const positions =
    `SELECT f.local_path, x.pos FROM read_parquet(${list(plan.deleteFiles.map((d) => local(d.path)))}, filename = true) x ` +
    `JOIN (VALUES ${dels}) ds(del_path, del_seq) ON ds.del_path = x.filename ` +
    `JOIN (VALUES ${files}) f(uri, local_path, data_seq) ON f.uri = x.file_path AND f.data_seq <= ds.del_seq`;
  return (
    `SELECT ${cols} FROM ${data} d ANTI JOIN (${positions}) del ` +
    `ON del.local_path = d.filename AND del.pos = d.file_row_number`
  );
}
