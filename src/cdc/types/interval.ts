import type { Value } from './values.js';

// int64 µs, int32 days, int32 months (Postgres keeps the three apart; so do we).
// PG 17+ infinite intervals arrive as all-max / all-min fields and are passed through as such.
export function decodeInterval(buf: Buffer, start: number): Value {
  return {
    micros: buf.readBigInt64BE(start),
    days: buf.readInt32BE(start + 8),
    months: buf.readInt32BE(start + 12),
  };
}
