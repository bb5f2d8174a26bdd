// timestamp (without time zone): DateStyle-dependent text via EncodeDateTime, no zone; binary int64 µs since
// 2000-01-01 with INT64_MAX/INT64_MIN for ±infinity.
import { int64, toMicros, type TypeCodec } from './codec.js';
import { encodeDateTime, PG_EPOCH_MICROS, splitMicros } from './datetime.js';
import { PG } from './oids.js';

export const INT64_MAX = 9_223_372_036_854_775_807n;
export const INT64_MIN = -9_223_372_036_854_775_808n;

/** Binary timestamp/timestamptz value (both are µs since the PG epoch; timestamptz in UTC). */
export function timestampSend(v: unknown, type: string): Buffer {
  const t = toMicros(v, type);
  if (t.inf) return int64(t.inf > 0 ? INT64_MAX : INT64_MIN);
  return int64(t.micros - PG_EPOCH_MICROS);
}

export const timestampCodec: TypeCodec = {
  info: PG.timestamp,
  text: (v, s) => {
    const t = toMicros(v, 'timestamp');
    if (t.inf) return t.inf > 0 ? 'infinity' : '-infinity';
    const { days, usec } = splitMicros(t.micros);
    return encodeDateTime(days, usec, null, s);
  },
  send: (v) => timestampSend(v, 'timestamp'),
};
