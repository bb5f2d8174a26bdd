import type { Reader } from './reader.js';

// 'T': [Int32 xid], Int32 nrels, Int8 options (1 = CASCADE, 2 = RESTART IDENTITY), Int32 × nrels relation OIDs.
// One message covers every published relation the TRUNCATE touched (cascaded ones included).
export interface Truncate {
  tag: 'truncate';
  xid?: number;
  cascade: boolean;
  restartIdentity: boolean;
  relationOids: number[];
}

export function readTruncate(r: Reader, xid: number | undefined): Truncate {
  const n = r.i32();
  const options = r.u8();
  const relationOids: number[] = new Array(n);
  for (let i = 0; i < n; i++) relationOids[i] = r.u32();
  return { tag: 'truncate', xid, cascade: (options & 1) !== 0, restartIdentity: (options & 2) !== 0, relationOids };
}
