import type { Value } from '../types/values.js';
import type { Reader } from './reader.js';

// TupleData: Int16 ncols, then per column a kind byte:
//   'n' NULL · 'u' unchanged TOASTed value (not sent; keep the old one — NOT null) ·
//   't' Int32 len + text-format bytes · 'b' Int32 len + binary (send) bytes.
// Columns follow the last Relation message's column order.

/** "this column was not sent because its TOASTed value did not change" — distinct from null. */
export const UNCHANGED_TOAST: unique symbol = Symbol.for('lakegate.cdc.unchangedToast');
export type UnchangedToast = typeof UNCHANGED_TOAST;

export type TupleValue = Value | UnchangedToast;

/** turns one sent column value into a JS value; buf[start, end) is only valid during the call */
export type ColumnDecoder = (column: number, kind: 't' | 'b', buf: Buffer, start: number, end: number) => Value;

/** without type knowledge: text values as strings, binary values as Buffer copies */
export const rawColumnDecoder: ColumnDecoder = (_column, kind, buf, start, end) =>
  kind === 't' ? buf.toString('utf8', start, end) : Buffer.from(buf.subarray(start, end));

const KIND_NULL = 0x6e; // 'n'
const KIND_UNCHANGED = 0x75; // 'u'
const KIND_TEXT = 0x74; // 't'
const KIND_BINARY = 0x62; // 'b'

export function readTupleData(r: Reader, decode: ColumnDecoder): TupleValue[] {
  const n = r.i16();
  const out: TupleValue[] = new Array(n);
  const buf = r.buf;
  for (let i = 0; i < n; i++) {
    const kind = r.u8();
    if (kind === KIND_NULL) {
      out[i] = null;
    } else if (kind === KIND_UNCHANGED) {
      out[i] = UNCHANGED_TOAST;
    } else if (kind === KIND_TEXT || kind === KIND_BINARY) {
      const len = r.i32();
      r.need(len);
      out[i] = decode(i, kind === KIND_TEXT ? 't' : 'b', buf, r.pos, r.pos + len);
      r.pos += len;
    } else {
      throw new Error(`pgoutput: unknown tuple column kind 0x${kind.toString(16)} at column ${i}`);
    }
  }
  return out;
}
