import type { Value } from './values.js';

// numeric_send: int16 ndigits, int16 weight, uint16 sign, uint16 dscale, then ndigits base-10000 groups.
// The first group is worth 10000^weight. We rebuild the exact decimal text with dscale fractional digits,
// as numeric_out prints it; NUMBER (IvorySQL 9520) uses the same layout.
const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

function group4(d: number): string {
  return d < 10 ? '000' + d : d < 100 ? '00' + d : d < 1000 ? '0' + d : String(d);
}

export function decodeNumeric(buf: Buffer, start: number): Value {
  const ndigits = buf.readInt16BE(start);
  const weight = buf.readInt16BE(start + 2);
  const sign = buf.readUInt16BE(start + 4);
  const dscale = buf.readUInt16BE(start + 6);
  switch (sign) {
    case NUMERIC_NAN: return 'NaN';
    case NUMERIC_PINF: return 'Infinity';
    case NUMERIC_NINF: return '-Infinity';
    case NUMERIC_POS: case NUMERIC_NEG: break;
    default: throw new Error(`invalid numeric sign 0x${sign.toString(16)}`);
  }
  const base = start + 8;
  const digit = (i: number): number => (i >= 0 && i < ndigits ? buf.readInt16BE(base + 2 * i) : 0);
  let out = sign === NUMERIC_NEG ? '-' : '';
  if (weight < 0) {
    out += '0';
  } else {
    out += String(digit(0));
    for (let i = 1; i <= weight; i++) out += group4(digit(i));
  }
  if (dscale > 0) {
    let frac = '';
    for (let i = weight + 1; frac.length < dscale; i++) frac += group4(digit(i));
    out += '.' + frac.slice(0, dscale);
  }
  return out;
}
