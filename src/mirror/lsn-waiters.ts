// Readers waiting for an upstream LSN to be visible in DuckDB (strict freshness). The pipeline calls
// release() whenever the visible position may have moved; the lowest pending LSN tells the applier which
// group commit someone is waiting for.
import type { Lsn } from '../cdc/index.js';

interface Waiter {
  lsn: Lsn;
  done(ok: boolean): void;
}

export class LsnWaiters {
  private list: Waiter[] = [];

  get size(): number {
    return this.list.length;
  }

  /** the lowest LSN someone waits for, or null */
  lowest(): Lsn | null {
    let low: Lsn | null = null;
    for (const w of this.list) if (low === null || w.lsn < low) low = w.lsn;
    return low;
  }

  /** resolves true once release() is called with a position ≥ lsn, false after timeoutMs or on cancelAll() */
  add(lsn: Lsn, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const w: Waiter = {
        lsn,
        done: (ok) => {
          clearTimeout(timer);
          const i = this.list.indexOf(w);
          if (i >= 0) this.list.splice(i, 1);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => w.done(false), Math.max(0, timeoutMs));
      timer.unref();
      this.list.push(w);
    });
  }

  /** everything up to `visible` can be seen: release those waiting for it */
  release(visible: Lsn): void {
    if (this.list.length === 0) return;
    for (const w of this.list.filter((x) => x.lsn <= visible)) w.done(true);
  }

  cancelAll(): void {
    for (const w of [...this.list]) w.done(false);
  }
}
