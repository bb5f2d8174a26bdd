// Accepts client connections on one port and turns each into a Session wired to upstream.
import net from 'node:net';
import type tls from 'node:tls';
import { CANCEL_REQUEST } from './codes.js';
import { negotiate } from './startup.js';
import { Session } from './session.js';
import { errorResponse } from './messages/backend.js';
import { ProtocolError, startupParams } from './messages/frontend.js';
import { connectUpstream } from '../upstream/connect.js';
import { ReadBuffer } from './read-buffer.js';
import { rewrapWithOnread } from './onread-socket.js';
import { forwardCancel } from '../upstream/cancel.js';
import { describeTarget, type UpstreamTarget } from '../upstream/target.js';
import type { LocalRouter } from '../route/local.js';
import { log } from '../log.js';

export interface ListenerContext {
  router: LocalRouter;
  secureContext: tls.SecureContext | null;
  connectTimeoutMs: number;
  sessions: SessionRegistry;
}

/** Live sessions, and their cancel keys (upstream's BackendKeyData, which the client holds). */
export class SessionRegistry {
  private nextId = 1;
  readonly live = new Set<Session>();
  private byKey = new Map<string, { session: Session; target: UpstreamTarget }>();

  id(): number {
    return this.nextId++;
  }

  add(s: Session): void {
    this.live.add(s);
  }

  setKey(key: string, session: Session, target: UpstreamTarget): void {
    this.byKey.set(key, { session, target });
  }

  remove(s: Session, key: string | null): void {
    this.live.delete(s);
    if (key) this.byKey.delete(key);
  }

  lookup(key: string): { session: Session; target: UpstreamTarget } | undefined {
    return this.byKey.get(key);
  }
}

export function createListener(ctx: ListenerContext, target: UpstreamTarget, oracle: boolean): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    void accept(socket, ctx, target, oracle);
  });
}

async function accept(raw: net.Socket, ctx: ListenerContext, target: UpstreamTarget, oracle: boolean): Promise<void> {
  const id = ctx.sessions.id();
  const clog = log.child({ conn: id, port: raw.localPort });
  let opening;
  try {
    opening = await negotiate(raw, ctx.secureContext, ctx.connectTimeoutMs * 2);
  } catch (e) {
    const msg = e instanceof ProtocolError ? e.message : `connection setup failed: ${(e as Error).message}`;
    clog.info({ err: msg, remote: raw.remoteAddress }, 'rejected connection');
    if (e instanceof ProtocolError && !raw.destroyed) raw.end(errorResponse({ severity: 'FATAL', code: '08P01', message: msg }));
    else raw.destroy();
    return;
  }
  let client = opening.socket;
  if (opening.kind === 'cancel') {
    const key = opening.packet.subarray(8).toString('hex');
    const hit = ctx.sessions.lookup(key);
    if (!hit?.session.cancelLocal()) await forwardCancel(hit?.target ?? target, opening.packet, ctx.connectTimeoutMs);
    client.end();
    return;
  }

  const params = startupParams(opening.packet);
  const user = params.get('user') ?? '';
  const database = params.get('database') ?? user;
  if (params.get('replication') && params.get('replication') !== 'false') {
    // replication connections are passed through like any other; Postgres decides
    clog.debug('replication connection');
  }
  let up: net.Socket;
  const reader = new ReadBuffer();
  let usesOnread = false;
  try {
    ({ socket: up, usesOnread } = await connectUpstream(target, ctx.connectTimeoutMs, reader.onread));
  } catch (e) {
    clog.warn({ err: (e as Error).message }, 'upstream connect failed');
    client.end(errorResponse({ severity: 'FATAL', code: '08001', message: `lakegate: ${(e as Error).message}` }));
    return;
  }
  if (client.destroyed) {
    up.destroy();
    return;
  }
  if (usesOnread) {
    reader.attach(up);
    up.resume();
  }
  // plain client connections read into a reused buffer too (TLS keeps its own reads)
  let clientReader: ReadBuffer | null = null;
  let rest = opening.rest.length > 0 ? [opening.rest] : [];
  if (!opening.tls) {
    const r = new ReadBuffer();
    const moved = rewrapWithOnread(client, r.onread);
    if (moved) {
      r.attach(moved.socket);
      clientReader = r;
      client = moved.socket;
      rest = rest.concat(moved.rest);
    }
  }
  up.setNoDelay?.(true);
  up.write(opening.packet);
  let key: string | null = null;
  let cancelPacket: Buffer | null = null;
  const session: Session = new Session({
    id,
    client,
    upstream: up,
    user,
    database,
    oracle,
    router: ctx.router,
    log: clog,
    upstreamReader: usesOnread ? reader : null,
    clientReader,
    startupTimeoutMs: ctx.connectTimeoutMs,
    onKey: (pid, secret) => {
      const k = Buffer.alloc(4);
      k.writeInt32BE(pid);
      key = Buffer.concat([k, secret]).toString('hex');
      ctx.sessions.setKey(key, session, target);
      const head = Buffer.alloc(12);
      head.writeInt32BE(12 + secret.length, 0);
      head.writeInt32BE(CANCEL_REQUEST, 4);
      head.writeInt32BE(pid, 8);
      cancelPacket = Buffer.concat([head, secret]);
    },
    cancelUpstream: () => {
      if (cancelPacket) void forwardCancel(target, cancelPacket, ctx.connectTimeoutMs);
    },
    onClose: () => ctx.sessions.remove(session, key),
  });
  ctx.sessions.add(session);
  clog.debug({ user, database, tls: opening.tls, oracle, upstream: describeTarget(target) }, 'session started');
  for (const chunk of rest) session.clientData(chunk);
  client.resume();
}
