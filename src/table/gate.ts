// How flush and maintenance get a word in with the change applier: between two source transactions, with
// apply paused. This is what makes a flush cut and a swap land on transaction boundaries.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Lsn } from '../cdc/index.js';

export interface ApplyGate {
  /**
   * Run `fn` between source transactions: whatever the applier has done is committed in DuckDB, apply waits,
   * and `conn` (the apply connection) is inside a fresh DuckDB transaction that commits after `fn` returns
   * (rolls back if it throws). `appliedLsn`: every transaction with commit LSN < appliedLsn has been applied.
   */
  exclusive<T>(fn: (conn: DuckDBConnection, appliedLsn: Lsn) => Promise<T>): Promise<T>;
}

/** Iceberg and DuckDB disagree after this error (e.g. a swap failed after a commit): rebuild from Iceberg. */
export class MirrorStateLostError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MirrorStateLostError';
  }
}
