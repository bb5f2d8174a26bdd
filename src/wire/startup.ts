// Everything a client may send before its StartupMessage: SSLRequest (TLS or 'N'), GSSENCRequest ('N'),
// CancelRequest, or a TLS ClientHello straight away (PG 17 direct SSL). Returns the startup packet.
import net from 'node:net';
import tls from 'node:tls';
import { CANCEL_REQUEST, GSSENC_REQUEST, MAX_STARTUP_PACKET, SSL_REQUEST } from './codes.js';
import { ProtocolError } from './messages/frontend.js';

export type Opening =
  | { kind: 'startup'; socket: net.Socket; packet: Buffer; rest: Buffer; tls: boolean }
  | { kind: 'cancel'; socket: net.Socket; packet: Buffer };

/** Reads length-prefixed packets (no type byte) from a socket until the caller stops. */
class PacketReader {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended: Error | null = null;
  private readonly onData = (d: Buffer) => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.waiter?.();
  };
  private readonly onEnd = () => {
    this.ended = new ProtocolError('connection closed before startup');
    this.waiter?.();
  };

  constructor(readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
  }

  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }

  async firstByte(): Promise<number> {
    while (this.buf.length < 1) await this.wait();
    return this.buf[0]!;
  }

  async packet(): Promise<Buffer> {
    while (this.buf.length < 4) await this.wait();
    const len = this.buf.readInt32BE(0);
    if (len < 8 || len > MAX_STARTUP_PACKET) throw new ProtocolError('invalid length of startup packet');
    while (this.buf.length < len) await this.wait();
    const pkt = this.buf.subarray(0, len);
    this.buf = this.buf.subarray(len);
    return pkt;
  }

  get buffered(): number {
    return this.buf.length;
  }

  private wait(): Promise<void> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      this.waiter = () => {
        this.waiter = null;
        if (this.ended) reject(this.ended);
        else resolve();
      };
    });
  }
}

function upgrade(socket: net.Socket, ctx: tls.SecureContext, direct: boolean): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext: ctx,
      // direct TLS must be negotiated as "postgresql" (PG 17+); the SSLRequest path allows no ALPN
      ALPNCallback: ({ protocols }) => (protocols.includes('postgresql') ? 'postgresql' : direct ? undefined : (protocols[0] ?? undefined)),
    });
    t.once('secure', () => resolve(t));
    t.once('error', reject);
  });
}

/** Negotiate until a StartupMessage or CancelRequest arrives. Throws ProtocolError on bad input. */
export async function negotiate(socket: net.Socket, secureContext: tls.SecureContext | null, timeoutMs: number): Promise<Opening> {
  let reader = new PacketReader(socket);
  let isTls = false;
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  try {
    if (secureContext && (await reader.firstByte()) === 0x16) {
      socket.pause();
      socket.unshift(reader.detach());
      socket = await upgrade(socket, secureContext, true);
      reader = new PacketReader(socket);
      isTls = true;
    }
    for (;;) {
      const pkt = await reader.packet();
      const code = pkt.readInt32BE(4);
      if (code === SSL_REQUEST && pkt.length === 8) {
        if (isTls || !secureContext) {
          socket.write('N');
          continue;
        }
        if (reader.buffered > 0) throw new ProtocolError('received unencrypted data after SSL request');
        reader.detach();
        socket.write('S');
        socket = await upgrade(socket, secureContext, false);
        reader = new PacketReader(socket);
        isTls = true;
        continue;
      }
      if (code === GSSENC_REQUEST && pkt.length === 8) {
        socket.write('N');
        continue;
      }
      if (code === CANCEL_REQUEST) {
        reader.detach();
        return { kind: 'cancel', socket, packet: Buffer.from(pkt) };
      }
      if (code >> 16 !== 3) throw new ProtocolError(`unsupported frontend protocol ${code >> 16}.${code & 0xffff}: server supports 3.0 to 3.2`);
      const rest = reader.detach();
      return { kind: 'startup', socket, packet: Buffer.from(pkt), rest, tls: isTls };
    }
  } catch (e) {
    reader.detach();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
