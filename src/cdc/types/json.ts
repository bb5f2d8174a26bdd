import type { Value } from './values.js';

// json's binary form is its text, unparsed: the mirror stores JSON text, so we never round-trip through JS objects.
export function decodeJson(buf: Buffer, start: number, end: number): Value {
  return buf.toString('utf8', start, end);
}
