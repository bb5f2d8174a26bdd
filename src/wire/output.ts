// Keeps responses in the order the client asked for them when some come from upstream and some
// from lakegate. A queue of slots: an upstream slot ends with the n-th ReadyForQuery from upstream; a
// local slot is filled by lakegate. Upstream bytes flow straight to the client while an upstream slot
// is at the head (the common case: no copying, one write per chunk); behind an unfinished local slot
// they wait.
import type net from 'node:net';
import type { BackendScanner } from './scanner.js';
import type { ResultSink } from '../route/local.js';

interface UpSlot {
  kind: 'up';
  n: number;
}

/** Stop reading upstream while this much is parked behind a local answer. */
const HELD_LIMIT = 4 << 20;

export class LocalSlot implements ResultSink {
  readonly kind = 'local';
  private parts: Buffer[] = [];
  live = false;
  done = false;

  constructor(private readonly q: OutputQueue) {}

  write(msg: Buffer): boolean {
    if (this.live) return this.q.writeClient(msg);
    this.parts.push(msg);
    return true;
  }

  drain(): Promise<void> {
    return this.live ? this.q.clientDrained() : Promise.resolve();
  }

  /** Called when this slot reaches the head of the queue. */
  activate(): void {
    this.live = true;
    if (this.parts.length > 0) {
      this.q.writeClient(this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts));
      this.parts = [];
    }
  }

  finish(): void {
    this.done = true;
    if (this.live) this.q.pump();
  }
}

export class OutputQueue {
  private slots: (UpSlot | LocalSlot)[] = [];
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The first ReadyForQuery ends authentication and belongs to no request. */
  private startup = true;
  onBlocked: () => void = () => {};
  onUnblocked: () => void = () => {};

  constructor(
    private readonly client: net.Socket,
    private readonly scanner: BackendScanner,
    private readonly onStatus: (status: number) => void,
  ) {}

  get atBoundary(): boolean {
    const head = this.slots[0];
    return this.scanner.atBoundary && this.held.length === 0 && !(head && head.kind === 'local' && head.live);
  }

  /** A Query/Sync/FunctionCall went upstream: one more ReadyForQuery to pass through. */
  expectUpstream(): void {
    const tail = this.slots[this.slots.length - 1];
    if (tail && tail.kind === 'up') tail.n++;
    else this.slots.push({ kind: 'up', n: 1 });
  }

  reserveLocal(): LocalSlot {
    const slot = new LocalSlot(this);
    this.slots.push(slot);
    if (this.slots.length === 1 && this.held.length === 0) slot.activate();
    return slot;
  }

  fromUpstream(chunk: Buffer): void {
    const head = this.slots[0];
    if (this.held.length > 0 || (head && head.kind === 'local')) {
      this.hold(chunk);
      return;
    }
    this.release(chunk);
    if (this.held.length > 0 || this.slots[0]?.kind === 'local') this.pump();
  }

  /** Scanner callback: a ReadyForQuery ended at `end`. False = stop, a local answer goes next. */
  onReadyForQuery(status: number, _end: number): boolean {
    this.onStatus(status);
    if (this.startup) {
      this.startup = false;
      return true;
    }
    const head = this.slots[0];
    if (head && head.kind === 'up' && --head.n === 0) this.slots.shift();
    return this.slots[0]?.kind !== 'local';
  }

  private release(chunk: Buffer): void {
    const stop = this.scanner.scan(chunk, 0);
    if (stop === chunk.length) {
      this.writeClient(chunk);
      return;
    }
    if (stop > 0) this.writeClient(chunk.subarray(0, stop));
    this.held.unshift(chunk.subarray(stop));
    this.heldBytes += chunk.length - stop;
  }

  private hold(chunk: Buffer): void {
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > HELD_LIMIT) this.onBlocked();
  }

  /** Advance past finished local slots and release upstream bytes parked behind them. */
  pump(): void {
    for (;;) {
      const head = this.slots[0];
      if (head && head.kind === 'local') {
        if (!head.live) head.activate();
        if (!head.done) return;
        this.slots.shift();
        continue;
      }
      const chunk = this.held.shift();
      if (!chunk) {
        this.onUnblocked();
        return;
      }
      this.heldBytes -= chunk.length;
      this.release(chunk);
    }
  }

  writeClient(buf: Buffer): boolean {
    const ok = this.client.write(buf);
    if (!ok) this.onBlocked();
    return ok;
  }

  clientDrained(): Promise<void> {
    if (!this.client.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.client.off('drain', done);
        this.client.off('close', done);
        resolve();
      };
      this.client.on('drain', done);
      this.client.on('close', done);
    });
  }
}
