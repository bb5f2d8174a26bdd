// Incremental parser for COPY … (FORMAT binary) output:
//   header: 11-byte signature "PGCOPY\n\377\r\n\0", Int32 flags, Int32 extension length + extension bytes
//   tuple:  Int16 field count, then per field Int32 length (-1 = NULL) + value in send/recv format
//   trailer: Int16 -1
// PostgreSQL sends one CopyData per row (the header rides on the first), but nothing requires it, so a row
// split across chunks is carried over. Values go through the same binary decoders as pgoutput, or (with a
// CopyRowSink, e.g. a ColumnBatchBuilder) are handed over undecoded, a row at a time.
import type { Decoder, Value } from '../types/values.js';

/** receives rows, undecoded */
export interface CopyRowSink {
  /**
   * the row whose first field length is at buf[p]: the position after it, or -1 (nothing kept) when it does not
   * end before `end`
   */
  putRow(buf: Buffer, p: number, end: number): number;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = 19;
const FLAG_HAS_OIDS = 1 << 16;

/** big-endian Int32 without Buffer's bounds and argument checks (callers stay inside the buffer) */
export function int32At(b: Uint8Array, p: number): number {
  return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
}

export class BinaryCopyParser {
  finished = false;
  rows = 0;
  bytes = 0;
  private leftover: Buffer | null = null;
  private headerDone = false;

  private readonly n: number;
  private readonly sink: CopyRowSink | null;
  private readonly decoders: readonly Decoder[];
  private readonly onRow: (row: Value[]) => void;

  /** rows decoded with `decoders` to `onRow`, or rows of `columns` fields to `sink` */
  constructor(decoders: readonly Decoder[], onRow: (row: Value[]) => void);
  constructor(sink: CopyRowSink, columns: number);
  constructor(a: readonly Decoder[] | CopyRowSink, b: ((row: Value[]) => void) | number) {
    if (Array.isArray(a)) {
      this.decoders = a;
      this.onRow = b as (row: Value[]) => void;
      this.sink = null;
      this.n = a.length;
    } else {
      this.decoders = [];
      this.onRow = () => undefined;
      this.sink = a as CopyRowSink;
      this.n = b as number;
    }
  }

  push(chunk: Buffer): void {
    this.pushRange(chunk, 0, chunk.length);
  }

  /** the bytes chunk[start, end); they are not kept after the call (a partial row is copied) */
  pushRange(chunk: Buffer, start: number, end: number): void {
    this.bytes += end - start;
    if (this.finished) {
      if (end > start) throw new Error('COPY binary: data after trailer');
      return;
    }
    let buf = chunk;
    let pos = start;
    let len = end;
    if (this.leftover) {
      buf = Buffer.concat([this.leftover, chunk.subarray(start, end)]);
      this.leftover = null;
      pos = 0;
      len = buf.length;
    }
    if (!this.headerDone) {
      if (len - pos < HEADER_FIXED || len - pos < HEADER_FIXED + int32At(buf, pos + 15)) {
        this.leftover = Buffer.from(buf.subarray(pos, len));
        return;
      }
      if (!buf.subarray(pos, pos + 11).equals(SIGNATURE)) throw new Error('COPY binary: bad signature');
      if (int32At(buf, pos + 11) & FLAG_HAS_OIDS) throw new Error('COPY binary: OIDs in data are not supported');
      pos += HEADER_FIXED + int32At(buf, pos + 15);
      this.headerDone = true;
    }
    const n = this.n;
    const sink = this.sink;
    while (pos + 2 <= len) {
      const fields = (buf[pos]! << 8) | buf[pos + 1]!;
      if (fields === 0xffff) {
        this.finished = true;
        pos += 2;
        break;
      }
      if (fields !== n) throw new Error(`COPY binary: row has ${fields} fields, expected ${n}`);
      if (sink) {
        const next = sink.putRow(buf, pos + 2, len);
        if (next < 0) break;
        pos = next;
        this.rows++;
        continue;
      }
      // make sure the whole row is here before decoding any of it
      let p = pos + 2;
      let complete = true;
      for (let i = 0; i < fields; i++) {
        if (p + 4 > len) { complete = false; break; }
        const l = int32At(buf, p);
        p += 4 + (l > 0 ? l : 0);
        if (p > len) { complete = false; break; }
      }
      if (!complete) break;
      p = pos + 2;
      const row: Value[] = new Array(fields);
      for (let i = 0; i < fields; i++) {
        const l = int32At(buf, p);
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
    if (pos < len && !this.finished) this.leftover = Buffer.from(buf.subarray(pos, len)); // the caller may reuse its chunk
    if (this.finished && pos < len) throw new Error('COPY binary: data after trailer');
  }
}
