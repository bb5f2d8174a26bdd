import type { Value } from './values.js';

// The one-byte internal type "char" (pg_catalog.char, OID 18), not bpchar; its byte is sent raw.
export function decodeChar(buf: Buffer, start: number, end: number): Value {
  return end > start ? buf.toString('latin1', start, start + 1) : '';
}
