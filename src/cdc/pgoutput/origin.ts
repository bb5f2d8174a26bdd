import type { Reader } from './reader.js';

// 'O': Int64 commit LSN on the origin server, String origin name. Sent after Begin for replicated-in changes.
export interface Origin {
  tag: 'origin';
  originLsn: bigint;
  name: string;
}

export function readOrigin(r: Reader): Origin {
  return { tag: 'origin', originLsn: r.u64(), name: r.cstring() };
}
