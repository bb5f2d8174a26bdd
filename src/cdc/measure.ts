// Throughput probes for the `cdc` benchmark: the same slot and WAL range consumed (a) as raw CopyData with no
// pgoutput decoding — the walsender + socket ceiling — and (b) fully decoded into CdcEvents.
// Neither acknowledges anything, so both can replay the same range from `startLsn`.
import { ChangeStream, type ChangeStreamOptions } from './changes/change-stream.js';
import type { Lsn } from './lsn.js';
import { ReplicationStream, type ReplicationStreamOptions } from './stream.js';

export interface RawConsumeResult {
  xlogMessages: number;
  /** CopyData bytes, replication headers included */
  bytes: number;
  ms: number;
  mbPerSec: number;
}

export interface DecodedConsumeResult {
  rows: number;
  transactions: number;
  bytes: number;
  ms: number;
  rowsPerSec: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

// End marker: after loading, `SELECT pg_logical_emit_message(false, 'lakegate.bench', '')` returns an LSN that
// is sent on its own as soon as it is decoded; pass it as untilLsn. (pg_current_wal_lsn() lags under async
// commit, and background WAL can push pg_current_wal_insert_lsn() past the last commit.)

/** Stream from startLsn until a message at ≥ untilLsn arrives; count bytes only. */
export async function consumeRaw(opts: ReplicationStreamOptions & { startLsn: Lsn; untilLsn: Lsn; timeoutMs?: number }): Promise<RawConsumeResult> {
  const stream = new ReplicationStream({ ackIdleKeepalives: false, ...opts });
  let bytes = 0;
  let messages = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const t0 = performance.now();
  let t1 = t0;
  await stream.start(opts.startLsn, (x) => {
    bytes += x.payload.length + 25;
    messages++;
    if (x.walStart >= opts.untilLsn) resolveDone();
  });
  try {
    await withTimeout(Promise.race([done, stream.finished]), opts.timeoutMs ?? 120_000, 'consumeRaw');
  } finally {
    t1 = performance.now(); // stopping mid-transaction can take a while; not part of the figure
    await stream.stop();
  }
  const ms = t1 - t0;
  return { xlogMessages: messages, bytes, ms, mbPerSec: bytes / 1048576 / (ms / 1000) };
}

/** Same range, decoded into typed, batched changes. */
export async function consumeDecoded(opts: ChangeStreamOptions & { startLsn: Lsn; untilLsn: Lsn; timeoutMs?: number }): Promise<DecodedConsumeResult> {
  const stream = new ChangeStream({ ackIdleKeepalives: false, ...opts });
  let rows = 0;
  let transactions = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const t0 = performance.now();
  let t1 = t0;
  await stream.start(opts.startLsn, (ev) => {
    if (ev.kind === 'changes') rows += ev.changes.length;
    else if (ev.kind === 'commit') {
      transactions++;
      if (ev.endLsn >= opts.untilLsn) resolveDone();
    } else if (ev.kind === 'message' && ev.lsn >= opts.untilLsn) resolveDone();
  });
  try {
    await withTimeout(Promise.race([done, stream.finished]), opts.timeoutMs ?? 120_000, 'consumeDecoded');
  } finally {
    t1 = performance.now();
    await stream.stop();
  }
  const ms = t1 - t0;
  return { rows, transactions, bytes: stream.stats.xlogBytes, ms, rowsPerSec: rows / (ms / 1000) };
}
