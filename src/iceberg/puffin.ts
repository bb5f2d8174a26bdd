// Puffin files (Iceberg puffin-spec) holding v3 deletion vectors, and the `deletion-vector-v1` blob:
//
//   file:  "PFA1" | blob … | "PFA1" | footer JSON | int32 LE footer length | flags (4 bytes, 0) | "PFA1"
//   blob:  u32 BE (4 + vector length) | D1 D3 39 64 | vector | u32 BE CRC-32 of magic + vector
//   vector: u64 LE count of 32-bit bitmaps; per bitmap u32 LE key (position >> 32) + portable Roaring (low 32)
//
// Blobs are never compressed (the spec forbids it for deletion vectors).
import { crc32 } from 'node:zlib';
import { deserializeRoaring32, serializeRoaring32 } from './roaring.js';

const MAGIC = Buffer.from('PFA1', 'ascii');
const DV_MAGIC = Buffer.from([0xd1, 0xd3, 0x39, 0x64]);
/** reserved field id of the row position (spec: `_pos`) */
export const ROW_POSITION_FIELD_ID = 2147483645;

/**
 * One deletion vector blob for `positions` (row numbers of one data file, any order, duplicates allowed); also
 * returns the distinct positions ascending, as encoded.
 */
export function encodeDeletionVector(positions: Iterable<number>): { blob: Buffer; cardinality: number; sorted: Float64Array } {
  const sorted = Float64Array.from(new Set(positions)).sort();
  const parts: Buffer[] = [];
  const header = Buffer.alloc(8);
  let groups = 0;
  let i = 0;
  while (i < sorted.length) {
    const p = sorted[i]!;
    if (!Number.isSafeInteger(p) || p < 0) throw new Error(`invalid row position ${p}`);
    const key = Math.floor(p / 2 ** 32);
    let j = i;
    while (j < sorted.length && Math.floor(sorted[j]! / 2 ** 32) === key) j++;
    const lows = new Uint32Array(j - i);
    for (let k = i; k < j; k++) lows[k - i] = sorted[k]! - key * 2 ** 32;
    const k32 = Buffer.alloc(4);
    k32.writeUInt32LE(key);
    parts.push(k32, serializeRoaring32(lows));
    groups++;
    i = j;
  }
  header.writeBigUInt64LE(BigInt(groups));
  const vector = Buffer.concat([header, ...parts]);
  const body = Buffer.concat([DV_MAGIC, vector]);
  const out = Buffer.alloc(4 + body.length + 4);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body) >>> 0, 4 + body.length);
  return { blob: out, cardinality: sorted.length, sorted };
}

/** Row positions of a `deletion-vector-v1` blob, ascending; checks length, magic and CRC. */
export function decodeDeletionVector(blob: Buffer): number[] {
  if (blob.length < 12) throw new Error('deletion vector is truncated');
  const len = blob.readUInt32BE(0);
  if (len + 8 !== blob.length) throw new Error(`deletion vector length ${len} does not match blob size ${blob.length}`);
  const body = blob.subarray(4, 4 + len);
  if (!body.subarray(0, 4).equals(DV_MAGIC)) throw new Error('not a deletion vector (bad magic)');
  if ((crc32(body) >>> 0) !== blob.readUInt32BE(4 + len)) throw new Error('deletion vector CRC mismatch');
  const groups = Number(body.readBigUInt64LE(4));
  const out: number[] = [];
  let p = 12;
  for (let g = 0; g < groups; g++) {
    const key = body.readUInt32LE(p);
    p += 4;
    const { values, bytes } = deserializeRoaring32(body, p);
    p += bytes;
    const high = key * 2 ** 32;
    for (const v of values) out.push(high + v);
  }
  return out;
}

export interface PuffinBlobMeta {
  type: string;
  fields: number[];
  'snapshot-id': number;
  'sequence-number': number;
  offset: number;
  length: number;
  'compression-codec'?: string;
  properties?: Record<string, string>;
}

export interface PuffinBlobInput {
  type: string;
  fields: number[];
  data: Buffer;
  properties?: Record<string, string>;
}

/** A whole Puffin file; returns the bytes and each blob's footer entry (offset, length) in input order. */
export function writePuffin(blobs: PuffinBlobInput[], properties: Record<string, string> = {}): { bytes: Buffer; blobs: PuffinBlobMeta[] } {
  const parts: Buffer[] = [MAGIC];
  let off = MAGIC.length;
  const metas: PuffinBlobMeta[] = blobs.map((b) => {
    const m: PuffinBlobMeta = {
      type: b.type,
      fields: b.fields,
      // -1: inherited from the manifest entry (deletion vectors are committed after they are written)
      'snapshot-id': -1,
      'sequence-number': -1,
      offset: off,
      length: b.data.length,
      ...(b.properties ? { properties: b.properties } : {}),
    };
    parts.push(b.data);
    off += b.data.length;
    return m;
  });
  const footer = Buffer.from(JSON.stringify({ blobs: metas, properties }), 'utf8');
  const tail = Buffer.alloc(12);
  tail.writeInt32LE(footer.length, 0);
  MAGIC.copy(tail, 8);
  parts.push(MAGIC, footer, tail);
  return { bytes: Buffer.concat(parts), blobs: metas };
}

/** The footer of a Puffin file (whole file in memory). */
export function readPuffinFooter(file: Buffer): { blobs: PuffinBlobMeta[]; properties: Record<string, string> } {
  if (file.length < 16 || !file.subarray(0, 4).equals(MAGIC) || !file.subarray(file.length - 4).equals(MAGIC)) {
    throw new Error('not a Puffin file');
  }
  const len = file.readInt32LE(file.length - 12);
  const flags = file.readUInt32LE(file.length - 8);
  if (flags & 1) throw new Error('compressed Puffin footers are not supported');
  const start = file.length - 12 - len;
  if (start < 8 || !file.subarray(start - 4, start).equals(MAGIC)) throw new Error('Puffin footer is malformed');
  const json = JSON.parse(file.subarray(start, start + len).toString('utf8')) as { blobs: PuffinBlobMeta[]; properties?: Record<string, string> };
  return { blobs: json.blobs, properties: json.properties ?? {} };
}
