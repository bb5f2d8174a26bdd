import { PG_EPOCH_MICROS } from './epoch.js';
import type { Value } from './values.js';

const TS_NEG_INFINITY = -0x8000000000000000n;
const TS_POS_INFINITY = 0x7fffffffffffffffn;

/** µs since 1970-01-01 as bigint (exact), or ±Infinity (number) for infinite timestamps */
export function decodeTimestamp(buf: Buffer, start: number): Value {
  const us = buf.readBigInt64BE(start);
  if (us === TS_POS_INFINITY) return Infinity;
  if (us === TS_NEG_INFINITY) return -Infinity;
  return us + PG_EPOCH_MICROS;
}
