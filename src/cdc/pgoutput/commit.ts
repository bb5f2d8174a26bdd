import type { Reader } from './reader.js';
import { readTimestamp } from './timestamp.js';

// 'C': Int8 flags (unused), Int64 commit LSN, Int64 end LSN, Int64 commit time.
// endLsn is what a consumer acknowledges once the transaction is durable.
export interface Commit {
  tag: 'commit';
  flags: number;
  commitLsn: bigint;
  endLsn: bigint;
  commitTime: bigint;
}

export function readCommit(r: Reader): Commit {
  return { tag: 'commit', flags: r.u8(), commitLsn: r.u64(), endLsn: r.u64(), commitTime: readTimestamp(r) };
}
