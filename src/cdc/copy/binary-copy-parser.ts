// Incremental parser for COPY … (FORMAT binary) output:
//   header: 11-byte signature "PGCOPY\n\377\r\n\0", Int32 flags, Int32 extension length + extension bytes
//   tuple:  Int16 field count, then per field Int32 length (-1 = NULL) + value in send/recv format
//   trailer: Int16 -1
// PostgreSQL sends one CopyData per row (the header rides on the first), but nothing requires it, so a row
// split across chunks is carried over. Values go through the same binary decoders as pgoutput, or (with a
// CopyFieldSink, e.g. a ColumnBatchBuilder) are handed over undecoded, field by field.
import type { Decoder, Value } from '../types/values.js';

/** receives the fields of complete rows; buf[start, end) is only valid during the call */
export interface CopyFieldSink {
  put(col: number, buf: Buffer, start: number, end: number): void;
  putNull(col: number): void;
  endRow(): void;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = 19;
const FLAG_HAS_OIDS = 1 << 16;

export class BinaryCopyParser {
  finished = false;
  rows = 0;
  bytes = 0;
  private leftover: Buffer | null = null;
  private headerDone = false;

  private readonly n: number;
  private readonly sink: CopyFieldSink | null;
  private readonly decoders: readonly Decoder[];
  private readonly onRow: (row: Value[]) => void;

  /** rows decoded with `decoders` to `onRow`, or fields of `columns` columns to `sink` */
  constructor(decoders: readonly Decoder[], onRow: (row: Value[]) => void);
  constructor(sink: CopyFieldSink, columns: number);
  constructor(a: readonly Decoder[] | CopyFieldSink, b: ((row: Value[]) => void) | number) {
    if (Array.isArray(a)) {
      this.decoders = a;
      this.onRow = b as (row: Value[]) => void;
      this.sink = null;
      this.n = a.length;
    } else {
      this.decoders = [];
      this.onRow = () => undefined;
      this.sink = a as CopyFieldSink;
      this.n = b as number;
    }
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.finished) {
      if (chunk.length) throw new Error('COPY binary: data after trailer');
      return;
    }
    let buf = chunk;
    if (this.leftover) {
      buf = Buffer.concat([this.leftover, chunk]);
      this.leftover = null;
    }
    let pos = 0;
    if (!this.headerDone) {
      if (buf.length < HEADER_FIXED || buf.length < HEADER_FIXED + buf.readInt32BE(15)) {
        this.leftover = Buffer.from(buf);
        return;
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error('COPY binary: bad signature');
      if (buf.readInt32BE(11) & FLAG_HAS_OIDS) throw new Error('COPY binary: OIDs in data are not supported');
      pos = HEADER_FIXED + buf.readInt32BE(15);
      this.headerDone = true;
    }
    const n = this.n;
    const sink = this.sink;
    const len = buf.length;
    while (pos + 2 <= len) {
      const fields = buf.readInt16BE(pos);
      if (fields === -1) {
        this.finished = true;
        pos += 2;
        break;
      }
      if (fields !== n) throw new Error(`COPY binary: row has ${fields} fields, expected ${n}`);
      // make sure the whole row is here before decoding any of it
      let p = pos + 2;
      let complete = true;
      for (let i = 0; i < fields; i++) {
        if (p + 4 > len) { complete = false; break; }
        const l = buf.readInt32BE(p);
        p += 4 + (l > 0 ? l : 0);
        if (p > len) { complete = false; break; }
      }
      if (!complete) break;
      p = pos + 2;
      if (sink) {
        for (let i = 0; i < fields; i++) {
          const l = buf.readInt32BE(p);
          p += 4;
          if (l < 0) {
            sink.putNull(i);
          } else {
            sink.put(i, buf, p, p + l);
            p += l;
          }
        }
        pos = p;
        this.rows++;
        sink.endRow();
        continue;
      }
      const row: Value[] = new Array(fields);
      for (let i = 0; i < fields; i++) {
        const l = buf.readInt32BE(p);
        p += 4;
        if (l < 0) {
          row[i] = null;
        } else {
          row[i] = this.decoders[i]!(buf, p, p + l);
          p += l;
        }
      }
      pos = p;
      this.rows++;
      this.onRow(row);
    }
    if (pos < len && !this.finished) this.leftover = Buffer.from(buf.subarray(pos)); // the chunk is reused by the socket parser
    if (this.finished && pos < len) throw new Error('COPY binary: data after trailer');
  }
}
