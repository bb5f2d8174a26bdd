// Character types: text, varchar(n), bpchar(n) ("char"-padded), name, and IvorySQL's VARCHAR2/CHAR types. Text and
// binary are both the UTF-8 bytes; bpchar is blank-padded to its declared length as PG stores it.
import { typeError, type TypeCodec } from './codec.js';
import { PG, type PgTypeInfo } from './oids.js';

export function toText(v: unknown, type: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  throw typeError(type, v);
}

function plain(info: PgTypeInfo): TypeCodec {
  return {
    info,
    text: (v) => toText(v, info.name),
    send: (v) => Buffer.from(toText(v, info.name), 'utf8'),
  };
}

/** Blank-pads to typmod-4 characters (or bytes, for Oracle CHAR(n BYTE)). */
function padded(info: PgTypeInfo, byBytes: boolean): TypeCodec {
  const pad = (v: unknown, typmod: number): string => {
    const s = toText(v, info.name);
    if (typmod <= 4) return s;
    const want = typmod - 4;
    const have = byBytes ? Buffer.byteLength(s, 'utf8') : countChars(s);
    return have < want ? s + ' '.repeat(want - have) : s;
  };
  return {
    info,
    text: (v, _s, typmod) => pad(v, typmod),
    send: (v, _s, typmod) => Buffer.from(pad(v, typmod), 'utf8'),
  };
}

function countChars(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

export const textCodec = plain(PG.text);
export const varcharCodec = plain(PG.varchar);
export const nameCodec = plain(PG.name);
export const bpcharCodec = padded(PG.bpchar, false);
export const oraVarcharByteCodec = plain(PG.oravarcharbyte);
export const oraVarcharCharCodec = plain(PG.oravarcharchar);
export const oraCharByteCodec = padded(PG.oracharbyte, true);
export const oraCharCharCodec = padded(PG.oracharchar, false);

/** "char": a single byte; text is that byte (empty for \0), binary the byte itself. */
export const charCodec: TypeCodec = {
  info: PG.char,
  text: (v) => toText(v, 'char').slice(0, 1),
  send: (v) => Buffer.from(toText(v, 'char'), 'utf8').subarray(0, 1),
};
