import type { Value } from './values.js';

export function decodeInt2(buf: Buffer, start: number): Value {
  return buf.readInt16BE(start);
}
