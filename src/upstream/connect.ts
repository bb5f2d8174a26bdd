// Opening a byte pipe to upstream Postgres: TCP or Unix socket, optional TLS negotiated with SSLRequest.
import net from 'node:net';
import tls from 'node:tls';
import { SSL_REQUEST } from '../wire/codes.js';
import { rewrapWithOnread } from '../wire/onread-socket.js';
import { describeTarget, type UpstreamTarget } from './target.js';

export class UpstreamConnectError extends Error {}

/** SSLRequest: length 8, the request code */
const SSL_REQUEST_PACKET = Buffer.alloc(8);
SSL_REQUEST_PACKET.writeInt32BE(8, 0);
SSL_REQUEST_PACKET.writeInt32BE(SSL_REQUEST, 4);

function rawConnect(t: UpstreamTarget, timeoutMs: number, onread?: net.OnReadOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const extra = onread ? { onread } : {};
    const sock = t.socketPath ? net.connect({ path: t.socketPath, ...extra }) : net.connect({ host: t.host, port: t.port, noDelay: true, ...extra });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new UpstreamConnectError(`could not connect to upstream ${describeTarget(t)}: timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new UpstreamConnectError(`could not connect to upstream ${describeTarget(t)}: ${e.code ?? e.message}`));
    });
  });
}

function sslNegotiate(sock: net.Socket, t: UpstreamTarget): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    sock.once('data', (d) => {
      if (d[0] === 0x53) {
        const s = tls.connect({
          socket: sock,
          servername: net.isIP(t.host) ? undefined : t.host,
          rejectUnauthorized: t.sslmode === 'verify-ca' || t.sslmode === 'verify-full',
          checkServerIdentity: t.sslmode === 'verify-full' ? tls.checkServerIdentity : () => undefined,
        });
        s.once('secureConnect', () => {
          s.removeAllListeners('error');
          resolve(s);
        });
        s.once('error', (e) => reject(new UpstreamConnectError(`TLS to upstream ${describeTarget(t)} failed: ${e.message}`)));
      } else if (t.sslmode === 'prefer') resolve(sock);
      else {
        sock.destroy();
        reject(new UpstreamConnectError(`upstream ${describeTarget(t)} does not support TLS (sslmode=${t.sslmode})`));
      }
    });
    sock.write(SSL_REQUEST_PACKET);
  });
}

/**
 * With `onread`, a plain connection delivers its data to that callback instead of 'data' events (returned
 * `usesOnread` true); TLS connections always use events, since TLS owns the raw socket's reads.
 */
export async function connectUpstream(
  t: UpstreamTarget,
  timeoutMs: number,
  onread?: net.OnReadOpts,
): Promise<{ socket: net.Socket; usesOnread: boolean }> {
  const plain = t.sslmode === 'disable' || Boolean(t.socketPath);
  const sock = await rawConnect(t, timeoutMs, plain ? onread : undefined);
  if (plain) return { socket: sock, usesOnread: Boolean(onread) };
  const negotiated = await sslNegotiate(sock, t);
  if (negotiated instanceof tls.TLSSocket || !onread) return { socket: negotiated, usesOnread: false };
  // sslmode=prefer and the server said no: the plain socket reads into the reused buffer like any other
  // (paused until the caller has its reader attached; Postgres sends nothing before the startup packet)
  const moved = rewrapWithOnread(negotiated, onread);
  if (!moved) return { socket: negotiated, usesOnread: false };
  if (moved.rest.length > 0) {
    moved.socket.destroy();
    throw new UpstreamConnectError(`upstream ${describeTarget(t)} sent data after refusing TLS`);
  }
  return { socket: moved.socket, usesOnread: true };
}

/**
 * sslmode=prefer resolved for lakegate's own connections (node-pg has no "try TLS, else plain"): asks upstream
 * once with an SSLRequest and answers require when it takes TLS, disable when it refuses.
 */
export async function resolvePreferredTls(t: UpstreamTarget, timeoutMs: number): Promise<UpstreamTarget> {
  if (t.sslmode !== 'prefer' || t.socketPath) return t; // (Unix sockets never use TLS: pgConfig leaves it off)
  const sock = await rawConnect(t, timeoutMs);
  try {
    const answer = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new UpstreamConnectError(`upstream ${describeTarget(t)} did not answer SSLRequest`)), timeoutMs);
      sock.once('data', (d: Buffer) => {
        clearTimeout(timer);
        resolve(d[0]!);
      });
      sock.once('close', () => {
        clearTimeout(timer);
        reject(new UpstreamConnectError(`upstream ${describeTarget(t)} closed the connection at SSLRequest`));
      });
      sock.write(SSL_REQUEST_PACKET);
    });
    return { ...t, sslmode: answer === 0x53 ? 'require' : 'disable' };
  } finally {
    sock.destroy();
  }
}
