import type { Decoder, Value } from './values.js';

// array_send: int32 ndim, int32 has-nulls flag, uint32 element OID, ndim × (int32 length, int32 lower bound),
// then each element as int32 length (-1 = NULL) + bytes. Only one dimension is supported: the mirrors store
// lists, and a nested JS array cannot say whether it was int[][] or a ragged list.
export class MultiDimensionalArrayError extends Error {
  constructor(readonly ndim: number, readonly elementOid: number) {
    super(`multi-dimensional arrays are not supported (got ${ndim} dimensions, element type OID ${elementOid})`);
    this.name = 'MultiDimensionalArrayError';
  }
}

export function arrayDecoder(element: Decoder): Decoder {
  return (buf: Buffer, start: number): Value => {
    const ndim = buf.readInt32BE(start);
    if (ndim === 0) return [];
    const elementOid = buf.readUInt32BE(start + 8);
    if (ndim !== 1) throw new MultiDimensionalArrayError(ndim, elementOid);
    const length = buf.readInt32BE(start + 12);
    // lower bound (start + 16) is dropped: '[0:2]={…}' and '{…}' decode alike
    const out: Value[] = new Array(length);
    let pos = start + 20;
    for (let i = 0; i < length; i++) {
      const len = buf.readInt32BE(pos);
      pos += 4;
      if (len < 0) {
        out[i] = null;
      } else {
        out[i] = element(buf, pos, pos + len);
        pos += len;
      }
    }
    return out;
  };
}
