// bytea: text per bytea_output — hex `\x0a1b` (lower case) or escape (printable ASCII kept, `\\` doubled, other bytes
// as `\ooo` octal); binary is the raw bytes.
import { toBytes, type TypeCodec } from './codec.js';
import { PG } from './oids.js';
import type { OutputSettings } from './settings.js';

export function byteaText(b: Uint8Array, s: OutputSettings): string {
  if (s.byteaOutput === 'hex') return '\\x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  let out = '';
  for (const c of b) {
    if (c === 0x5c) out += '\\\\';
    else if (c < 0x20 || c > 0x7e) out += '\\' + c.toString(8).padStart(3, '0');
    else out += String.fromCharCode(c);
  }
  return out;
}

export const byteaCodec: TypeCodec = {
  info: PG.bytea,
  text: (v, s) => byteaText(toBytes(v, 'bytea'), s),
  send: (v) => Buffer.from(toBytes(v, 'bytea')),
};
