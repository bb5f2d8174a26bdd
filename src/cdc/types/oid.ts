import type { Value } from './values.js';

export function decodeOid(buf: Buffer, start: number): Value {
  return buf.readUInt32BE(start);
}
