import type { Value } from './values.js';

/** µs since midnight */
export function decodeTime(buf: Buffer, start: number): Value {
  return buf.readBigInt64BE(start);
}
