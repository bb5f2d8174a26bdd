import type { Reader } from './reader.js';
import { readTimestamp } from './timestamp.js';

// 'A': Int32 xid, Int32 subxid (= xid when the whole transaction aborted, else only that subtransaction's
// changes are void), and with proto 4 + streaming 'parallel' also Int64 abort LSN, Int64 abort time.
export interface StreamAbort {
  tag: 'streamAbort';
  xid: number;
  subXid: number;
  abortLsn?: bigint;
  abortTime?: bigint;
}

export function readStreamAbort(r: Reader, withAbortInfo: boolean): StreamAbort {
  const m: StreamAbort = { tag: 'streamAbort', xid: r.u32(), subXid: r.u32() };
  if (withAbortInfo) {
    m.abortLsn = r.u64();
    m.abortTime = readTimestamp(r);
  }
  return m;
}
