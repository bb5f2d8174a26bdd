import type { Value } from './values.js';

export function decodeUuid(buf: Buffer, start: number): Value {
  const h = buf.toString('hex', start, start + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
