// Column-wise appends into DuckDB: rows are written into plain typed arrays (one per column, 2048 rows) and each
// full chunk goes to the appender in one append_data_chunk call. Fixed-width columns cross into DuckDB with one
// memcpy per column per chunk instead of one call per value; strings and blobs still take one call each.
//
// Values keep the exact mapping of column-types.ts: decimals and UUIDs travel as their text and DuckDB's appender
// casts them to the column type (the same cast the row appender did); NaN/±Infinity numerics become NULL;
// infinite dates/timestamps become DuckDB's infinity values; interval and timetz become their PG text.
// List columns are not handled here (chunkable() says so): their tables use the row appender.
// A COPY ColumnBatch (src/cdc/copy/column-batch.ts) whose column layout matches the DuckDB column goes in
// without becoming JS values at all: fixed-width arrays are copied, text/bytea bytes assigned as they are.
import { createRequire } from 'node:module';
import type * as Bindings from '@duckdb/node-bindings';
import {
  BIGINT, BLOB, BOOLEAN, DATE, DOUBLE, FLOAT, INTEGER, TIME, TIMESTAMP, TIMESTAMPTZ, VARCHAR,
  DuckDBDataChunk, type DuckDBAppender, type DuckDBType,
} from '@duckdb/node-api';
import { cellValue, type ColumnBatch, type ColumnLayout, type Interval, type TimeTz, type Value } from '../cdc/index.js';
import { intervalText, timetzText, type ColumnType, type MirrorColumn } from './column-types.js';
import { isDecimalSpecial, unrepresentableDecimal, unrepresentableTimestamp } from './unrepresentable.js';

// the low-level bindings that @duckdb/node-api itself is built on (its own dependency, resolved from there)
const duck = createRequire(createRequire(import.meta.url).resolve('@duckdb/node-api'))('@duckdb/node-bindings') as typeof Bindings;

const CHUNK_ROWS = 2048;
// duckdb_string_t (duckdb.h): 16 bytes, the length then, for up to 12 bytes, the bytes themselves zero-padded;
// longer values point into the vector's own heap, which only vector_assign_string_element_len can fill
const STRING_T = 16;
const INLINE_MAX = 12;
const DATE_INF = 2147483647;
const TS_INF = 9223372036854775807n;

type Buf =
  | { kind: 'bool'; a: Uint8Array }
  | { kind: 'i32'; a: Int32Array }
  | { kind: 'f32'; a: Float32Array }
  | { kind: 'f64'; a: Float64Array }
  | { kind: 'i64'; a: BigInt64Array }
  | { kind: 'str'; a: (string | null)[] }
  | { kind: 'blob'; a: (Buffer | null)[] };

/** the COPY column layout whose data is already in this column's DuckDB form */
const DIRECT: Partial<Record<ColumnType['scalar'], ColumnLayout>> = {
  boolean: 'bool', int: 'int32', float: 'float32', double: 'float64', date: 'date', long: 'int64', time: 'time',
  timestamp: 'timestamp', timestamptz: 'timestamp', string: 'text', binary: 'bytea',
};

interface Column {
  buf: Buf;
  direct: ColumnLayout | null;
  /** bit i clear = row i is NULL (DuckDB's validity layout on a little-endian machine) */
  valid: Uint8Array;
  nulls: boolean;
  put: (row: number, v: Value) => void;
  vector: Bindings.Vector;
}

/** whether chunk appends can carry these columns */
export function chunkable(types: readonly ColumnType[]): boolean {
  return types.every((t) => !t.isList);
}

function timestampMicros(v: Value): bigint {
  if (typeof v === 'bigint') {
    // Postgres' last timestamps (after 294247-01-10) do not fit DuckDB's; never let them wrap around
    if (v >= TS_INF || v <= -TS_INF) throw unrepresentableTimestamp();
    return v;
  }
  if (v === Infinity) return TS_INF;
  if (v === -Infinity) return -TS_INF;
  throw new Error(`not a timestamp value: ${String(v)}`);
}

