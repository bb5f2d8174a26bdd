// Questions lakegate asks upstream on the client's own connection — so Postgres answers with the
// client's role, search_path, settings and transaction: the exact RowDescription a statement would get,
// or rows of ordinary tables joined with a mirror. Requests wait until upstream owes the client nothing
// and the client is between batches, so they never interleave with the client's own messages.
import { Writer } from './messages/writer.js';
import type { FieldDescription } from './messages/backend.js';
import { decodeError, decodeRowDescription, decodeTextRow } from './messages/backend-decode.js';
import type { InternalRequest } from './output.js';

export interface DescribeResult {
  paramTypes: number[];
  /** null when the statement returns no rows (NoData). */
  fields: FieldDescription[] | null;
}

export interface QueryResult {
  fields: FieldDescription[];
  /** Text-format values; null = SQL NULL. */
  rows: (string | null)[][];
  command: string;
}

export interface UpstreamChannel {
  describe(sql: string, paramTypes?: number[]): Promise<DescribeResult>;
  query(sql: string, params?: (string | null)[]): Promise<QueryResult>;
  /**
   * describe(sql), then query() of each of `queries`, in one round trip (one Sync: one implicit transaction). The
   * first error rejects; what follows it does not run.
   */
  describeThenQueries(sql: string, paramTypes: number[], queries: { sql: string; params: (string | null)[] }[]): Promise<{ described: DescribeResult; results: QueryResult[] }>;
  /**
   * Runs `sql` as a simple Query and returns Postgres' answer as sent: every message before ReadyForQuery
   * (RowDescription, DataRow, CommandComplete, notices, ParameterStatus, ErrorResponse), for the client.
   * `positionOffset` characters are added to an error's position: `sql` was part of a longer string.
   */
  relay(sql: string, positionOffset?: number): Promise<RelayedAnswer>;
}

export interface RelayedAnswer {
  bytes: Buffer;
  /** the answer holds an ErrorResponse */
  failed: boolean;
}

const NAME = 'lakegate_internal';

/** Collects an internal request's response and splits it into messages. */
class Collector implements InternalRequest {
  readonly kind = 'internal';
  private buf: Buffer = Buffer.alloc(0);
  readonly messages: { type: number; body: Buffer }[] = [];
  constructor(private readonly done: (c: Collector) => void) {}
  data(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    let i = 0;
    while (this.buf.length - i >= 5) {
      const len = this.buf.readInt32BE(i + 1);
      if (this.buf.length - i < len + 1) break;
      this.messages.push({ type: this.buf[i]!, body: this.buf.subarray(i + 5, i + 1 + len) });
      i += len + 1;
    }
    this.buf = this.buf.subarray(i);
  }
  end(): void {
    this.done(this);
  }
}

/** An ErrorResponse body with `by` added to its position field (P), if it has one. */
function shiftPosition(body: Buffer, by: number): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    if (body[i] === 0x50) out.push(Buffer.from(`P${Number(body.toString('latin1', i + 1, end)) + by}\0`));
    else out.push(body.subarray(i, end + 1));
    i = end + 1;
  }
  out.push(Buffer.from([0]));
  return Buffer.concat(out);
}

export class SessionUpstreamChannel implements UpstreamChannel {
  private queue: { bytes: Buffer; req: Collector }[] = [];

  constructor(
    private readonly canSend: () => boolean,
    private readonly send: (bytes: Buffer, req: InternalRequest) => void,
  ) {}

  /** Write queued requests if the connection is free (called by the session whenever that may have changed). */
  pump(): void {
    while (this.queue.length > 0 && this.canSend()) {
      const { bytes, req } = this.queue.shift()!;
      this.send(bytes, req);
    }
  }

  private request(bytes: Buffer): Promise<Collector> {
    return new Promise((resolve) => {
      this.queue.push({ bytes, req: new Collector(resolve) });
      this.pump();
    });
  }

  /** Close a statement/portal a failed earlier request may have left behind (closing a missing one is no error). */
  private static closeLeftovers(w: Writer): void {
    w.begin(0x43).byte(0x53).cstring(NAME).end();
    w.begin(0x43).byte(0x50).cstring(NAME).end();
  }

  private static writeDescribe(w: Writer, sql: string, paramTypes: number[]): void {
    SessionUpstreamChannel.closeLeftovers(w);
    w.begin(0x50).cstring(NAME).cstring(sql).int16(paramTypes.length);
    for (const t of paramTypes) w.int32(t);
    w.end();
    w.begin(0x44).byte(0x53).cstring(NAME).end();
    w.begin(0x43).byte(0x53).cstring(NAME).end();
  }

