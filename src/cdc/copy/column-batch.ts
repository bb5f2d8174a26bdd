// Column-major batches of a binary COPY: each column decoded straight into one array for the whole batch, so
// the common fixed-width types never become JS values (no bigint or string per cell) and text stays UTF-8.
//
//   bool      Uint8Array 0/1                 int32    Int32Array (int2, int4)
//   float32   Float32Array                   float64  Float64Array
//   date      Int32Array: days since 1970-01-01; ±infinity as ±2147483647
//   int64     BigInt64Array (int8, oid)      time     BigInt64Array: µs since midnight
//   timestamp BigInt64Array: µs since 1970-01-01 UTC (timestamp, timestamptz); ±infinity as ±(2^63 - 1)
//   text, bytea   the value bytes back to back in `bytes`, value i at offsets[i] … offsets[i + 1]
//   value     Value[] through the type's ordinary decoder (arrays, numeric, uuid, jsonb, interval, …)
//
// 64-bit cells are written as two 32-bit halves through an Int32Array view, floats as their bytes reversed
// (little-endian machines, as DuckDB's vectors are). The ±infinity encodings are DuckDB's, so the arrays can be
// copied into DuckDB vectors as they are.
import type { ResolvedType } from '../types/catalog.js';
import { PgOid } from '../types/oids.js';
import type { Decoder, Value } from '../types/values.js';
import { int32At, type CopyRowSink } from './binary-copy-parser.js';
import { unrepresentableTimestamp } from '../../table/unrepresentable.js';

export type ColumnLayout = 'bool' | 'int32' | 'float32' | 'float64' | 'date' | 'int64' | 'time' | 'timestamp' | 'text' | 'bytea' | 'value';

export interface ColumnVector {
  layout: ColumnLayout;
  /** fixed-width layouts */
  data: Uint8Array | Int32Array | Float32Array | Float64Array | BigInt64Array | null;
  /** text, bytea */
  bytes: Uint8Array | null;
  offsets: Int32Array | null;
  /** value */
  values: Value[] | null;
  /** 1 = NULL; null when the batch has no NULL in this column */
  nulls: Uint8Array | null;
}

export interface ColumnBatch {
  rows: number;
  columns: ColumnVector[];
}

/** the layout a column's values are decoded into; `utf8`: the server's text is UTF-8 and may be kept as bytes */
export function columnLayout(t: ResolvedType, utf8: boolean): ColumnLayout {
  if (t.isArray) return 'value';
  if (t.textOnly || t.isEnum) return utf8 ? 'text' : 'value';
  switch (t.layoutOid) {
    case PgOid.bool: return 'bool';
    case PgOid.int2: case PgOid.int4: return 'int32';
    case PgOid.float4: return 'float32';
    case PgOid.float8: return 'float64';
    case PgOid.date: return 'date';
    case PgOid.int8: case PgOid.oid: return 'int64';
    case PgOid.time: return 'time';
    case PgOid.timestamp: case PgOid.timestamptz: return 'timestamp';
    case PgOid.text: case PgOid.varchar: case PgOid.bpchar: case PgOid.name: case PgOid.json: return utf8 ? 'text' : 'value';
    case PgOid.bytea: return 'bytea';
    default: return 'value';
  }
}

const PG_EPOCH_DAYS = 10957;
const DATE_INF = 0x7fffffff;
const DATE_NEG_INF = -0x80000000;
const TWO32 = 4294967296;
const EPOCH_US = 946_684_800_000_000;
const EPOCH_HI = Math.floor(EPOCH_US / TWO32);
const EPOCH_LO = EPOCH_US - EPOCH_HI * TWO32;

// layout codes for put()'s switch
const enum K { Bool, Int32, Float32, Float64, Date, Int64, Timestamp, Bytes, Value }
const CODE: Record<ColumnLayout, K> = {
  bool: K.Bool, int32: K.Int32, float32: K.Float32, float64: K.Float64, date: K.Date, int64: K.Int64, time: K.Int64,
  timestamp: K.Timestamp, text: K.Bytes, bytea: K.Bytes, value: K.Value,
};

/**
 * Fills one batch at a time (a CopyRowSink: the COPY parser hands it each row); `onFull` receives every batch that
 * reaches `capacity` rows, take() the last partial one.
 */