function column(t: ColumnType | 'bigint'): { type: DuckDBType; buf: Buf; put: (buf: Buf, row: number, v: Value) => void } {
  if (t === 'bigint') {
    return { type: BIGINT, buf: { kind: 'i64', a: new BigInt64Array(CHUNK_ROWS) }, put: (b, r, v) => { b.a[r] = v as bigint; } };
  }
  const i64 = (type: DuckDBType, f: (v: Value) => bigint) =>
    ({ type, buf: { kind: 'i64', a: new BigInt64Array(CHUNK_ROWS) } as Buf, put: (b: Buf, r: number, v: Value) => { b.a[r] = f(v); } });
  const str = (type: DuckDBType, f: (v: Value) => string) =>
    ({ type, buf: { kind: 'str', a: new Array<string | null>(CHUNK_ROWS).fill(null) } as Buf, put: (b: Buf, r: number, v: Value) => { b.a[r] = f(v); } });
  switch (t.scalar) {
    case 'boolean': return { type: BOOLEAN, buf: { kind: 'bool', a: new Uint8Array(CHUNK_ROWS) }, put: (b, r, v) => { b.a[r] = v ? 1 : 0; } };
    case 'int': return { type: INTEGER, buf: { kind: 'i32', a: new Int32Array(CHUNK_ROWS) }, put: (b, r, v) => { b.a[r] = v as number; } };
    case 'float': return { type: FLOAT, buf: { kind: 'f32', a: new Float32Array(CHUNK_ROWS) }, put: (b, r, v) => { b.a[r] = v as number; } };
    case 'double': return { type: DOUBLE, buf: { kind: 'f64', a: new Float64Array(CHUNK_ROWS) }, put: (b, r, v) => { b.a[r] = v as number; } };
    case 'long': return i64(BIGINT, (v) => (typeof v === 'bigint' ? v : BigInt(v as number)));
    case 'date': return {
      type: DATE,
      buf: { kind: 'i32', a: new Int32Array(CHUNK_ROWS) },
      put: (b, r, v) => { b.a[r] = v === Infinity ? DATE_INF : v === -Infinity ? -DATE_INF : (v as number); },
    };
    case 'time': return i64(TIME, (v) => v as bigint);
    case 'timestamp': return i64(TIMESTAMP, timestampMicros);
    case 'timestamptz': return i64(TIMESTAMPTZ, timestampMicros);
    case 'string': case 'uuid': case 'decimal': return str(VARCHAR, (v) => v as string);
    case 'interval-text': return str(VARCHAR, (v) => intervalText(v as Interval));
    case 'timetz-text': return str(VARCHAR, (v) => timetzText(v as TimeTz));
    case 'binary': return {
      type: BLOB,
      buf: { kind: 'blob', a: new Array<Buffer | null>(CHUNK_ROWS).fill(null) },
      put: (b, r, v) => { b.a[r] = v as Buffer; },
    };
  }
}

/**
 * Appends rows through DataChunks. Columns are the given mirror columns followed by `extraBigints` BIGINT columns
 * (_lg_rowid, _lg_lsn, …). Fill a row with set()/setBigint() for every column, then endRow(); finish() sends the
 * last partial chunk. One instance per table shape; reusable across appenders, not concurrently.
 */
export class ChunkAppender {
  private readonly chunk: DuckDBDataChunk;
  private readonly cols: Column[];
  private app: DuckDBAppender | null = null;
  private row = 0;
  /** a chunk's worth of duckdb_string_t for COPY text whose values are inlined */
  private readonly strings = new Uint8Array(CHUNK_ROWS * STRING_T);
  private readonly stringLengths = new Int32Array(this.strings.buffer);

  constructor(types: readonly ColumnType[], extraBigints = 0) {
    const specs = [...types.map((t) => column(t)), ...Array.from({ length: extraBigints }, () => column('bigint'))];
    this.chunk = DuckDBDataChunk.create(specs.map((s) => s.type), CHUNK_ROWS);
    this.cols = specs.map((s, i) => {
      const c: Column = {
        buf: s.buf,
        direct: i < types.length ? DIRECT[types[i]!.scalar] ?? null : null,
        valid: new Uint8Array(CHUNK_ROWS / 8).fill(0xff),
        nulls: false,
        put: (row, v) => s.put(c.buf, row, v),
        vector: duck.data_chunk_get_vector(this.chunk.chunk, i),
      };
      // decimal NaN/±Infinity have no DECIMAL value: the mirror fails rather than store something else
      if (i < types.length && types[i]!.scalar === 'decimal') {
        const put = c.put;
        const t = types[i]!;
        c.put = (row, v) => {
          if (isDecimalSpecial(v)) throw unrepresentableDecimal((t as Partial<MirrorColumn>).name, v as string, t);
          put(row, v);
        };
      }
      return c;
    });
  }

  begin(app: DuckDBAppender): void {
    this.app = app;
    this.row = 0;
  }

  set(col: number, v: Value): void {
    const c = this.cols[col]!;
    if (v === null) this.setNull(c, this.row);
    else c.put(this.row, v);
  }

  setBigint(col: number, v: bigint): void {
    (this.cols[col]!.buf.a as BigInt64Array)[this.row] = v;
  }

  endRow(): void {
    if (++this.row === CHUNK_ROWS) this.send();
  }

