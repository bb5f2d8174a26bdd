import type { Value } from './values.js';

// int64 µs of local time, then int32 zone in seconds *west* of UTC; we flip it to the ISO sign.
export function decodeTimetz(buf: Buffer, start: number): Value {
  const zoneWest = buf.readInt32BE(start + 8);
  return { micros: buf.readBigInt64BE(start), utcOffsetSeconds: zoneWest === 0 ? 0 : -zoneWest };
}
