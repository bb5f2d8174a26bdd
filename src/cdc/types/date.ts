import { PG_EPOCH_DAYS } from './epoch.js';
import type { Value } from './values.js';

const DATE_NEG_INFINITY = -0x80000000;
const DATE_POS_INFINITY = 0x7fffffff;

/** days since 1970-01-01, or ±Infinity for Postgres' infinite dates */
export function decodeDate(buf: Buffer, start: number): Value {
  const d = buf.readInt32BE(start);
  if (d === DATE_POS_INFINITY) return Infinity;
  if (d === DATE_NEG_INFINITY) return -Infinity;
  return d + PG_EPOCH_DAYS;
}
