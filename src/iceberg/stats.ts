// Manifest metrics from DuckDB `COPY … (RETURN_STATS true)` (iceberg.md §6): per leaf column DuckDB reports
// column_size_bytes, num_values (nulls included, like Iceberg value_counts), null_count, has_nan and text
// min/max; these map onto the data_file metric maps keyed by field id.
import type { DataFile } from './manifest.js';
import { indexFields, isPrimitive, type FieldInfo, type NestedField } from './schema.js';
import { boundFromDuckDBText } from './single-value.js';

/** What one RETURN_STATS row says about one written file. */
export interface DuckDBFileStats {
  filename: string;
  count: number;
  fileSizeBytes: number;
  /** quoted column path ('"a"', '"l"."element"') → stat name → text */
  columns: Map<string, Record<string, string>>;
}

type JsonRow = Record<string, unknown>;

/** Normalise DuckDB's JSON form of MAP(VARCHAR, MAP(VARCHAR, VARCHAR)): an array of {key, value}. */
function mapEntries(v: unknown): [string, unknown][] {
  if (Array.isArray(v)) return v.map((e: { key: string; value: unknown }) => [e.key, e.value]);
  if (v && typeof v === 'object') return Object.entries(v as Record<string, unknown>);
  return [];
}

export function parseReturnStatsRow(row: JsonRow): DuckDBFileStats {
  const columns = new Map<string, Record<string, string>>();
  for (const [col, stats] of mapEntries(row.column_statistics)) {
    const rec: Record<string, string> = {};
    for (const [k, v] of mapEntries(stats)) if (v !== null && v !== undefined) rec[k] = String(v);
    columns.set(col, rec);
  }
  return {
    filename: String(row.filename),
    count: Number(row.count),
    fileSizeBytes: Number(row.file_size_bytes),
    columns,
  };
}

/** '"a"."b ""c"""' → ['a', 'b "c"'] (DuckDB's quoted column path) */
export function splitQuotedPath(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let part = '';
      for (;;) {
        if (j >= s.length) throw new Error(`bad column path ${s}`);
        if (s[j] === '"') {
          if (s[j + 1] === '"') {
            part += '"';
            j += 2;
            continue;
          }
          break;
        }
        part += s[j++];
      }
      out.push(part);
      i = j + 1;
    } else {
      const j = s.indexOf('.', i);
      out.push(s.slice(i, j < 0 ? s.length : j));
      i = j < 0 ? s.length : j;
    }
    if (s[i] === '.') i++;
  }
  return out;
}

export interface MetricsOptions {
  /** field ids that get full (untruncated) string bounds, e.g. position-delete file_path */
  fullBoundIds?: ReadonlySet<number>;
}

export type FileMetrics = Pick<
  DataFile,
  'recordCount' | 'fileSizeInBytes' | 'columnSizes' | 'valueCounts' | 'nullValueCounts' | 'nanValueCounts' | 'lowerBounds' | 'upperBounds'
>;

/** Convert one file's DuckDB stats into Iceberg metrics for the given fields (matched by column path). */
export function metricsFromDuckDBStats(stats: DuckDBFileStats, fields: { fields: NestedField[] }, opts: MetricsOptions = {}): FileMetrics {
  const byPath = new Map<string, FieldInfo>();
  for (const f of indexFields(fields).values()) byPath.set(JSON.stringify(f.path), f);
  const m: Required<FileMetrics> = {
    recordCount: stats.count,
    fileSizeInBytes: stats.fileSizeBytes,
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  };
  for (const [col, s] of stats.columns) {
    let f = byPath.get(JSON.stringify(splitQuotedPath(col)));
    // DuckDB names list children 'list'.'element' in some versions; accept both spellings
    if (!f) f = byPath.get(JSON.stringify(splitQuotedPath(col).filter((p) => p !== 'list')));
    if (!f || !isPrimitive(f.type)) continue;
    if (s.column_size_bytes !== undefined) m.columnSizes.set(f.id, Number(s.column_size_bytes));
    if (s.num_values !== undefined) m.valueCounts.set(f.id, Number(s.num_values));
    if (s.null_count !== undefined) m.nullValueCounts.set(f.id, Number(s.null_count));
    if ((f.type === 'float' || f.type === 'double') && s.has_nan === 'false') m.nanValueCounts.set(f.id, 0);
    if (f.repeated) continue; // Iceberg keeps no bounds inside lists/maps
    const full = opts.fullBoundIds?.has(f.id) ?? false;
    if (s.min !== undefined) {
      const b = full ? Buffer.from(s.min, 'utf8') : boundFromDuckDBText(f.type, s.min, false);
      if (b) m.lowerBounds.set(f.id, b);
    }
    if (s.max !== undefined) {
      const b = full ? Buffer.from(s.max, 'utf8') : boundFromDuckDBText(f.type, s.max, true);
      if (b) m.upperBounds.set(f.id, b);
    }
  }
  const out: FileMetrics = { recordCount: m.recordCount, fileSizeInBytes: m.fileSizeInBytes };
  for (const k of ['columnSizes', 'valueCounts', 'nullValueCounts', 'nanValueCounts', 'lowerBounds', 'upperBounds'] as const) {
    if (m[k].size > 0) (out as Record<string, unknown>)[k] = m[k];
  }
  return out;
}
