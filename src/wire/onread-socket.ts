// Moves an accepted plain TCP connection onto net's `onread` mode once startup negotiation is over.
//
// net.Server hands out sockets that read through the stream machinery (a fresh 64 KiB buffer per read,
// push/'data'/nextTick per chunk); a socket gets `onread` only when it is constructed. So the connection's
// native handle is taken from the accepted socket and wrapped in a new net.Socket that reads into one
// reused buffer. TLS connections keep the stream path: TLS owns their reads.
import net from 'node:net';

interface HandleOwner {
  _handle: { readStop(): number; reading: boolean; writeQueueSize: number } | null;
  _server: net.Server | null;
  server: net.Server | null;
}

/**
 * Returns the new socket (paused: call resume() when its reader is ready) and the bytes the old one had
 * already read, or null when the socket cannot be moved (no handle, or writes still under way).
 */
export function rewrapWithOnread(old: net.Socket, onread: net.OnReadOpts): { socket: net.Socket; rest: Buffer[] } | null {
  const o = old as unknown as HandleOwner;
  const handle = o._handle;
  if (!handle || old.destroyed || old.writableLength > 0 || handle.writeQueueSize > 0) return null;
  handle.readStop();
  handle.reading = false;
  // what the old stream read but nobody consumed yet
  const rest: Buffer[] = [];
  for (let c: Buffer | null; old.readableLength > 0 && (c = old.read() as Buffer | null) !== null; ) rest.push(c);
  o._handle = null;
  const socket = new net.Socket({ handle, onread, pauseOnCreate: true, allowHalfOpen: false } as net.SocketConstructorOpts);
  // errors before the session attaches its own handler must not be thrown
  socket.on('error', () => {});
  // the server counts open connections (server.close() waits for them) through the socket that closes
  const s = socket as unknown as HandleOwner;
  s._server = o._server;
  s.server = o.server;
  o._server = null;
  return { socket, rest };
}
