// Every configuration key, its type, default and one line of documentation.
// config.yaml, environment overrides (LAKEGATE_<PATH>) and validation are all derived from this table.

export type KeyType =
  | { kind: 'string' }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] };

export interface KeySpec {
  type: KeyType;
  default: string | number | boolean;
  doc: string;
}

const port = { kind: 'int', min: 0, max: 65535 } as const;
const str = { kind: 'string' } as const;

export const SCHEMA = {
  'listen.host': { type: str, default: '127.0.0.1', doc: 'address the client listeners bind to' },
  'listen.port': { type: port, default: 5433, doc: 'Postgres-protocol port for clients' },
  'listen.oracle_port': { type: port, default: 1521, doc: 'IvorySQL Oracle-mode client port (0 = off)' },
  'upstream.url': { type: str, default: '', doc: 'postgres://user@host:port/db of the real database; empty = embedded Postgres under data_dir' },
  'upstream.oracle_port': { type: port, default: 0, doc: "IvorySQL's Oracle-mode port; 0 = Oracle-mode clients go to the normal upstream port" },
  'upstream.connect_timeout_ms': { type: { kind: 'int', min: 100, max: 600000 }, default: 5000, doc: 'give up connecting to upstream after this long (client gets FATAL 08001)' },
  'embedded.port': { type: { kind: 'int', min: 1, max: 65535 }, default: 5434, doc: 'port of the embedded Postgres (used only when upstream.url is empty)' },
  data_dir: { type: str, default: './data', doc: 'embedded Postgres data, Iceberg warehouse and caches live here' },
  'tls.cert': { type: str, default: '', doc: 'PEM certificate file; with tls.key, clients may use TLS (SSLRequest answered S)' },
  'tls.key': { type: str, default: '', doc: 'PEM private key file' },
  warehouse: { type: str, default: '', doc: "Iceberg warehouse root for mirrors: file:///abs/dir or s3://bucket/prefix; empty = <data_dir>/warehouse" },
  's3.endpoint': { type: str, default: '', doc: 'S3 endpoint URL for an s3:// warehouse (empty = AWS)' },
  's3.region': { type: str, default: 'us-east-1', doc: 'S3 region' },
  's3.access_key_id': { type: str, default: '', doc: 'S3 access key (empty = the AWS SDK default credential chain)' },
  's3.secret_access_key': { type: str, default: '', doc: 'S3 secret key' },
  's3.force_path_style': { type: { kind: 'bool' }, default: false, doc: 'path-style S3 URLs (MinIO, s3rver and other S3-compatible servers)' },
  'mirror.slot': { type: str, default: 'lakegate', doc: 'logical replication slot that feeds the mirrors (one per database)' },
  'mirror.publication': { type: str, default: 'lakegate', doc: 'publication of the mirrored source tables' },
  'mirror.flush_rows': { type: { kind: 'int', min: 1, max: 100_000_000 }, default: 100000, doc: "flush a mirror's in-memory tail to Iceberg at this many changed rows" },
  'mirror.flush_age_ms': { type: { kind: 'int', min: 100, max: 86_400_000 }, default: 10000, doc: "…or when its oldest unflushed change is this old (bounds the slot's WAL and restart replay)" },
  'mirror.idle_flush_ms': { type: { kind: 'int', min: 0, max: 86_400_000 }, default: 2000, doc: '…or when no change has arrived for this long (Postgres shutdown waits for the slot to confirm everything; 0 = off)' },
  'mirror.max_tail_rows': { type: { kind: 'int', min: 1000, max: 1_000_000_000 }, default: 2000000, doc: 'flush the largest mirror when all in-memory tails together hold this many rows' },
  'mirror.compact_target_bytes': { type: { kind: 'int', min: 1048576, max: 1099511627776 }, default: 134217728, doc: 'target size of a data file written by compaction' },
  'mirror.snapshot_retention_ms': { type: { kind: 'int', min: 0, max: 31_536_000_000 }, default: 600000, doc: 'Iceberg snapshots younger than this are kept (time travel, readers planned on them)' },
  'mirror.maintenance_interval_ms': { type: { kind: 'int', min: 0, max: 86_400_000 }, default: 60000, doc: 'background compaction, snapshot expiry and orphan removal period (0 = off)' },
  'duckdb.threads': { type: { kind: 'int', min: 1, max: 256 }, default: 2, doc: 'DuckDB worker threads for mirror queries and flushes' },
  'duckdb.memory_limit': { type: str, default: '', doc: "DuckDB memory limit such as '4GB' (empty = DuckDB's default, 80% of RAM); beyond it DuckDB spills under data_dir" },
  freshness: { type: { kind: 'enum', values: ['strict', 'snapshot'] }, default: 'strict', doc: 'strict: a mirror query sees every transaction committed before it started; snapshot: what is applied now' },
  'log.level': { type: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info', doc: 'pino log level' },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof SCHEMA;

type ValueOf<S extends KeySpec> = S['type'] extends { kind: 'int' } ? number : S['type'] extends { kind: 'bool' } ? boolean : string;
export type Config = { [K in ConfigKey]: ValueOf<(typeof SCHEMA)[K]> };

/** `listen.oracle_port` → `LAKEGATE_LISTEN_ORACLE_PORT` */
export function envName(key: string): string {
  return 'LAKEGATE_' + key.toUpperCase().replace(/\./g, '_');
}
