// date: DateStyle-dependent text (EncodeDateOnly), `infinity`/`-infinity`; binary int32 days since 2000-01-01 with
// INT32_MAX/INT32_MIN for the infinities.
import { int32, toDays, type TypeCodec } from './codec.js';
import { civilFromDays, encodeDateOnly, PG_EPOCH_DAYS } from './datetime.js';
import { PG } from './oids.js';

export const dateCodec: TypeCodec = {
  info: PG.date,
  text: (v, s) => {
    const d = toDays(v, 'date');
    if (d === Infinity) return 'infinity';
    if (d === -Infinity) return '-infinity';
    return encodeDateOnly(civilFromDays(d), s);
  },
  send: (v) => {
    const d = toDays(v, 'date');
    if (d === Infinity) return int32(2147483647);
    if (d === -Infinity) return int32(-2147483648);
    return int32(d - PG_EPOCH_DAYS);
  },
};
