// Crash points for tests (the supabase/etl failpoints idea): LAKEGATE_FAILPOINT=<name>[,<name>…] makes the
// process SIGKILL itself when it reaches that point — the honest way to prove "nothing lost, nothing twice".
// `<name>@<n>` fires on the n-th time the point is reached (default 1). Unset in production: one Set lookup.
import { log } from '../log.js';

export type FailpointName =
  /** flush: data/delete files written, Iceberg commit not yet made */
  | 'before-iceberg-commit'
  /** flush: Iceberg snapshot committed, DuckDB swap and ack not yet done */
  | 'after-iceberg-commit'
  /** flush: swapped in DuckDB, before the ack moves */
  | 'after-flush-swap'
  /** initial copy: some Parquet files written, not committed */
  | 'mid-copy'
  /** initial copy: committed to Iceberg, mirror not yet marked ready */
  | 'after-copy-commit'
  /** apply: a source transaction applied in DuckDB, not yet committed there */
  | 'mid-apply'
  /** maintenance: compaction committed, swap not done */
  | 'after-compaction-commit';

const armed = new Map<string, number>();
for (const part of (process.env.LAKEGATE_FAILPOINT ?? '').split(',')) {
  const [name, n] = part.trim().split('@');
  if (name) armed.set(name, Math.max(1, Number(n ?? '1') || 1));
}

export function failpoint(name: FailpointName): void {
  if (armed.size === 0) return;
  const left = armed.get(name);
  if (left === undefined) return;
  if (left > 1) {
    armed.set(name, left - 1);
    return;
  }
  log.warn({ failpoint: name }, 'failpoint reached: killing the process');
  process.kill(process.pid, 'SIGKILL');
}

/**
 * Test pacing: LAKEGATE_DELAYPOINT=<name>:<ms>[,…] makes `delaypoint(name)` wait that long (read on each call,
 * so tests can set it at run time). 'copy-file': after each file the initial copy writes; 'copy-join': inside the
 * section that makes a copied mirror live, before it commits; 'flush-cut': after a
 * flush took its cut, before it writes (changes applied meanwhile exercise the swap's bookkeeping).
 */
export async function delaypoint(name: 'copy-file' | 'copy-join' | 'flush-cut'): Promise<void> {
  const spec = process.env.LAKEGATE_DELAYPOINT;
  if (!spec) return;
  for (const part of spec.split(',')) {
    const [n, ms] = part.trim().split(':');
    if (n === name && Number(ms) > 0) await new Promise((r) => setTimeout(r, Number(ms)));
  }
}
