// A bound mirror query: runs the translated SQL on the portal's own DuckDB connection and writes DataRows
// encoded exactly as Postgres would (results/), keeping the DuckDB result open between Executes so a row limit
// suspends the portal (PortalSuspended) and the next Execute continues where it stopped.
import { DuckDBMaterializedResult } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBPreparedStatement, DuckDBResult, DuckDBType, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import { PgError, type LocalPortal, type ResultSink } from '../route/local.js';
import { commandComplete, dataRow, portalSuspended, type FieldDescription } from '../wire/messages/backend.js';
import { pgErrorOf, STALE_CHOICE } from './errors.js';
import type { ColumnCodec, OutputSettings } from './results/index.js';
import { compareValues } from './sort-values.js';
import { copyData, copyDone, copyLine, copyOutResponse, headerLine, type CopyOptions } from './copy-out.js';
import type { JsSort } from './translate/index.js';
import { evalVar } from './translate/var-numeric.js';
import type { OutCol } from './translate/translator.js';

export interface PortalPlan {
  sql: string;
  /** `sql` prepared on the portal's connection to stream its result; without it the result is materialised in
   *  one DuckDB call (a small result, or a JS sort that reads everything anyway: one bind instead of two) */
  prepared?: DuckDBPreparedStatement | null;
  cols: OutCol[];
  /** per output column; null until the materialised result tells its types (codecsFor) */
  codecs: ColumnCodec[] | null;
  codecsFor: (typeOf: (i: number) => DuckDBType) => ColumnCodec[];
  formats: (0 | 1)[];
  settings: OutputSettings;
  /** hidden sort-key columns after the visible ones (JS sort) */
  hidden: number;
  jsSort: JsSort | null;
  /** EXPLAIN [ANALYZE]: DuckDB's plan as rows of one text column */
  explain: { analyze: boolean } | null;
  /** COPY … TO STDOUT: rows as CopyData */
  copy: { options: CopyOptions; names: string[] } | null;
  /**
   * `sql` runs inside statements(sql) (BEGIN, the query, checks of the reader views guessed for it) in one
   * call; when a check fails, refresh() begins the transaction again, chooses the views and returns the SQL
   * over them
   */
  fused?: { statements: (sql: string) => string; refresh: () => Promise<string> } | null;
}

type Row = unknown[];

