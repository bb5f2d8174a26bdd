import type { Value } from './values.js';

export function decodeInt4(buf: Buffer, start: number): Value {
  return buf.readInt32BE(start);
}
