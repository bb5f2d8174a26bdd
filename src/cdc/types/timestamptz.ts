import { decodeTimestamp } from './timestamp.js';
import type { Value } from './values.js';

// Same layout as timestamp: an instant in µs UTC; the session TimeZone never enters binary form.
export function decodeTimestamptz(buf: Buffer, start: number): Value {
  return decodeTimestamp(buf, start);
}