export class EnginePortal implements LocalPortal {
  private result: DuckDBResult | null = null;
  private chunk: DuckDBDataChunk | null = null;
  private vectors: DuckDBVector[] = [];
  private pos = 0;
  /** next chunk of a materialised result */
  private chunkIndex = 0;
  private done = false;
  /** rows computed up front (EXPLAIN, JS sort), with JS-finished values already evaluated */
  private rows: Row[] | null = null;
  private closed = false;
  /** set by cancel(): DuckDB forgets an interrupt that comes before its query starts, so we remember it */
  private cancelled = false;
  private codecs: ColumnCodec[];

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly plan: PortalPlan,
    private readonly out: FieldDescription[] | null,
    /** hands the connection back (its transaction ends there); called once */
    private readonly releaseConn: (conn: DuckDBConnection) => void,
  ) {
    this.codecs = plan.codecs ?? [];
  }

  fields(): FieldDescription[] | null {
    return this.out;
  }

  async execute(maxRows: number, sink: ResultSink): Promise<'complete' | 'suspended'> {
    try {
      return await this.run(maxRows, sink);
    } catch (e) {
      this.result = null;
      this.chunk = null;
      this.done = true;
      this.closeConnection();
      throw pgErrorOf(e);
    }
  }

  private async run(maxRows: number, sink: ResultSink): Promise<'complete' | 'suspended'> {
    const p = this.plan;
    this.checkCancel();
    if (!this.result && !this.rows && !this.done && !this.connClosed) {
      if (p.explain) this.rows = await this.explainRows();
      else if (p.jsSort) this.rows = await this.sortedRows(p.jsSort);
      else if (p.prepared) this.result = await p.prepared.stream();
      else {
        const r = await this.runMaterialised();
        this.codecs = p.codecsFor((i) => r.columnType(i));
        this.result = r;
      }
      this.checkCancel();
    }
    if (p.copy) return this.copyOut(sink);
    let n = 0;
    const limit = maxRows > 0 ? maxRows : Infinity;
    while (n < limit) {
      const row = await this.next();
      if (!row) break;
      const msg = p.explain ? dataRow([Buffer.from(row[0] as string, 'utf8')]) : this.encode(row);
      if (!sink.write(msg)) await sink.drain();
      n++;
    }
    if (n === limit) {
      sink.write(portalSuspended);
      return 'suspended';
    }
    sink.write(commandComplete(p.explain ? 'EXPLAIN' : `SELECT ${n}`));
    this.release();
    return 'complete';
  }

  private async runMaterialised(): Promise<DuckDBMaterializedResult> {
    const f = this.plan.fused;
    if (!f) return this.conn.run(this.plan.sql);
    try {
      return await this.conn.run(f.statements(this.plan.sql));
    } catch (e) {
      if (!String((e as Error).message).includes(STALE_CHOICE)) throw e;
      this.checkCancel();
      return this.conn.run(await f.refresh());
    }
  }

  /** COPY TO STDOUT: the whole result (row limits do not apply to COPY) */
  private async copyOut(sink: ResultSink): Promise<'complete'> {
    const p = this.plan;
    const { options, names } = p.copy!;
    sink.write(copyOutResponse(p.cols.length));
    if (options.header) sink.write(copyData(headerLine(names, options)));
    let n = 0;
    for (;;) {
      const row = await this.next();
      if (!row) break;
      const vals = p.cols.map((_, i) => {
        const v = this.value(row, i);
        return v === null || v === undefined ? null : this.codecs[i]!.text(v, p.settings);
      });
      if (!sink.write(copyData(copyLine(vals, names, options)))) await sink.drain();
      n++;
    }
    sink.write(copyDone);
    sink.write(commandComplete(`COPY ${n}`));
    this.release();
    return 'complete';
  }

  /** next row as DuckDB values (visible + hidden columns), null at the end */
  private async next(): Promise<Row | null> {
    if (this.rows) {
      if (this.pos >= this.rows.length) return null;
      return this.rows[this.pos++]!;
    }
    if (!this.result || this.done) return null;
    while (!this.chunk || this.pos >= this.chunk.rowCount) {
      // a materialised result hands its chunks out synchronously; fetchChunk would cost a libuv pool hop each
      const m = this.result instanceof DuckDBMaterializedResult ? this.result : null;
      const c = m ? (this.chunkIndex < m.chunkCount ? m.getChunk(this.chunkIndex++) : null) : await this.result.fetchChunk();
      if (!c || c.rowCount === 0) {
        this.done = true;
        return null;
      }
      this.chunk = c;
      this.vectors = Array.from({ length: c.columnCount }, (_, i) => c.getColumnVector(i));
      this.pos = 0;
    }
    const r = this.pos++;
    const row: Row = new Array(this.vectors.length);
    for (let i = 0; i < this.vectors.length; i++) row[i] = this.vectors[i]!.getItem(r);
    return row;
  }

  private value(row: Row, i: number): unknown {
    const col = this.plan.cols[i]!;
    const v = row[i];
    if (!col.ex.v || v === null || v === undefined || this.rows) return v;
    const entries = (v as { entries: Record<string, DuckDBValue> }).entries;
    return evalVar(col.ex.v, Object.values(entries));
  }

  private encode(row: Row): Buffer {
    const p = this.plan;
    const vals: (Buffer | null)[] = [];
    for (let i = 0; i < p.cols.length; i++) {
      const v = this.value(row, i);
      vals.push(v === null || v === undefined ? null : this.codecs[i]!.encode(v, p.settings, p.formats[i]!));
    }
    return dataRow(vals);
  }

  private async explainRows(): Promise<Row[]> {
    const r = await this.conn.runAndReadAll(`EXPLAIN ${this.plan.explain!.analyze ? 'ANALYZE ' : ''}${this.plan.sql}`);
    const out: Row[] = [];
    for (const row of r.getRowObjects()) {
      const text = String(row.explain_value ?? '');
      for (const line of text.split('\n')) if (line.length) out.push([line]);
    }
    return out;
  }

  /** all rows, with JS-finished values computed, sorted by Postgres' rules, then OFFSET/LIMIT */
  private async sortedRows(s: JsSort): Promise<Row[]> {
    const r = this.plan.prepared ? await this.plan.prepared.runAndReadAll() : await this.conn.runAndReadAll(this.plan.sql);
    if (!this.plan.codecs) this.codecs = this.plan.codecsFor((i) => r.columnType(i));
    const all: Row[] = [];
    const ncols = this.plan.cols.length + this.plan.hidden;
    for (const raw of r.getRows()) {
      const row: Row = [];
      for (let i = 0; i < ncols; i++) row.push(i < this.plan.cols.length ? this.value(raw, i) : raw[i]);
      all.push(row);
    }
    all.sort((a, b) => {
      for (const k of s.keys) {
        const x = a[k.index];
        const y = b[k.index];
        const xn = x === null || x === undefined;
        const yn = y === null || y === undefined;
        if (xn || yn) {
          if (xn && yn) continue;
          return xn === k.nullsFirst ? -1 : 1;
        }
        const c = compareValues(x, y);
        if (c !== 0) return k.desc ? -c : c;
      }
      return 0;
    });
    const start = Number(s.offset);
    const end = s.limit === null ? all.length : start + Number(s.limit);
    return all.slice(start, end);
  }

  /** The result is exhausted: free DuckDB at once (a later Execute of the portal returns no rows), so a portal
   *  the session forgets to close holds nothing. */
  private release(): void {
    this.result = null;
    this.chunk = null;
    this.done = true;
    this.rows = this.rows ? [] : null;
    this.pos = 0;
    this.closeConnection();
  }

  private connClosed = false;

  private closeConnection(): void {
    if (this.connClosed) return;
    this.connClosed = true;
    try {
      this.plan.prepared?.destroySync();
    } catch {
      // already gone
    }
    this.releaseConn(this.conn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.result = null;
    this.chunk = null;
    this.done = true;
    this.rows = null;
    this.closeConnection();
  }

  cancel(): void {
    this.cancelled = true;
    if (!this.connClosed) this.conn.interrupt();
  }

  private checkCancel(): void {
    if (this.cancelled) throw new PgError('57014', 'canceling statement due to user request');
  }
}
