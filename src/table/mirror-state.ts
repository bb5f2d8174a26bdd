// Runtime state of one mirror next to its DuckDB objects: the Iceberg table and base it sits on, counters the
// flush policy reads, and the LSN bookkeeping the exactly-once rules rest on (README.md "Invariants").
import type { Lsn } from '../cdc/index.js';
import type { IcebergTable } from '../iceberg/index.js';
import type { BaseState } from './base.js';
import type { MirrorTable } from './mirror-table.js';
import type { TailKeyFilter } from './tail-filter.js';

export interface FlushCut {
  /** every tail row with _lg_rowid <= rowid that existed at the cut is in the flush's data file */
  rowid: number;
  /** the flush covers transactions with commit LSN < lsn */
  lsn: Lsn;
}

export class MirrorState {
  /** committed Iceberg state readers see through the view */
  base: BaseState;
  /** next _lg_rowid to hand out (monotonic for the life of the process) */
  nextRowid = 1;
  /** rows currently in the tail (committed or in the open apply transaction) */
  tailRows = 0;
  /** keys that may be in the tail (keyed mirrors with simple key types; null: always probe the tail) */
  tailKeys: TailKeyFilter | null = null;
  /** delete entries added since the last flush (delkeys/delrows rows, delpos rows) */
  pendingDeletes = 0;
  /** commit LSN of a TRUNCATE applied to the tail but not yet flushed (hides the whole base) */
  truncateLsn: Lsn | null = null;
  /** set while a flush runs, between its cut and its swap */
  flushCut: FlushCut | null = null;
  /** rows may have been written to lg_gone since the cut (else the swap has nothing to read or clear there) */
  goneWritten = false;
  /**
   * while a flush runs: the keys that entered the tail since its cut (exactly the rows its swap leaves), so the
   * swap builds the new tail filter without reading the tail back; null when not tracked (too many)
   */
  keysSinceCut: string[] | null = null;

  /** a flush took its cut: what apply records for its swap starts empty */
  startFlushCut(cut: FlushCut): void {
    this.flushCut = cut;
    this.goneWritten = false;
    this.keysSinceCut = this.tailKeys ? [] : null;
  }

  /** the flush swapped or gave up */
  endFlushCut(): void {
    this.flushCut = null;
    this.goneWritten = false;
    this.keysSinceCut = null;
  }
  /** commit LSN of the newest transaction that changed this mirror (0: none since start) */
  lastChangeLsn: Lsn = 0n;
  /** Date.now() of the first change not yet flushed (null: nothing unflushed) */
  dirtySinceMs: number | null = null;
  /** live rows of the base (exact: maintained across copy, flushes and compaction) */
  baseRows: number;
  /** rows whose unchanged-TOAST columns were filled from the stored row (a counter for tests and metrics) */
  toastFilled = 0;
  /** source transactions held during this mirror's copy and replayed after it */
  replayedAfterCopy = 0;

  constructor(readonly table: MirrorTable, readonly iceberg: IcebergTable, base: BaseState, baseRows: number) {
    this.base = base;
    this.baseRows = baseRows;
  }

  get id(): number {
    return this.table.id;
  }

  /** every transaction with commit LSN < durableLsn is in Iceberg (the current snapshot's flush LSN) */
  get durableLsn(): Lsn {
    return this.base.flushLsn;
  }

  /** something applied is not yet in Iceberg */
  get dirty(): boolean {
    return this.lastChangeLsn >= this.durableLsn && this.dirtySinceMs !== null;
  }

  /** record that a transaction with this commit LSN changed the mirror */
  touched(commitLsn: Lsn): void {
    if (commitLsn > this.lastChangeLsn) this.lastChangeLsn = commitLsn;
    this.dirtySinceMs ??= Date.now();
  }
}
