// A mirror as the control plane describes it: one row of mooncake.mirrors (sql/001_registry.sql),
// with the JSON columns typed. Satisfies src/route's MirrorRef ({schema, name}).

export type MirrorState = 'pending' | 'copying' | 'ready' | 'failed' | 'dropping';

/** One source column, as create_table and the DDL trigger recorded it (sql/002_mirrors.sql _columns). */
export interface MirrorColumn {
  attnum: number;
  name: string;
  /** format_type() text, for display; go by typeOid/typmod */
  type: string;
  typeOid: number;
  typmod: number;
  /** qualified collation when it differs from the type's default, else null */
  collation: string | null;
  notNull: boolean;
  /** part of the replica identity index, else of the primary key */
  key: boolean;
  /** a stored generated column (published only with publish_generated_columns, PG 18) */
  generated: boolean;
}

/** A leaf partition of a partitioned source and the predicate selecting its rows from the root. */
export interface MirrorPartition {
  oid: number;
  /** schema-qualified, quoted as needed */
  name: string;
  /** pg_get_partition_constraintdef(), e.g. ((d IS NOT NULL) AND (d >= '2024-01-01'::date) …) */
  predicate: string;
}

/** table_config in pg_mooncake's JSON shape (validated by mooncake._table_config). */
export interface TableConfig {
  mooncake?: { append_only?: boolean; skip_data_compaction?: boolean; skip_index_merge?: boolean };
  iceberg?: {
    /** write Iceberg v3 with deletion vectors instead of v2 position deletes */
    deletion_vectors?: boolean;
    storage_config?:
      | { fs: { root_directory: string; atomic_write_dir?: string } }
      | {
          s3: {
            bucket: string;
            prefix?: string;
            region?: string;
            endpoint?: string;
            access_key_id?: string;
            secret_access_key?: string;
          };
        };
  };
  wal?: unknown;
}

export interface Mirror {
  id: number;
  /** the mirror's schema and name (its view in the upstream catalog) */
  schema: string;
  name: string;
  /** OID of the mirror view; null once dropped */
  mirrorOid: number | null;
  sourceSchema: string;
  sourceName: string;
  /** OID of the source table (pgoutput Relation messages carry it); null once the source is dropped */
  sourceOid: number | null;
  srcUri: string | null;
  tableConfig: TableConfig;
  columns: MirrorColumn[];
  partitions: MirrorPartition[];
  state: MirrorState;
  error: string | null;
  /** Iceberg table root URI */
  location: string | null;
  commitLsn: string | null;
  flushLsn: string | null;
  rowCount: number;
  dataFiles: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The SELECT list that mirrorFromRow() expects. */
export const MIRROR_COLUMNS = `id::float8 AS id, mirror_schema, mirror_name, mirror_oid::oid::bigint::float8 AS mirror_oid,
  source_schema, source_name, source_oid::oid::bigint::float8 AS source_oid, src_uri, table_config, columns, partitions, state,
  error, location, commit_lsn::text AS commit_lsn, flush_lsn::text AS flush_lsn, row_count::float8 AS row_count,
  data_files::float8 AS data_files, created_by, created_at, updated_at`;

export function columnFromJson(c: Record<string, unknown>): MirrorColumn {
  return {
    attnum: Number(c.attnum),
    name: String(c.name),
    type: String(c.type),
    typeOid: Number(c.type_oid),
    typmod: Number(c.typmod),
    collation: (c.collation as string | null) ?? null,
    notNull: Boolean(c.not_null),
    key: Boolean(c.key),
    generated: Boolean(c.generated),
  };
}

export function mirrorFromRow(r: Record<string, any>): Mirror {
  return {
    id: r.id,
    schema: r.mirror_schema,
    name: r.mirror_name,
    mirrorOid: r.mirror_oid ?? null,
    sourceSchema: r.source_schema,
    sourceName: r.source_name,
    sourceOid: r.source_oid ?? null,
    srcUri: r.src_uri ?? null,
    tableConfig: (r.table_config ?? {}) as TableConfig,
    columns: ((r.columns ?? []) as Record<string, unknown>[]).map(columnFromJson),
    partitions: ((r.partitions ?? []) as Record<string, unknown>[]).map((p) => ({
      oid: Number(p.oid),
      name: String(p.name),
      predicate: String(p.predicate),
    })),
    state: r.state,
    error: r.error ?? null,
    location: r.location ?? null,
    commitLsn: r.commit_lsn ?? null,
    flushLsn: r.flush_lsn ?? null,
    rowCount: r.row_count,
    dataFiles: r.data_files,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
