// Tunables of the mirror service, with defaults. Each maps to one config key (see README "Configuration"); the
// server passes them through unchanged.

export interface MirrorServiceOptions {
  /** logical replication slot (one per database) — config mirror.slot */
  slot: string;
  /** publication with publish_via_partition_root (one per database) — config mirror.publication */
  publication: string;
  /** flush a mirror when its tail rows + pending deletes reach this — config mirror.flush_rows */
  flushRows: number;
  /** …or when its oldest unflushed change is this old (bounds slot WAL and restart replay) — mirror.flush_age_ms */
  flushAgeMs: number;
  /**
   * …or when no change has arrived for this long (0 = off). A PostgreSQL shutdown waits until the slot has
   * confirmed everything sent, so an idle stream must not keep changes unflushed for long — mirror.idle_flush_ms
   */
  idleFlushMs: number;
  /** flush the largest mirror when all tails together hold this many rows — config mirror.max_tail_rows */
  maxTailRows: number;
  /** how often flush/maintenance triggers are checked */
  tickMs: number;
  /** confirmed-LSN status update period — config mirror.ack_interval_ms */
  ackIntervalMs: number;
  /** apply a transaction's changes to DuckDB in runs of this many (bounds JS memory of huge transactions) */
  applyBatchRows: number;
  /** commit DuckDB after this long without a new transaction, letting small transactions share one commit */
  groupCommitMs: number;
  /** …or after this many changes */
  groupCommitRows: number;
  /** rows per Parquet file written by the initial copy — config mirror.copy_file_rows */
  copyFileRows: number;
  /** changes of a table being copied held in memory before spilling to disk */
  holdMemoryChanges: number;
  /** directory for spill files */
  spillDir: string;
  /** background maintenance period (compaction, snapshot expiry, orphans); 0 = off — mirror.maintenance_interval_ms */
  maintenanceIntervalMs: number;
  /** compact when a mirror has at least this many data files smaller than compactTargetBytes / 4 */
  compactMinFiles: number;
  /** target size of a compacted data file — config mirror.compact_target_bytes */
  compactTargetBytes: number;
  /** rewrite a data file whose deleted fraction reaches this */
  rewriteDeletedRatio: number;
  /** keep snapshots younger than this (readers planned on an older one keep their files) — mirror.snapshot_retention_ms */
  snapshotRetentionMs: number;
  /** delete unreferenced files older than this — config mirror.orphan_age_ms */
  orphanAgeMs: number;
  /** flush every mirror on stop() (faster restart) */
  flushOnStop: boolean;
  /** retry delay for a failed copy */
  copyRetryMs: number;
}

export const DEFAULT_MIRROR_OPTIONS: Omit<MirrorServiceOptions, 'spillDir'> = {
  slot: 'lakegate',
  publication: 'lakegate',
  flushRows: 100_000,
  flushAgeMs: 10_000,
  idleFlushMs: 2_000,
  maxTailRows: 2_000_000,
  tickMs: 200,
  ackIntervalMs: 1_000,
  applyBatchRows: 20_000,
  groupCommitMs: 50,
  groupCommitRows: 20_000,
  copyFileRows: 1_000_000,
  holdMemoryChanges: 100_000,
  maintenanceIntervalMs: 60_000,
  compactMinFiles: 8,
  compactTargetBytes: 128 * 1024 * 1024,
  rewriteDeletedRatio: 0.3,
  snapshotRetentionMs: 10 * 60_000,
  orphanAgeMs: 60 * 60_000,
  flushOnStop: true,
  copyRetryMs: 5_000,
};
