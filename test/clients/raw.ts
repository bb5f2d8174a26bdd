// A tiny Postgres v3 frontend over a raw socket, for tests that need exact control of the bytes:
// pipelining across Syncs, malformed frames, pre-startup packets, CancelRequest, COPY.
import net from 'node:net';

export interface BackendMessage {
  /** type byte as a character: 'Z', 'E', 'T', 'D' … */
  type: string;
  body: Buffer;
}

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const cstr = (s: string) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);

/** One frontend message: type byte, int32 length (itself included), body. */
export function message(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type, 'latin1'), int32(body.length + 4), body]);
}

/** Frontend messages by their Postgres names. */
export const fe = {
  startup(params: Record<string, string>): Buffer {
    const body = Buffer.concat([int32(196608), ...Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]), Buffer.from([0])]);
    return Buffer.concat([int32(body.length + 4), body]);
  },
  sslRequest: () => Buffer.concat([int32(8), int32(80877103)]),
  gssencRequest: () => Buffer.concat([int32(8), int32(80877104)]),
  cancelRequest: (pid: number, secret: Buffer) => Buffer.concat([int32(16), int32(80877102), int32(pid), secret]),
  query: (sql: string) => message('Q', cstr(sql)),
  parse: (name: string, sql: string, types: number[] = []) => message('P', cstr(name), cstr(sql), int16(types.length), ...types.map(int32)),
  bind(portal: string, statement: string, params: (string | Buffer | null)[] = [], resultFormats: number[] = []): Buffer {
    const vals = params.flatMap((p) => (p === null ? [int32(-1)] : [int32(Buffer.byteLength(p)), Buffer.from(p)]));
    return message('B', cstr(portal), cstr(statement), int16(0), int16(params.length), ...vals, int16(resultFormats.length), ...resultFormats.map(int16));
  },
  describe: (kind: 'S' | 'P', name: string) => message('D', Buffer.from(kind), cstr(name)),
  execute: (portal = '', maxRows = 0) => message('E', cstr(portal), int32(maxRows)),
  close: (kind: 'S' | 'P', name: string) => message('C', Buffer.from(kind), cstr(name)),
  sync: () => message('S'),
  flush: () => message('H'),
  terminate: () => message('X'),
  copyData: (data: string | Buffer) => message('d', Buffer.from(data)),
  copyDone: () => message('c'),
  copyFail: (why: string) => message('f', cstr(why)),
  password: (pw: string) => message('p', cstr(pw)),
};

/** ErrorResponse / NoticeResponse fields by their one-letter codes (S, V, C, M, D, H …). */
export function fields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let p = 0;
  while (p < body.length && body[p] !== 0) {
    const end = body.indexOf(0, p + 1);
    out[String.fromCharCode(body[p]!)] = body.toString('utf8', p + 1, end);
    p = end + 1;
  }
  return out;
}

/** DataRow values as text (null for SQL NULL). */
export function dataRow(body: Buffer): (string | null)[] {
  const n = body.readInt16BE(0);
  const out: (string | null)[] = [];
  let p = 2;
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(p);
    p += 4;
    if (len < 0) out.push(null);
    else {
      out.push(body.toString('utf8', p, p + len));
      p += len;
    }
  }
  return out;
}

export class RawClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  closed = false;
  readonly closedPromise: Promise<void>;
  /** Backend key of the session, after startup(). */
  pid = 0;
  secret: Buffer = Buffer.alloc(0);
  readonly params = new Map<string, string>();

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.waiter?.();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, noDelay: true });
      s.once('connect', () => {
        s.removeAllListeners('error');
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  write(...bufs: Buffer[]): void {
    this.socket.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
  }

  end(data?: Buffer): void {
    if (data) this.socket.end(data);
    else this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private async need(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed (wanted ${n} bytes, have ${this.buf.length})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout after ${timeoutMs} ms waiting for the server`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
  }

  /** One byte (the answer to SSLRequest / GSSENCRequest). */
  async readByte(timeoutMs = 5000): Promise<string> {
    await this.need(1, timeoutMs);
    const b = this.buf[0]!;
    this.buf = this.buf.subarray(1);
    return String.fromCharCode(b);
  }

  async read(timeoutMs = 5000): Promise<BackendMessage> {
    await this.need(5, timeoutMs);
    const len = this.buf.readInt32BE(1);
    await this.need(1 + len, timeoutMs);
    const msg = { type: String.fromCharCode(this.buf[0]!), body: Buffer.from(this.buf.subarray(5, 1 + len)) };
    this.buf = this.buf.subarray(1 + len);
    return msg;
  }

  /** Messages up to and including the first one of `type`. */
  async readUntil(type: string, timeoutMs = 5000): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    for (;;) {
      const m = await this.read(timeoutMs);
      out.push(m);
      if (m.type === type) return out;
    }
  }

  /** Messages until the connection closes (for FATAL endings). Throws if it stays open. */
  async readToEnd(timeoutMs = 5000): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    for (;;) {
      try {
        out.push(await this.read(timeoutMs));
      } catch (e) {
        if (this.closed && this.buf.length === 0) return out;
        throw e;
      }
    }
  }

  /** StartupMessage, then everything up to the first ReadyForQuery; records ParameterStatus and BackendKeyData. */
  async startup(params: Record<string, string> = { user: 'postgres', database: 'postgres' }, timeoutMs = 5000): Promise<BackendMessage[]> {
    this.write(fe.startup(params));
    const msgs = await this.readUntil('Z', timeoutMs);
    for (const m of msgs) {
      if (m.type === 'S') {
        const k = m.body.indexOf(0);
        this.params.set(m.body.toString('utf8', 0, k), m.body.toString('utf8', k + 1, m.body.length - 1));
      } else if (m.type === 'K') {
        this.pid = m.body.readInt32BE(0);
        this.secret = Buffer.from(m.body.subarray(4));
      } else if (m.type === 'E') throw new Error(`startup failed: ${JSON.stringify(fields(m.body))}`);
    }
    return msgs;
  }
}

/** Compact transcript for assertions: 'T', 'D:1', 'C:SELECT 1', 'E:42P01', 'Z:T' … */
export function transcript(msgs: BackendMessage[]): string[] {
  return msgs.map((m) => {
    switch (m.type) {
      case 'D':
        return `D:${dataRow(m.body).join('|')}`;
      case 'C':
        return `C:${m.body.toString('utf8', 0, m.body.length - 1)}`;
      case 'E':
      case 'N':
        return `${m.type}:${fields(m.body).C}`;
      case 'Z':
        return `Z:${String.fromCharCode(m.body[0]!)}`;
      default:
        return m.type;
    }
  });
}