export class ColumnBatchBuilder implements CopyRowSink {
  rows = 0;
  private cols: ColumnVector[] = [];
  private readonly codes: K[];
  /** per column, the arrays put() writes: 64-bit cells through an Int32Array view, byte-swapped ones through u8 */
  private u8: Uint8Array[] = [];
  private i32: Int32Array[] = [];
  private bytePos: number[] = [];

  constructor(
    readonly layouts: readonly ColumnLayout[],
    private readonly decoders: readonly Decoder[],
    readonly capacity: number,
    private readonly onFull: (batch: ColumnBatch) => void = () => undefined,
  ) {
    this.codes = layouts.map((l) => CODE[l]);
    this.reset();
  }

  private reset(): void {
    const cap = this.capacity;
    this.rows = 0;
    const none8 = new Uint8Array(0);
    const none32 = new Int32Array(0);
    this.u8 = [];
    this.i32 = [];
    this.cols = this.layouts.map((layout) => {
      const v: ColumnVector = { layout, data: null, bytes: null, offsets: null, values: null, nulls: null };
      switch (layout) {
        case 'bool': v.data = new Uint8Array(cap); break;
        case 'int32': case 'date': v.data = new Int32Array(cap); break;
        case 'float32': v.data = new Float32Array(cap); break;
        case 'float64': v.data = new Float64Array(cap); break;
        case 'int64': case 'time': case 'timestamp': v.data = new BigInt64Array(cap); break;
        case 'text': case 'bytea': v.bytes = new Uint8Array(cap * 16); v.offsets = new Int32Array(cap + 1); break;
        case 'value': v.values = new Array<Value>(cap); break;
      }
      const d = v.data;
      this.u8.push(d ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : none8);
      this.i32.push(d && d.byteLength % 4 === 0 ? new Int32Array(d.buffer, d.byteOffset, d.byteLength / 4) : none32);
      return v;
    });
    this.bytePos = this.cols.map(() => 0);
  }

  /** the batch so far; the builder starts a new one */
  take(): ColumnBatch {
    const batch = { rows: this.rows, columns: this.cols };
    this.reset();
    return batch;
  }

  putRow(buf: Buffer, p: number, end: number): number {
    const n = this.codes.length;
    for (let col = 0; col < n; col++) {
      if (p + 4 > end) return this.dropRow();
      const l = int32At(buf, p);
      p += 4;
      if (l < 0) {
        this.putNull(col);
      } else {
        if (p + l > end) return this.dropRow();
        this.cell(col, buf, p, l);
        p += l;
      }
    }
    this.endRow();
    return p;
  }

  /**
   * the rest of the current row has not arrived: it is decoded again from its start once it has, so only the
   * text bytes written so far must go (fixed-width cells and NULL marks are simply written again)
   */
  private dropRow(): number {
    const r = this.rows;
    this.cols.forEach((v, col) => {
      if (v.offsets) this.bytePos[col] = v.offsets[r]!;
    });
    return -1;
  }

  put(col: number, buf: Buffer, start: number, end: number): void {
    this.cell(col, buf, start, end - start);
  }

