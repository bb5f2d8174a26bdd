// Writes to a plain socket's native handle directly instead of through net.Socket's Writable stream.
//
// A stream write costs a write request object, the Writable bookkeeping and a nextTick callback even when
// the kernel takes the bytes at once, which is nearly always the case for a proxy's small answers. Here a
// write that completes synchronously costs one call into the handle; only a write the kernel could not take
// whole becomes an asynchronous request (libuv queues it, and keeps later writes behind it).
//
// Order is kept with writes that do go through the stream (end(), error messages, TLS): the handle is only
// written directly while the stream has nothing buffered, and whatever the stream writes later reaches the
// handle after what is already queued there. end() shuts down after the handle's queue is written.
import type net from 'node:net';
import { getSystemErrorName } from 'node:util';

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Uint8Array): number;
}

interface WriteReq {
  oncomplete(this: WriteReq, status: number): void;
  buffer: Buffer | null;
  writer: SocketWriter | null;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

// The binding net.Socket itself writes with (process.binding gives public access to it).
const binding = (process as unknown as { binding(name: string): unknown }).binding('stream_wrap') as StreamWrapBinding;
const { WriteWrap, streamBaseState, kLastWriteWasAsync } = binding;

/** Asynchronous bytes queued in the handle beyond which write() asks the caller to wait for onDrain. */
const HIGH_WATER = 64 * 1024;

function onWriteComplete(this: WriteReq, status: number): void {
  const w = this.writer;
  const bytes = this.buffer?.length ?? 0;
  this.writer = null;
  this.buffer = null;
  w?.completed(status, bytes);
}

function newReq(): WriteReq {
  const req = new WriteWrap();
  req.oncomplete = onWriteComplete;
  req.buffer = null;
  req.writer = null;
  return req;
}

export class SocketWriter {
  /** Reused while writes complete synchronously (the handle only takes ownership of an asynchronous one). */
  private req: WriteReq | null;
  /** Asynchronous writes not completed yet, and their bytes. */
  private inflight = 0;
  private inflightBytes = 0;
  private waiting = false;
  /** The socket can take more after write() returned false. */
  onDrain: () => void = () => {};

  /** `direct`: the socket is plain TCP or a Unix socket (a TLS socket writes through its stream). */
  /** The socket's handle, kept here: net.Socket's `_handle` getter is a slow keyed lookup on every write. */
  private handle: StreamHandle | null;

  constructor(
    readonly socket: net.Socket,
    direct: boolean,
  ) {
    this.req = direct ? newReq() : null;
    this.handle = direct ? (socket as unknown as { _handle: StreamHandle | null })._handle : null;
    socket.on('drain', () => this.maybeDrained());
    socket.once('close', () => (this.handle = null));
  }

  /** Like socket.write: false = stop producing until onDrain. */
  write(data: Buffer): boolean {
    const s = this.socket;
    const handle = this.handle;
    if (handle === null || s.writableLength > 0 || s.destroyed || s.writableEnded || s.connecting) {
      const ok = s.write(data);
      if (!ok) this.waiting = true;
      return ok;
    }
    const req = this.req!;
    const err = handle.writeBuffer(req, data);
    if (err !== 0) {
      const name = getSystemErrorName(err);
      s.destroy(Object.assign(new Error(`write ${name}`), { errno: err, code: name, syscall: 'write' }));
      return false;
    }
    if (streamBaseState[kLastWriteWasAsync] === 0) return true;
    // the handle owns this request (and the bytes) until it completes
    req.buffer = data;
    req.writer = this;
    this.req = newReq();
    this.inflight++;
    this.inflightBytes += data.length;
    if (this.inflightBytes < HIGH_WATER) return true;
    this.waiting = true;
    return false;
  }

  /** Some bytes given to write() are not written yet (the buffers passed in are still referenced). */
  get busy(): boolean {
    return this.inflight > 0 || this.socket.writableLength > 0;
  }

  /** write() returned false and the socket has not drained since. */
  get needDrain(): boolean {
    return this.waiting;
  }

  /** Resolves when the socket has drained (or closed). */
  drained(): Promise<void> {
    if (!this.waiting) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('close', done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      this.socket.on('close', done);
    });
  }

  private waiters: (() => void)[] = [];

  /** @internal called by the write request */
  completed(status: number, bytes: number): void {
    this.inflight--;
    this.inflightBytes -= bytes;
    if (status < 0) {
      if (!this.socket.destroyed) {
        const name = getSystemErrorName(status);
        this.socket.destroy(Object.assign(new Error(`write ${name}`), { errno: status, code: name, syscall: 'write' }));
      }
      return;
    }
    this.maybeDrained();
  }

  private maybeDrained(): void {
    if (!this.waiting || this.inflight > 0 || this.socket.writableNeedDrain) return;
    this.waiting = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
    this.onDrain();
  }
}
