// int2 / int4 / int8 (and oid): plain decimal text, big-endian two's complement in binary. DuckDB's TINYINT and
// unsigned types map here by width; a value outside the target range is a translation bug, reported loudly.
import { int16, int32, int64, toBigInt, type TypeCodec } from './codec.js';
import { PG, type PgTypeInfo } from './oids.js';

function intCodec(info: PgTypeInfo, min: bigint, max: bigint, write: (n: bigint) => Buffer): TypeCodec {
  const check = (v: unknown): bigint => {
    const n = toBigInt(v, info.name);
    if (n < min || n > max) throw new Error(`${info.name} out of range: ${n}`);
    return n;
  };
  return {
    info,
    text: (v) => (typeof v === 'number' && Number.isInteger(v) ? String(v) : String(check(v))),
    send: (v) => write(check(v)),
  };
}

export const int2Codec = intCodec(PG.int2, -32768n, 32767n, (n) => int16(Number(n)));
export const int4Codec = intCodec(PG.int4, -2147483648n, 2147483647n, (n) => int32(Number(n)));
export const int8Codec = intCodec(PG.int8, -(2n ** 63n), 2n ** 63n - 1n, int64);
export const oidCodec = intCodec(PG.oid, 0n, 4294967295n, (n) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(Number(n));
  return b;
});
