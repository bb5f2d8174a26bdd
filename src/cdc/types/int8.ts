import type { Value } from './values.js';

// bigint, never number: int8 exceeds 2^53.
export function decodeInt8(buf: Buffer, start: number): Value {
  return buf.readBigInt64BE(start);
}
