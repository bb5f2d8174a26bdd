// timestamptz: the UTC instant shown in the session TimeZone — ISO DateStyle appends the numeric offset
// (`+05:30`, `-04:56:02` for LMT), SQL/German/Postgres append the zone abbreviation (`EST`, `LMT`, `+0530`).
// Binary is the UTC instant (int64 µs since 2000-01-01), independent of TimeZone.
import { toMicros, type TypeCodec } from './codec.js';
import { encodeDateTime, splitMicros, splitMicrosNumber, unixSeconds } from './datetime.js';
import { PG } from './oids.js';
import type { OutputSettings } from './settings.js';
import { timestampSend } from './timestamp.js';

/** Local date parts of a UTC instant in the session zone, plus the zone part PG prints. */
export function toLocal(micros: bigint, s: OutputSettings): { days: number; usec: number; west: number; abbr: string } {
  // Number arithmetic for the usual range (±142,000 years around 1970 stays well inside 2^53 µs after the offset)
  if (micros > -4_000_000_000_000_000n && micros < 4_000_000_000_000_000n) {
    const m = Number(micros);
    let secs = Math.floor(m / 1e6);
    const r = m - secs * 1e6;
    if (r < 0) secs -= 1;
    else if (r >= 1e6) secs += 1;
    const zi = s.timeZone.at(secs);
    const { days, usec } = splitMicrosNumber(m + zi.utoff * 1e6);
    return { days, usec, west: -zi.utoff, abbr: zi.abbr };
  }
  const zi = s.timeZone.at(unixSeconds(micros));
  const { days, usec } = splitMicros(micros + BigInt(zi.utoff) * 1_000_000n);
  return { days, usec, west: -zi.utoff, abbr: zi.abbr };
}

export const timestamptzCodec: TypeCodec = {
  info: PG.timestamptz,
  text: (v, s) => {
    const t = toMicros(v, 'timestamptz');
    if (t.inf) return t.inf > 0 ? 'infinity' : '-infinity';
    const l = toLocal(t.micros, s);
    return encodeDateTime(l.days, l.usec, { west: l.west, abbr: l.abbr }, s);
  },
  send: (v) => timestampSend(v, 'timestamptz'),
};