  /** sends what is buffered; the appender still has to be flushed/closed by the caller */
  finish(): void {
    if (this.row > 0) this.send();
    this.app = null;
  }

  private setNull(c: Column, row: number): void {
    c.valid[row >>> 3]! &= ~(1 << (row & 7));
    c.nulls = true;
    if (c.buf.kind === 'str' || c.buf.kind === 'blob') c.buf.a[row] = null;
  }

  private send(): void {
    const n = this.row;
    duck.data_chunk_reset(this.chunk.chunk);
    duck.data_chunk_set_size(this.chunk.chunk, n);
    for (const c of this.cols) flushColumn(c, n);
    this.app!.appendDataChunk(this.chunk);
    this.row = 0;
  }

  /** append a whole COPY batch (columns in this appender's order, no extra columns) */
  appendBatch(batch: ColumnBatch): void {
    if (this.row > 0) this.send();
    for (let off = 0; off < batch.rows; off += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, batch.rows - off);
      duck.data_chunk_reset(this.chunk.chunk);
      duck.data_chunk_set_size(this.chunk.chunk, n);
      for (let i = 0; i < this.cols.length; i++) {
        const c = this.cols[i]!;
        const v = batch.columns[i]!;
        if (c.direct !== v.layout) {
          for (let r = 0; r < n; r++) {
            const x = cellValue(v, off + r);
            if (x === null) this.setNull(c, r);
            else c.put(r, x);
          }
          flushColumn(c, n);
          continue;
        }
        if (v.nulls) {
          for (let r = 0; r < n; r++) if (v.nulls[off + r]) c.valid[r >>> 3]! &= ~(1 << (r & 7));
          c.nulls = true;
        }
        if (v.offsets) {
          this.appendStrings(c.vector, v.bytes!, v.offsets, v.nulls, off, n);
        } else {
          const a = v.data!;
          const w = a.BYTES_PER_ELEMENT;
          duck.copy_data_to_vector(c.vector, 0, a.buffer as ArrayBuffer, a.byteOffset + off * w, n * w);
        }
        flushValidity(c, n);
      }
      this.app!.appendDataChunk(this.chunk);
    }
  }

  /**
   * COPY text/bytea values off … off + n into `vector`: short ones (the common codes, names, flags) are built as
   * inline duckdb_string_t here and copied in one go, long ones take one call each (which replaces their slot).
   */
  private appendStrings(vector: Bindings.Vector, bytes: Uint8Array, offsets: Int32Array, nulls: Uint8Array | null, off: number, n: number): void {
    const st = this.strings;
    const lengths = this.stringLengths;
    st.fill(0, 0, n * STRING_T);
    let long = 0;
    for (let r = 0; r < n; r++) {
      const s = offsets[off + r]!;
      const len = offsets[off + r + 1]! - s;
      if (len > INLINE_MAX) {
        long++;
        continue;
      }
      lengths[r * 4] = len;
      const o = r * STRING_T + 4;
      for (let k = 0; k < len; k++) st[o + k] = bytes[s + k]!;
    }
    duck.copy_data_to_vector(vector, 0, st.buffer as ArrayBuffer, 0, n * STRING_T);
    if (long === 0) return;
    for (let r = 0; r < n; r++) {
      const s = offsets[off + r]!;
      const len = offsets[off + r + 1]! - s;
      if (len > INLINE_MAX && !nulls?.[off + r]) duck.vector_assign_string_element_len(vector, r, new Uint8Array(bytes.buffer, bytes.byteOffset + s, len));
    }
  }
}

/** the column's own buffers → its vector */
function flushColumn(c: Column, n: number): void {
  const { buf, vector } = c;
  if (buf.kind === 'str') {
    const a = buf.a;
    for (let i = 0; i < n; i++) {
      const s = a[i];
      if (s != null) duck.vector_assign_string_element(vector, i, s);
    }
  } else if (buf.kind === 'blob') {
    const a = buf.a;
    for (let i = 0; i < n; i++) {
      const s = a[i];
      if (s != null) duck.vector_assign_string_element_len(vector, i, s);
    }
  } else {
    const a = buf.a;
    duck.copy_data_to_vector(vector, 0, a.buffer as ArrayBuffer, a.byteOffset, n * a.BYTES_PER_ELEMENT);
  }
  flushValidity(c, n);
}

function flushValidity(c: Column, n: number): void {
  if (!c.nulls) return;
  duck.vector_ensure_validity_writable(c.vector);
  duck.copy_data_to_vector_validity(c.vector, 0, c.valid.buffer as ArrayBuffer, 0, Math.ceil(n / 64) * 8);
  c.valid.fill(0xff);
  c.nulls = false;
}
