import { PG_EPOCH_MICROS } from '../types/epoch.js';
import type { Reader } from './reader.js';

/** a pgoutput TimestampTz (µs since 2000-01-01) as µs since the Unix epoch */
export function readTimestamp(r: Reader): bigint {
  return r.i64() + PG_EPOCH_MICROS;
}
