// One DuckDB statement that reads a planned snapshot with the built-in Parquet reader only (no iceberg
// extension offline, iceberg.md §10): data files mapped to the table schema by field id, minus the positions
// named by delete files.
//
// Field-id mapping: read_parquet(schema = MAP{id: …}) does it inside DuckDB, but it makes the scan's row
// estimate ~0, so the anti join builds its hash table on the data side (measured ~10x slower on 1M rows). When a
// DuckDB connection is at hand we instead read each file's top-level field ids once (parquet_schema; files
// never change, so the answer is cached), group files with the same layout, and select their physical
// columns under the current names.
import type { DuckDBConnection } from '@duckdb/node-api';
import { FileContent } from './manifest.js';
import { duckdbType, quoteIdent, quoteLiteral, readParquetSchemaParam } from './parquet.js';
import { positionDeleteMayName, type ScanPlan } from './scan.js';

/** local Parquet path → (top-level field id → physical column name) */
export type FileLayouts = ReadonlyMap<string, ReadonlyMap<number, string>>;

export interface ScanSqlOptions {
  /** URI → local path DuckDB can open (Storage.localPath); every data and delete file of the plan */
  localPaths: ReadonlyMap<string, string>;
  /** from readFileLayouts(); without it the slower read_parquet(schema = …) mapping is used */
  layouts?: FileLayouts;
}

const list = (xs: string[]) => `[${xs.map(quoteLiteral).join(', ')}]`;

const layoutCache = new Map<string, Map<number, string>>();
const LAYOUT_CACHE_MAX = 20_000;

/** Top-level field ids of local Parquet files (cached per path: Iceberg files are immutable). */
export async function readFileLayouts(conn: DuckDBConnection, paths: readonly string[]): Promise<FileLayouts> {
  const out = new Map<string, Map<number, string>>();
  const missing = [...new Set(paths)].filter((p) => {
    const hit = layoutCache.get(p);
    if (hit) out.set(p, hit);
    return !hit;
  });
  for (let i = 0; i < missing.length; i += 500) {
    const batch = missing.slice(i, i + 500);
    const r = await conn.runAndReadAll(`SELECT file_name, name, num_children, field_id FROM parquet_schema(${list(batch)})`);
    const rows = r.getRows() as [string, string, bigint | number | null, bigint | number | null][];
    // rows are each file's schema tree in pre-order: root, then every top-level column followed by its subtree
    let k = 0;
    while (k < rows.length) {
      const file = rows[k]![0];
      const cols = new Map<number, string>();
      const topLevel = Number(rows[k]![2] ?? 0);
      k++;
      for (let c = 0; c < topLevel; c++) {
        const [, name, , fid] = rows[k]!;
        if (fid !== null) cols.set(Number(fid), name);
        let pending = Number(rows[k]![2] ?? 0);
        k++;
        while (pending > 0) {
          pending += Number(rows[k]![2] ?? 0) - 1;
          k++;
        }
      }
      out.set(file, cols);
      layoutCache.set(file, cols);
      if (layoutCache.size > LAYOUT_CACHE_MAX) layoutCache.delete(layoutCache.keys().next().value as string);
    }
  }
  return out;
}

/**
 * SELECT returning the table's rows (current column names, schema order). Renamed, added, dropped and
 * promoted columns read right from older files. A table column literally named `filename` or
 * `file_row_number` would collide with the reader's virtual columns.
 */
export function buildScanSql(plan: ScanPlan, o: ScanSqlOptions): string {
  const local = (uri: string): string => {
    const p = o.localPaths.get(uri);
    if (!p) throw new Error(`no local path for ${uri}`);
    return p;
  };
  const fields = plan.schema.fields;
  const cols = fields.map((f) => `d.${quoteIdent(f.name)}`).join(', ');
  if (plan.dataFiles.length === 0) {
    const nulls = fields.map((f) => `CAST(NULL AS ${duckdbType(f.type)}) AS ${quoteIdent(f.name)}`);
    return `SELECT ${nulls.join(', ')} WHERE false`;
  }
  if (plan.deleteFiles.some((d) => d.content !== FileContent.POSITION_DELETES)) {
    throw new Error('equality deletes are not supported by this reader');
  }
  let data: string;
  if (o.layouts) {
    // one read_parquet per distinct file layout, columns renamed/cast/filled to the current schema
    const groups = new Map<string, { select: string; files: string[] }>();
    for (const f of plan.dataFiles) {
      const path = local(f.path);
      const layout = o.layouts.get(path);
      if (!layout) throw new Error(`no Parquet layout for ${path}`);
      const select = fields
        .map((fd) => {
          const phys = layout.get(fd.id);
          const t = duckdbType(fd.type);
          return `CAST(${phys === undefined ? 'NULL' : quoteIdent(phys)} AS ${t}) AS ${quoteIdent(fd.name)}`;
        })
        .join(', ');
      const g = groups.get(select) ?? { select, files: [] };
      g.files.push(path);
      groups.set(select, g);
    }
    const parts = [...groups.values()].map(
      (g) => `SELECT ${g.select}, filename, file_row_number FROM read_parquet(${list(g.files)}, filename = true, file_row_number = true)`,
    );
    data = parts.length === 1 ? `(${parts[0]})` : `(${parts.join(' UNION ALL ')})`;
  } else {
    data =
      `read_parquet(${list(plan.dataFiles.map((f) => local(f.path)))}, filename = true, file_row_number = true, ` +
      `schema = ${readParquetSchemaParam(plan.schema)})`;
  }
  if (plan.deleteFiles.length === 0) return `SELECT ${cols} FROM ${data} d`;
  const files = plan.dataFiles.map((f) => `(${quoteLiteral(f.path)}, ${quoteLiteral(local(f.path))}, ${f.seq})`).join(', ');
  const delList = list(plan.deleteFiles.map((d) => local(d.path)));
  // data.seq <= delete.seq only matters if a delete file could name a data file committed after it, which
  // needs a reused file path; joining on sequence numbers misleads the join planner, so add it only then
  const needsSeq = plan.deleteFiles.some((d) => plan.dataFiles.some((f) => f.seq > d.seq && positionDeleteMayName(d, f.path)));
  const positions = needsSeq
    ? `SELECT f.local_path, x.pos FROM read_parquet(${delList}, filename = true) x ` +
      `JOIN (VALUES ${plan.deleteFiles.map((d) => `(${quoteLiteral(local(d.path))}, ${d.seq})`).join(', ')}) ds(del_path, del_seq) ` +
      `ON ds.del_path = x.filename ` +
      `JOIN (VALUES ${files}) f(uri, local_path, data_seq) ON f.uri = x.file_path AND f.data_seq <= ds.del_seq`
    : `SELECT f.local_path, x.pos FROM read_parquet(${delList}) x ` +
      `JOIN (VALUES ${files}) f(uri, local_path, data_seq) ON f.uri = x.file_path`;
  return `SELECT ${cols} FROM ${data} d ANTI JOIN (${positions}) del ON del.local_path = d.filename AND del.pos = d.file_row_number`;
}
