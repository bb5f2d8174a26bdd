// Opening a byte pipe to upstream Postgres: TCP or Unix socket, optional TLS negotiated with SSLRequest.
import net from 'node:net';
import tls from 'node:tls';
import { SSL_REQUEST } from '../wire/codes.js';
import { describeTarget, type UpstreamTarget } from './target.js';

export class UpstreamConnectError extends Error {}

function rawConnect(t: UpstreamTarget, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = t.socketPath ? net.connect({ path: t.socketPath }) : net.connect({ host: t.host, port: t.port, noDelay: true });
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
    const req = Buffer.alloc(8);
    req.writeInt32BE(8, 0);
    req.writeInt32BE(SSL_REQUEST, 4);
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
    sock.write(req);
  });
}

export async function connectUpstream(t: UpstreamTarget, timeoutMs: number): Promise<net.Socket> {
  const sock = await rawConnect(t, timeoutMs);
  if (t.sslmode === 'disable' || t.socketPath) return sock;
  return sslNegotiate(sock, t);
}
