// JS shapes of decoded column values. Exact by construction: no value passes through a lossy conversion.
//
//   bool → boolean            int2/int4/oid/float4/float8 → number (NaN, ±Infinity kept)
//   int8 → bigint             numeric → decimal string ('NaN', 'Infinity', '-Infinity' for the specials)
//   text-like, enum, json, jsonb, uuid → string       bytea → Buffer (own copy)
//   date → days since 1970-01-01 (number) or ±Infinity
//   timestamp, timestamptz → µs since 1970-01-01 UTC (bigint) or ±Infinity (number)
//   time → µs since midnight (bigint)        timetz → TimeTz      interval → Interval
//   1-D array → Value[] (null elements stay null)

export interface Interval {
  months: number;
  days: number;
  micros: bigint;
}

export interface TimeTz {
  micros: bigint;
  /** seconds east of UTC (ISO sign; Postgres stores the opposite sign internally) */
  utcOffsetSeconds: number;
}

export type Value = null | boolean | number | bigint | string | Buffer | Interval | TimeTz | Value[];

/** decodes the send/recv (binary) form of one value occupying buf[start, end) */
export type Decoder = (buf: Buffer, start: number, end: number) => Value;
