// Strict freshness: a mirror query sees every transaction committed before it started. Such a commit record
// lies before upstream's WAL insert position at the start (L), so waiting until the mirror has applied
// everything up to L is enough — but the replication stream only carries *flushed* WAL, and the tail after
// the last flush may be a partial page of records that are no commits (a standby snapshot, hint bits) which
// Postgres leaves unflushed indefinitely on a quiet server. Waiting for L would then never end.
//
// Commits with synchronous_commit on are flushed before the client hears of them; asynchronous commits are
// flushed by the WAL writer within 3 × wal_writer_delay (walwriter.c). So: when L is flushed, wait for L.
// Otherwise wait for L that long; after it, the flush position covers every commit before L, and the mirror
// is fresh once it reaches min(L, flush position).
import type { ExecContext } from './exec-context.js';
import { parseLsn } from './mirror-source.js';
import type { UpstreamChannel } from './upstream-channel.js';

type WaitForLsn = (lsn: bigint, timeoutMs: number) => Promise<boolean>;

export async function awaitFreshness(up: UpstreamChannel, waitForLsn: WaitForLsn, ctx: ExecContext, timeoutMs: number): Promise<boolean> {
  const target = ctx.lsn!;
  if (ctx.flushLsn === null || ctx.flushLsn >= target) return waitForLsn(target, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  const grace = 3 * ctx.walWriterDelayMs + 50;
  if (await waitForLsn(target, Math.min(grace, timeoutMs))) return true;
  const r = await up.query('SELECT pg_catalog.pg_current_wal_flush_lsn()::text');
  const flushed = parseLsn(r.rows[0]![0]!);
  const left = Math.max(0, deadline - Date.now());
  return waitForLsn(flushed < target ? flushed : target, left);
}
