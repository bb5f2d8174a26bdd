import type { Value } from './values.js';

// IEEE bits as sent, so NaN and ±Infinity survive (text mode would depend on extra_float_digits / Oracle 'Nan').
export function decodeFloat4(buf: Buffer, start: number): Value {
  return buf.readFloatBE(start);
}
