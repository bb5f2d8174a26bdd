import type { Value } from './values.js';

// text, varchar, bpchar (blank padding kept), name, enum labels, and text-format fallbacks.
// The connection pins client_encoding=UTF8, so the bytes are UTF-8.
export function decodeText(buf: Buffer, start: number, end: number): Value {
  return buf.toString('utf8', start, end);
}
