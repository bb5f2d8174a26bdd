// An UpstreamChannel on a Postgres connection of its own (trust or no authentication): the same Parse/Describe
// and Parse/Bind/Execute exchanges the session sends on a client's connection, for tests and tools that drive the
// engine without a wire session. `simple()` runs session commands (SET TimeZone …) and tracks ParameterStatus.
import net from 'node:net';
import { decodeDataRow, decodeError, decodeRowDescription, decodeTextRow } from '../wire/messages/backend-decode.js';
import { SessionUpstreamChannel } from '../wire/upstream-channel.js';
import type { DescribeResult, QueryResult, RelayedAnswer, UpstreamChannel } from './upstream-channel.js';
import type { InternalRequest } from '../wire/output.js';
import { PgError } from '../route/local.js';

export interface DirectChannelOptions {
  host?: string;
  port: number;
  user: string;
  database?: string;
  /** extra startup parameters, e.g. { TimeZone: 'Europe/Berlin', extra_float_digits: '3' } */
  params?: Record<string, string>;
}

export class DirectChannel implements UpstreamChannel {
  /** ParameterStatus values as last reported */
  readonly status = new Map<string, string>();
  /** transaction status of the last ReadyForQuery */
  txStatus: 'I' | 'T' | 'E' = 'I';
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { onMessage: (type: number, body: Buffer, raw: Buffer) => void; done: () => void } | null = null;
  private readonly inner: SessionUpstreamChannel;
  private busy = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d) => this.onData(d));
    this.inner = new SessionUpstreamChannel(
      () => !this.busy,
      (bytes, req) => this.sendInternal(bytes, req),
    );
  }

  static async connect(o: DirectChannelOptions): Promise<DirectChannel> {
    const socket = net.connect(o.port, o.host ?? '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const ch = new DirectChannel(socket);
    const kv: string[] = ['user', o.user, 'database', o.database ?? o.user];
    for (const [k, v] of Object.entries(o.params ?? {})) kv.push(k, v);
    const body = Buffer.concat([...kv.map((s) => Buffer.from(s + '\0')), Buffer.from([0])]);
    const head = Buffer.alloc(8);
    head.writeInt32BE(8 + body.length, 0);
    head.writeInt32BE(196608, 4);
    await ch.exchange(Buffer.concat([head, body]), (type, b) => {
      if (type === 0x52 && b.readInt32BE(0) !== 0) throw new Error('direct channel: only trust authentication is supported');
    });
    return ch;
  }

  describe(sql: string, paramTypes?: number[]): Promise<DescribeResult> {
    return this.inner.describe(sql, paramTypes);
  }

  query(sql: string, params?: (string | null)[]): Promise<QueryResult> {
    return this.inner.query(sql, params);
  }

  describeThenQueries(sql: string, paramTypes: number[], queries: { sql: string; params: (string | null)[] }[]): Promise<{ described: DescribeResult; results: QueryResult[] }> {
    return this.inner.describeThenQueries(sql, paramTypes, queries);
  }

  relay(sql: string, positionOffset?: number): Promise<RelayedAnswer> {
    return this.inner.relay(sql, positionOffset);
  }

  /** Simple-protocol query (session commands); rejects with PgError on an ErrorResponse. */
  async simple(sql: string): Promise<(string | null)[][]> {
    const body = Buffer.from(sql + '\0');
    const msg = Buffer.alloc(5 + body.length);
    msg[0] = 0x51;
    msg.writeInt32BE(4 + body.length, 1);
    body.copy(msg, 5);
    const rows: (string | null)[][] = [];
    let err: PgError | null = null;
    await this.exchange(msg, (type, b) => {
      if (type === 0x45) err ??= decodeError(b);
      if (type === 0x44) rows.push(decodeTextRow(b));
    });
    if (err) throw err;
    return rows;
  }

  /**
   * Runs a statement with the extended protocol (unnamed statement and portal) and returns Postgres' exact
   * RowDescription and DataRow values as bytes, in the requested result formats.
   */
  async raw(
    sql: string,
    params: (string | null)[] = [],
    resultFormats: number[] = [],
  ): Promise<{
    fields: { name: string; typeOid: number; typeMod: number; typeSize: number; format: number }[];
    rows: (Buffer | null)[][];
    command: string;
    /** CopyData payloads of a COPY … TO STDOUT */
    copy: Buffer[];
  }> {
    const parts: Buffer[] = [];
    const msg = (type: number, body: Buffer) => {
      const h = Buffer.alloc(5);
      h[0] = type;
      h.writeInt32BE(4 + body.length, 1);
      parts.push(h, body);
    };
    const cstr = (s: string) => Buffer.from(s + '\0');
    const i16 = (n: number) => {
      const b = Buffer.alloc(2);
      b.writeInt16BE(n);
      return b;
    };
    const i32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    msg(0x50, Buffer.concat([cstr(''), cstr(sql), i16(0)]));
    const pv: Buffer[] = [];
    for (const v of params) {
      if (v === null) pv.push(i32(-1));
      else {
        const b = Buffer.from(v);
        pv.push(i32(b.length), b);
      }
    }
    msg(0x42, Buffer.concat([cstr(''), cstr(''), i16(0), i16(params.length), ...pv, i16(resultFormats.length), ...resultFormats.map(i16)]));
    msg(0x44, Buffer.concat([Buffer.from('P'), cstr('')]));
    msg(0x45, Buffer.concat([cstr(''), i32(0)]));
    msg(0x53, Buffer.alloc(0));
    const out = {
      fields: [] as { name: string; typeOid: number; typeMod: number; typeSize: number; format: number }[],
      rows: [] as (Buffer | null)[][],
      command: '',
      copy: [] as Buffer[],
    };
    let err: PgError | null = null;
    await this.exchange(Buffer.concat(parts), (type, b) => {
      if (type === 0x45) err ??= decodeError(b);
      else if (type === 0x54) {
        for (const f of decodeRowDescription(b)) {
          out.fields.push({ name: f.name, typeOid: f.typeOid, typeSize: f.typeSize, typeMod: f.typeMod ?? -1, format: f.format ?? 0 });
        }
      } else if (type === 0x44) {
        out.rows.push(decodeDataRow(b));
      } else if (type === 0x43) out.command = b.toString('utf8', 0, b.length - 1);
      else if (type === 0x64) out.copy.push(Buffer.from(b));
    });
    if (err) throw err;
    return out;
  }

  close(): void {
    const t = Buffer.from([0x58, 0, 0, 0, 4]);
    this.socket.end(t);
  }

  private sendInternal(bytes: Buffer, req: InternalRequest): void {
    void this.exchange(bytes, (_t, _b, raw) => req.data(raw)).then(() => {
      req.end();
      this.inner.pump();
    });
  }

  /** writes `bytes`, hands every message to onMessage until ReadyForQuery */
  private exchange(bytes: Buffer, onMessage: (type: number, body: Buffer, raw: Buffer) => void): Promise<void> {
    this.busy = true;
    return new Promise<void>((resolve, reject) => {
      this.waiting = {
        onMessage: (t, b, raw) => {
          try {
            onMessage(t, b, raw);
          } catch (e) {
            reject(e);
          }
        },
        done: () => {
          this.busy = false;
          resolve();
        },
      };
      this.socket.write(bytes);
      this.drain();
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.drain();
  }

  private drain(): void {
    while (this.waiting && this.buf.length >= 5) {
      const len = this.buf.readInt32BE(1);
      if (this.buf.length < len + 1) return;
      const raw = this.buf.subarray(0, len + 1);
      const type = raw[0]!;
      const body = raw.subarray(5);
      this.buf = this.buf.subarray(len + 1);
      if (type === 0x53) {
        const k = body.toString('utf8', 0, body.indexOf(0));
        const v = body.toString('utf8', body.indexOf(0) + 1, body.length - 1);
        this.status.set(k, v);
      }
      const w = this.waiting;
      w.onMessage(type, body, raw);
      if (type === 0x5a) {
        this.txStatus = String.fromCharCode(body[0]!) as 'I' | 'T' | 'E';
        this.waiting = null;
        w.done();
      }
    }
  }
}
