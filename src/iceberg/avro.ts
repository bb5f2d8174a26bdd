// Avro object container files for manifests and manifest lists, framed here rather than by avsc's
// BlockEncoder so that (a) longs are BigInt (Java writes 63-bit snapshot ids) and (b) the schema JSON we
// store is exactly the one given, keeping the Iceberg `field-id`/`element-id` attributes that id-based readers
// need (iceberg.md §11). Codec: deflate (raw, as Avro specifies) or null — never snappy.
import avro from 'avsc';
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const MAGIC = Buffer.from('Obj\x01', 'latin1');

/** Avro long ↔ JS bigint; writes accept number or bigint, reads always give bigint. */
const BigLong = (avro.types.LongType as unknown as { __with(m: object): avro.Type }).__with({
  fromBuffer: (b: Buffer) => b.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(n));
    return b;
  },
  fromJSON: (x: unknown) => BigInt(x as number),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n)),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

export function avroType(schema: object): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: BigLong } } as Partial<avro.ForSchemaOptions>);
}

const metaType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const longType = avro.Type.forSchema('long');

export type AvroCodec = 'deflate' | 'null';

export interface AvroFile {
  schema: Record<string, unknown>;
  meta: Record<string, string>;
  records: Record<string, unknown>[];
}

/** Encode records into one container file (one block per ~4000 records). */
export function writeAvroFile(
  schema: object,
  records: readonly unknown[],
  meta: Record<string, string>,
  codec: AvroCodec = 'deflate',
): Buffer {
  const type = avroType(schema);
  const sync = randomBytes(16);
  const header: Record<string, Buffer> = {
    'avro.schema': Buffer.from(JSON.stringify(schema)),
    'avro.codec': Buffer.from(codec),
  };
  for (const [k, v] of Object.entries(meta)) header[k] = Buffer.from(v);
  const parts: Buffer[] = [MAGIC, metaType.toBuffer(header), sync];
  const BLOCK = 4000;
  for (let i = 0; i < records.length; i += BLOCK) {
    const chunk = records.slice(i, i + BLOCK);
    const raw = Buffer.concat(chunk.map((r) => type.toBuffer(r)));
    const data = codec === 'deflate' ? deflateRawSync(raw) : raw;
    parts.push(longType.toBuffer(chunk.length), longType.toBuffer(data.length), data, sync);
  }
  return Buffer.concat(parts);
}

/** Decode a whole container file with its own (writer) schema. */
export function readAvroFile(buf: Buffer): AvroFile {
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) throw new Error('not an Avro object container file');
  let pos = 4;
  const h = metaType.decode(buf, pos);
  if (h.offset < 0) throw new Error('truncated Avro header');
  pos = h.offset;
  const rawMeta = h.value as Record<string, Buffer>;
  const sync = buf.subarray(pos, pos + 16);
  pos += 16;
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawMeta)) meta[k] = v.toString('utf8');
  const schemaText = meta['avro.schema'];
  if (!schemaText) throw new Error('Avro file without avro.schema');
  const schema = JSON.parse(schemaText) as Record<string, unknown>;
  const codec = meta['avro.codec'] ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') throw new Error(`unsupported Avro codec ${codec}`);
  const type = avroType(schema);
  const records: Record<string, unknown>[] = [];
  while (pos < buf.length) {
    const c = longType.decode(buf, pos);
    const n = c.value as number;
    const l = longType.decode(buf, c.offset);
    const len = l.value as number;
    if (c.offset < 0 || l.offset < 0 || l.offset + len + 16 > buf.length) throw new Error('truncated Avro block');
    const block = buf.subarray(l.offset, l.offset + len);
    const data = codec === 'deflate' ? inflateRawSync(block) : block;
    let p = 0;
    for (let i = 0; i < n; i++) {
      const r = type.decode(data, p);
      if (r.offset < 0) throw new Error('truncated Avro record');
      records.push(r.value as Record<string, unknown>);
      p = r.offset;
    }
    pos = l.offset + len;
    if (!buf.subarray(pos, pos + 16).equals(sync)) throw new Error('Avro sync marker mismatch');
    pos += 16;
  }
  return { schema, meta, records };
}
