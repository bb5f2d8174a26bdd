import type { Value } from './values.js';

// A copy: the source buffer belongs to the socket parser and is reused after the consumer returns.
export function decodeBytea(buf: Buffer, start: number, end: number): Value {
  return Buffer.from(buf.subarray(start, end));
}
