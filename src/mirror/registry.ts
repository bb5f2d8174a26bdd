// What the mirror service needs from the control plane (the mooncake.mirrors registry in upstream Postgres).
// src/control provides the real client; an adapter maps it onto this interface (control-registry.ts), and
// MemoryRegistry serves tests and embedding.
import type { TableConfig } from '../control/mirror.js';
import type { Lsn, TableName } from '../cdc/index.js';

/** states the service sets; the registry may also hold 'dropping' (files to delete) and 'failed' */
export type MirrorLifecycle = 'pending' | 'copying' | 'ready' | 'failed';

/** the create_table `table_config` (pg_mooncake's JSON shape, validated by the control plane) */
export type MirrorTableConfig = TableConfig;

export interface MirrorRecord {
  id: number;
  /** the mirror (destination) table, e.g. public.trades_iceberg */
  name: TableName;
  source: TableName;
  /** 'pending' | 'copying' | 'ready': mirror it; 'dropping': delete its files, then forget it; 'failed': leave it */
  state: string;
  /** Iceberg table location (URI under the warehouse); null: the service derives one and records it */
  location?: string | null;
  /** storage and format settings; absent = the warehouse, Iceberg v2 */
  tableConfig?: MirrorTableConfig;
}

export interface MirrorProgress {
  /** every source transaction with commit LSN below this is visible in the mirror (tail included) */
  commitLsn: Lsn;
  /** …and below this one durable in Iceberg */
  flushLsn: Lsn;
  rowCount: number;
  dataFiles: number;
  snapshotId: bigint | null;
  metadataLocation: string;
}

export interface RequestResult {
  ok: boolean;
  message?: string;
  /** the Iceberg flush LSN the request was answered at */
  lsn?: Lsn;
  snapshotId?: bigint | null;
}

/** A mooncake request: pg_logical_emit_message(false, 'mooncake', '{"id", "kind", "mirror", "lsn"}') */
export interface MirrorRequest {
  id: string | number;
  kind: string;
  /** mirror id, or its (optionally schema-qualified) name */
  mirror: number | string;
  lsn?: string;
  /** optimize_table: 'data' | 'full' */
  mode?: string;
  [extra: string]: unknown;
}

export interface CatalogEntry {
  /** Iceberg namespace, e.g. the mirror's schema */
  namespace: string;
  name: string;
  metadataLocation: string;
  previousMetadataLocation: string | null;
}

export interface MirrorRegistry {
  list(): Promise<MirrorRecord[]>;
  /** call `onChange` when mirrors are added or dropped; returns an unsubscribe function */
  watch(onChange: () => void): Promise<() => Promise<void>>;
  setState(id: number, state: MirrorLifecycle, error?: string | null): Promise<void>;
  setProgress(id: number, p: MirrorProgress): Promise<void>;
  writeRequestResult(requestId: string | number, r: RequestResult): Promise<void>;
  /** JDBC-catalog row of the mirror's Iceberg table (optional) */
  upsertIcebergCatalog?(e: CatalogEntry): Promise<void>;
  /** remember where the mirror's Iceberg table lives (optional) */
  setLocation?(id: number, location: string): Promise<void>;
  /** a 'dropping' mirror's files are gone: remove its record (optional) */
  forget?(id: number): Promise<void>;
}
