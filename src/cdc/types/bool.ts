import type { Value } from './values.js';

export function decodeBool(buf: Buffer, start: number): Value {
  return buf[start] !== 0;
}