  private static writeQuery(w: Writer, sql: string, params: (string | null)[]): void {
    SessionUpstreamChannel.closeLeftovers(w);
    w.begin(0x50).cstring(NAME).cstring(sql).int16(0).end();
    w.begin(0x42).cstring(NAME).cstring(NAME).int16(0).int16(params.length);
    for (const v of params) {
      if (v === null) w.int32(-1);
      else {
        const b = Buffer.from(v);
        w.int32(b.length).bytes(b);
      }
    }
    w.int16(0).end();
    w.begin(0x44).byte(0x50).cstring(NAME).end();
    w.begin(0x45).cstring(NAME).int32(0).end();
    w.begin(0x43).byte(0x50).cstring(NAME).end();
    w.begin(0x43).byte(0x53).cstring(NAME).end();
  }

  /** reads a describe's answer from messages[from]; returns it and the index after its RowDescription/NoData */
  private static readDescribe(messages: { type: number; body: Buffer }[], from: number): { described: DescribeResult; next: number } {
    let params: number[] = [];
    let fields: FieldDescription[] | null = null;
    let i = from;
    for (; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.type === 0x45) throw decodeError(m.body);
      if (m.type === 0x74) {
        const n = m.body.readInt16BE(0);
        params = Array.from({ length: n }, (_, k) => m.body.readUInt32BE(2 + 4 * k));
      } else if (m.type === 0x54) {
        fields = decodeRowDescription(m.body);
        break;
      } else if (m.type === 0x6e) break;
    }
    return { described: { paramTypes: params, fields }, next: i + 1 };
  }

  /** reads one query's answer from messages[from]; returns it and the index after its second CloseComplete */
  private static readQuery(messages: { type: number; body: Buffer }[], from: number): { result: QueryResult; next: number } {
    const out: QueryResult = { fields: [], rows: [], command: '' };
    let i = from;
    for (; i < messages.length; i++) {
      const m = messages[i]!;
      switch (m.type) {
        case 0x45:
          throw decodeError(m.body);
        case 0x54:
          out.fields = decodeRowDescription(m.body);
          break;
        case 0x44:
          out.rows.push(decodeTextRow(m.body));
          break;
        case 0x43:
          out.command = m.body.toString('utf8', 0, m.body.indexOf(0));
          // CommandComplete, then the Close of the portal and of the statement
          return { result: out, next: i + 3 };
      }
    }
    return { result: out, next: i };
  }

  async describe(sql: string, paramTypes: number[] = []): Promise<DescribeResult> {
    const w = new Writer(sql.length + 64);
    SessionUpstreamChannel.writeDescribe(w, sql, paramTypes);
    w.begin(0x53).end();
    const res = await this.request(Buffer.from(w.finish()));
    return SessionUpstreamChannel.readDescribe(res.messages, 0).described;
  }

  async query(sql: string, params: (string | null)[] = []): Promise<QueryResult> {
    const w = new Writer(sql.length + 64);
    SessionUpstreamChannel.writeQuery(w, sql, params);
    w.begin(0x53).end();
    const res = await this.request(Buffer.from(w.finish()));
    return SessionUpstreamChannel.readQuery(res.messages, 0).result;
  }

  async relay(sql: string, positionOffset = 0): Promise<RelayedAnswer> {
    const w = new Writer(sql.length + 16);
    w.begin(0x51).cstring(sql).end();
    const res = await this.request(Buffer.from(w.finish()));
    const parts: Buffer[] = [];
    let failed = false;
    for (const m of res.messages) {
      if (m.type === 0x5a) continue; // ReadyForQuery: the caller's own ends the client's statement
      const body = m.type === 0x45 && positionOffset > 0 ? shiftPosition(m.body, positionOffset) : m.body;
      const head = Buffer.alloc(5);
      head[0] = m.type;
      head.writeInt32BE(body.length + 4, 1);
      parts.push(head, body);
      if (m.type === 0x45) failed = true;
    }
    return { bytes: Buffer.concat(parts), failed };
  }

  async describeThenQueries(sql: string, paramTypes: number[], queries: { sql: string; params: (string | null)[] }[]): Promise<{ described: DescribeResult; results: QueryResult[] }> {
    const w = new Writer(sql.length + 64 + queries.reduce((n, q) => n + q.sql.length + 64, 0));
    SessionUpstreamChannel.writeDescribe(w, sql, paramTypes);
    for (const q of queries) SessionUpstreamChannel.writeQuery(w, q.sql, q.params);
    w.begin(0x53).end();
    const res = await this.request(Buffer.from(w.finish()));
    const { described, next } = SessionUpstreamChannel.readDescribe(res.messages, 0);
    const results: QueryResult[] = [];
    let at = next;
    for (let k = 0; k < queries.length; k++) {
      const r = SessionUpstreamChannel.readQuery(res.messages, at);
      results.push(r.result);
      at = r.next;
    }
    return { described, results };
  }
}
