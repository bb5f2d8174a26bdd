import type { Reader } from './reader.js';
import { readTimestamp } from './timestamp.js';

// 'c': Int32 xid, Int8 flags (unused), Int64 commit LSN, Int64 end LSN, Int64 commit time.
export interface StreamCommit {
  tag: 'streamCommit';
  xid: number;
  flags: number;
  commitLsn: bigint;
  endLsn: bigint;
  commitTime: bigint;
}

export function readStreamCommit(r: Reader): StreamCommit {
  return { tag: 'streamCommit', xid: r.u32(), flags: r.u8(), commitLsn: r.u64(), endLsn: r.u64(), commitTime: readTimestamp(r) };
}