  /** the value buf[s, s + len) of column `col` in the current row */
  private cell(col: number, buf: Buffer, s: number, len: number): void {
    const r = this.rows;
    switch (this.codes[col]) {
      case K.Bool: this.u8[col]![r] = buf[s] !== 0 ? 1 : 0; return;
      case K.Int32: this.i32[col]![r] = len === 2 ? (buf[s]! << 24 | buf[s + 1]! << 16) >> 16 : int32At(buf, s); return;
      case K.Float32: { // the bits as sent (a float round trip through JS could change a NaN's)
        const d = this.u8[col]!;
        const o = 4 * r;
        d[o] = buf[s + 3]!; d[o + 1] = buf[s + 2]!; d[o + 2] = buf[s + 1]!; d[o + 3] = buf[s]!;
        return;
      }
      case K.Float64: {
        const d = this.u8[col]!;
        const o = 8 * r;
        d[o] = buf[s + 7]!; d[o + 1] = buf[s + 6]!; d[o + 2] = buf[s + 5]!; d[o + 3] = buf[s + 4]!;
        d[o + 4] = buf[s + 3]!; d[o + 5] = buf[s + 2]!; d[o + 6] = buf[s + 1]!; d[o + 7] = buf[s]!;
        return;
      }
      case K.Date: {
        const d = int32At(buf, s);
        this.i32[col]![r] = d === DATE_INF ? 2147483647 : d === DATE_NEG_INF ? -2147483647 : d + PG_EPOCH_DAYS;
        return;
      }
      case K.Int64: {
        const h = this.i32[col]!;
        if (len === 4) { // oid: unsigned 32-bit
          h[2 * r] = int32At(buf, s);
          h[2 * r + 1] = 0;
        } else {
          h[2 * r] = int32At(buf, s + 4);
          h[2 * r + 1] = int32At(buf, s);
        }
        return;
      }
      case K.Timestamp: {
        const h = this.i32[col]!;
        const hi = int32At(buf, s);
        const lo = int32At(buf, s + 4) >>> 0;
        if (hi === 0x7fffffff && lo === 0xffffffff) { // infinity: the same bits in DuckDB
          h[2 * r] = -1;
          h[2 * r + 1] = 0x7fffffff;
        } else if (hi === -0x80000000 && lo === 0) { // -infinity: DuckDB's is -(2^63 - 1)
          h[2 * r] = 1;
          h[2 * r + 1] = -0x80000000;
        } else {
          let l = lo + EPOCH_LO;
          let carry = 0;
          if (l >= TWO32) {
            l -= TWO32;
            carry = 1;
          }
          const nh = hi + EPOCH_HI + carry;
          // Postgres' last timestamps (after 294247-01-10) do not fit DuckDB's
          if (nh > 0x7fffffff) throw unrepresentableTimestamp();
          h[2 * r] = l | 0;
          h[2 * r + 1] = nh;
        }
        return;
      }
      case K.Bytes: {
        const v = this.cols[col]!;
        let pos = this.bytePos[col]!;
        let dst = v.bytes!;
        if (pos + len > dst.length) {
          const grown = new Uint8Array(Math.max(dst.length * 2, pos + len));
          grown.set(dst.subarray(0, pos));
          v.bytes = dst = grown;
        }
        // short values (the usual text) are cheaper to move byte by byte than through a native copy
        if (len <= 64) for (let k = 0; k < len; k++) dst[pos + k] = buf[s + k]!;
        else dst.set(buf.subarray(s, s + len), pos);
        pos += len;
        this.bytePos[col] = pos;
        v.offsets![r + 1] = pos;
        return;
      }
      case K.Value: this.cols[col]!.values![r] = this.decoders[col]!(buf, s, s + len); return;
    }
  }

  putNull(col: number): void {
    const v = this.cols[col]!;
    const r = this.rows;
    (v.nulls ??= new Uint8Array(this.capacity))[r] = 1;
    if (v.offsets) v.offsets[r + 1] = this.bytePos[col]!;
    else if (v.values) v.values[r] = null;
  }

  endRow(): void {
    if (++this.rows >= this.capacity) this.onFull(this.take());
  }
}

/** one cell as the Value the row decoders give (tests, and callers that need rows) */
export function cellValue(v: ColumnVector, r: number): Value {
  if (v.nulls?.[r]) return null;
  switch (v.layout) {
    case 'bool': return (v.data as Uint8Array)[r] === 1;
    case 'int32': case 'float32': case 'float64': return (v.data as Int32Array)[r]!;
    case 'date': {
      const d = (v.data as Int32Array)[r]!;
      return d === 2147483647 ? Infinity : d === -2147483647 ? -Infinity : d;
    }
    case 'int64': case 'time': return (v.data as BigInt64Array)[r]!;
    case 'timestamp': {
      const t = (v.data as BigInt64Array)[r]!;
      return t === 0x7fffffffffffffffn ? Infinity : t === -0x7fffffffffffffffn ? -Infinity : t;
    }
    case 'text': return Buffer.from(v.bytes!.buffer, v.bytes!.byteOffset, v.bytes!.length).toString('utf8', v.offsets![r], v.offsets![r + 1]);
    case 'bytea': return Buffer.from(v.bytes!.subarray(v.offsets![r], v.offsets![r + 1]));
    case 'value': return v.values![r]!;
  }
}
