// time and timetz: `HH:MM:SS[.ffffff]` with trailing zeros trimmed, timetz adding the offset (`+05:30`) the way
// EncodeTimezone prints it. Binary: int64 µs of the day; timetz adds int32 zone in seconds *west* of UTC.
import { DuckDBTimeTZValue, DuckDBTimeValue, DuckDBTimeNSValue } from '@duckdb/node-api';
import { int32, int64, typeError, type TypeCodec } from './codec.js';
import { encodeTimeOnly } from './datetime.js';
import { PG } from './oids.js';

function timeMicros(v: unknown): bigint {
  if (v instanceof DuckDBTimeValue) return v.micros;
  if (v instanceof DuckDBTimeNSValue) return v.nanos / 1000n;
  if (v instanceof DuckDBTimeTZValue) return v.micros;
  if (typeof v === 'bigint') return v;
  throw typeError('time', v);
}

function timetz(v: unknown): { micros: bigint; west: number } {
  if (v instanceof DuckDBTimeTZValue) return { micros: v.micros, west: -v.offset };
  throw typeError('timetz', v);
}

export const timeCodec: TypeCodec = {
  info: PG.time,
  text: (v) => encodeTimeOnly(Number(timeMicros(v)), null),
  send: (v) => int64(timeMicros(v)),
};

export const timetzCodec: TypeCodec = {
  info: PG.timetz,
  text: (v) => {
    const t = timetz(v);
    return encodeTimeOnly(Number(t.micros), t.west);
  },
  send: (v) => {
    const t = timetz(v);
    return Buffer.concat([int64(t.micros), int32(t.west)]);
  },
};
