// uuid: lower-case 8-4-4-4-12 text, 16 raw bytes in binary. DuckDB stores UUIDs as a HUGEINT with the top bit flipped;
// DuckDBUUIDValue.toUint128() undoes that.
import { DuckDBUUIDValue } from '@duckdb/node-api';
import { typeError, type TypeCodec } from './codec.js';
import { PG } from './oids.js';

function toUint128(v: unknown): bigint {
  if (v instanceof DuckDBUUIDValue) return v.toUint128();
  if (typeof v === 'string') {
    const hex = v.replace(/[{}-]/g, '');
    if (/^[0-9a-fA-F]{32}$/.test(hex)) return BigInt('0x' + hex);
  }
  throw typeError('uuid', v);
}

export function uuidText(u: bigint): string {
  const h = u.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const uuidCodec: TypeCodec = {
  info: PG.uuid,
  text: (v) => uuidText(toUint128(v)),
  send: (v) => {
    const u = toUint128(v);
    const b = Buffer.allocUnsafe(16);
    b.writeBigUInt64BE(u >> 64n, 0);
    b.writeBigUInt64BE(u & 0xffffffffffffffffn, 8);
    return b;
  },
};
