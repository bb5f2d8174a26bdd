// One reusable read buffer for a socket (net's `onread`): no 64 KiB allocation per read on the hot path.
// Reuse is safe only while nobody keeps a reference to the last chunk; whoever keeps one calls retain()
// and the next read gets a fresh buffer.
//
// attach() then takes the read callback of the socket's native handle over. net's own one (onStreamRead)
// runs on every read to look up the socket, refresh its idle timer, call the user callback and ask for the
// next buffer, which the handle then has to unwrap again; here a read is one call, and the handle keeps its
// buffer unless a new one is returned. EOF and errors still go to net's callback, so 'end', 'close' and
// 'error' behave as before. Sessions set no socket timeouts, so skipping the timer refresh loses nothing.
import type net from 'node:net';

const SIZE = 64 * 1024;
/** Reads shorter than this reuse a view of the buffer made once per length (small answers repeat their sizes). */
const VIEWS = 1024;

interface ReadState {
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
}

// The binding net itself reads the byte count from (process.binding gives public access to it).
const { streamBaseState, kReadBytesOrError } = (process as unknown as { binding(name: string): unknown }).binding('stream_wrap') as ReadState;

type OnRead = (this: unknown, arrayBuffer: ArrayBuffer | undefined) => Buffer | undefined;

export class ReadBuffer {
  private buf = Buffer.allocUnsafe(SIZE);
  private retained = false;
  /** views[n] = buf.subarray(0, n), made on first use: a view per read costs a typed-array allocation */
  private views: (Buffer | undefined)[] = new Array<Buffer | undefined>(VIEWS).fill(undefined);
  handler: (chunk: Buffer) => void = () => {};

  readonly onread = {
    buffer: (): Buffer => {
      if (this.retained) {
        this.buf = Buffer.allocUnsafe(SIZE);
        this.retained = false;
        this.views.fill(undefined);
      }
      return this.buf;
    },
    callback: (n: number, buf: Uint8Array): boolean => {
      this.handler((buf as Buffer).subarray(0, n));
      return true;
    },
  };

  retain(): void {
    this.retained = true;
  }

  /**
   * Read `socket` (constructed with this.onread, so its handle reads into this.buf) through the handle's own
   * callback. Returns false when the socket has no handle to take over; it then keeps net's callback.
   */
  attach(socket: net.Socket): boolean {
    const handle = (socket as unknown as { _handle: { onread: OnRead } | null })._handle;
    if (!handle || typeof handle.onread !== 'function') return false;
    const fallback = handle.onread;
    handle.onread = (arrayBuffer) => {
      const n = streamBaseState[kReadBytesOrError]!;
      return n > 0 ? this.read(n) : fallback.call(handle, arrayBuffer);
    };
    return true;
  }

  /** n bytes arrived in this.buf. Returns the buffer the handle reads into next (undefined = the same one). */
  private read(n: number): Buffer | undefined {
    let chunk: Buffer;
    if (n < VIEWS) chunk = this.views[n] ?? (this.views[n] = this.buf.subarray(0, n));
    else chunk = this.buf.subarray(0, n);
    this.handler(chunk);
    if (!this.retained) return undefined;
    this.retained = false;
    this.buf = Buffer.allocUnsafe(SIZE);
    this.views.fill(undefined);
    return this.buf;
  }
}
