import type { Reader } from './reader.js';

// 'S' (proto ≥ 2, streaming on): Int32 xid, Int8 first segment (1 = this xid's first block).
// Until the matching Stream Stop every change message carries an Int32 xid prefix: the *sub*transaction's
// xid, which Stream Abort may later name.
export interface StreamStart {
  tag: 'streamStart';
  xid: number;
  firstSegment: boolean;
}

export function readStreamStart(r: Reader): StreamStart {
  return { tag: 'streamStart', xid: r.u32(), firstSegment: r.u8() === 1 };
}
