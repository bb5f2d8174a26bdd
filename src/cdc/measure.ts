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

/** Stream from startLsn until a transaction ending at ≥ untilLsn arrives; count bytes only. */
export async function consumeRaw(opts: ReplicationStreamOptions & { startLsn: Lsn; untilLsn: Lsn; timeoutMs?: number }): Promise<RawConsumeResult> {
  const stream = new ReplicationStream({ ackIdleKeepalives: false, ...opts });
  let bytes = 0;
  let messages = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => { resolveDone = r; });
  const t0 = performance.now();
  await stream.start(opts.startLsn, (x) => {
    bytes += x.payload.length + 25;
    messages++;
    if (x.walStart >= opts.untilLsn) resolveDone();
  });
  try {
    await withTimeout(Promise.race([done, stream.finished]), opts.timeoutMs ?? 120_000, 'consumeRaw');
  } finally {
    await stream.stop();
  }
  const ms = performance.now() - t0;
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
  await stream.start(opts.startLsn, (ev) => {
    if (ev.kind === 'changes') rows += ev.changes.length;
    else if (ev.kind === 'commit') {
      transactions++;
      if (ev.endLsn >= opts.untilLsn) resolveDone();
    }
  });
  try {
    await withTimeout(Promise.race([done, stream.finished]), opts.timeoutMs ?? 120_000, 'consumeDecoded');
  } finally {
    await stream.stop();
  }
  const ms = performance.now() - t0;
  return { rows, transactions, bytes: stream.stats.xlogBytes, ms, rowsPerSec: rows / (ms / 1000) };
}
