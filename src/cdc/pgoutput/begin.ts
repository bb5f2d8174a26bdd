import type { Reader } from './reader.js';
import { readTimestamp } from './timestamp.js';

// 'B': Int64 final (commit) LSN, Int64 commit time, Int32 xid.
export interface Begin {
  tag: 'begin';
  finalLsn: bigint;
  /** µs since the Unix epoch */
  commitTime: bigint;
  xid: number;
}

export function readBegin(r: Reader): Begin {
  return { tag: 'begin', finalLsn: r.u64(), commitTime: readTimestamp(r), xid: r.u32() };
}
