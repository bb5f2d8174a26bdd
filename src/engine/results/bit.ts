// bit / varbit (DuckDB BIT): text is the bit string `1011`; binary is int32 bit length + bits packed MSB first,
// zero-padded in the last byte (varbit_send).
import { DuckDBBitValue } from '@duckdb/node-api';
import { typeError, type TypeCodec } from './codec.js';
import { PG, type PgTypeInfo } from './oids.js';

function bits(v: unknown, type: string): string {
  if (v instanceof DuckDBBitValue) return v.toString();
  if (typeof v === 'string' && /^[01]*$/.test(v)) return v;
  throw typeError(type, v);
}

function bitCodec(info: PgTypeInfo): TypeCodec {
  return {
    info,
    text: (v) => bits(v, info.name),
    send: (v) => {
      const s = bits(v, info.name);
      const b = Buffer.alloc(4 + Math.ceil(s.length / 8));
      b.writeInt32BE(s.length, 0);
      for (let i = 0; i < s.length; i++) if (s[i] === '1') b[4 + (i >> 3)]! |= 0x80 >> (i & 7);
      return b;
    },
  };
}

export const varbitCodec = bitCodec(PG.varbit);
export const bitCodecFixed = bitCodec(PG.bit);
