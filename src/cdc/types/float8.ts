import type { Value } from './values.js';

export function decodeFloat8(buf: Buffer, start: number): Value {
  return buf.readDoubleBE(start);
}
