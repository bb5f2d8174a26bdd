// Keeps responses in the order the client asked for them when some come from upstream and some from
// lakegate, and lets lakegate ask upstream questions of its own on the client's connection.
//
// Two queues. `pending` lists what upstream owes, in the order it will answer (one entry per run of
// client requests, or one internal request); each entry ends with a ReadyForQuery. `order` lists what
// the client is owed: upstream runs and local answers. Upstream bytes are cut at ReadyForQuery and go
// to their entry: straight to the client when that entry heads `order` (the common case: no copy, one
// write per chunk), into the entry's buffer when a local answer is still ahead of it, or to the
// internal request that asked for them.
import type { BackendScanner } from './scanner.js';
import type { ResultSink } from '../route/local.js';
import { readyForQuery } from './messages/backend.js';
import type { SocketWriter } from './socket-writer.js';

class UpRun {
  readonly kind = 'up';
  parts: Buffer[] = [];
  live = false;
  /** Transaction status of this run's last ReadyForQuery (0 = none: bytes between requests). */
  status = 0;
  /**
   * The run ends with a Sync lakegate added (to end the upstream part of a batch that continues
   * locally): its responses are kept until complete and its ReadyForQuery is not passed on.
   */
  constructor(
    public n: number,
    readonly swallow = false,
  ) {}
}

export interface InternalRequest {
  readonly kind: 'internal';
  /** Receives this request's share of the upstream stream (whole messages or pieces; the caller reassembles). */
  data(chunk: Buffer): void;
  /** The request's ReadyForQuery arrived. */
  end(): void;
}

/** Stop reading upstream while this much is parked behind a local answer. */
const HELD_LIMIT = 4 << 20;

export class LocalSlot implements ResultSink {
  readonly kind = 'local';
  private parts: Buffer[] = [];
  live = false;
  done = false;
  private ready = false;

  constructor(private readonly q: OutputQueue) {}

  write(msg: Buffer): boolean {
    if (this.live) return this.q.writeClient(msg);
    this.parts.push(msg);
    return true;
  }

  drain(): Promise<void> {
    return this.live ? this.q.clientDrained() : Promise.resolve();
  }

  activate(): void {
    this.live = true;
    if (this.done && this.ready) this.parts.push(this.q.readyForQuery());
    if (this.parts.length > 0) {
      this.q.writeClient(this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts));
      this.parts = [];
    }
  }

  /**
   * The answer is complete. With `ready`, it ends with ReadyForQuery carrying the transaction status the
   * client would see at this point of its stream (that of the upstream answer before it), decided when
   * the slot is written out.
   */
  finish(ready: boolean): void {
    this.done = true;
    this.ready = ready;
    if (this.live) {
      if (ready) this.q.writeClient(this.q.readyForQuery());
      this.q.advance();
    }
  }
}

export class OutputQueue {
  private pending: (UpRun | InternalRequest)[] = [];
  private order: (UpRun | LocalSlot)[] = [];
  private heldBytes = 0;
  private blocked = false;
  /** A chunk passed to fromUpstream is still referenced (parked): its read buffer must not be reused. */
  private retained = false;
  /** Transaction status as of the last answer written to the client. */
  private clientStatus = 0x49;
  /** The first ReadyForQuery ends authentication and belongs to no request. */
  private startup = true;
  onBlocked: () => void = () => {};
  onUnblocked: () => void = () => {};
  /** Upstream owes nothing: internal requests may be written now. */
  onIdle: () => void = () => {};

  constructor(
    private readonly client: SocketWriter,
    private readonly scanner: BackendScanner,
    private readonly onStatus: (status: number) => void,
  ) {}

  get atBoundary(): boolean {
    const head = this.order[0];
    return this.scanner.atBoundary && !(head && head.kind === 'local' && head.live && !head.done);
  }

  get upstreamIdle(): boolean {
    return this.pending.length === 0;
  }

  /** A Query/Sync/FunctionCall went upstream: one more ReadyForQuery the client is owed. */
  expectUpstream(): void {
    // (an index of -1 would be a slow property lookup, not undefined from the array)
    const tail = this.order.length > 0 ? this.order[this.order.length - 1]! : undefined;
    if (tail && tail.kind === 'up' && !tail.swallow && this.pending.length > 0 && tail === this.pending[this.pending.length - 1]) {
      tail.n++;
      return;
    }
    const run = new UpRun(1);
    this.pending.push(run);
    this.order.push(run);
    if (this.order.length === 1) run.live = true;
  }

  /** lakegate ended the upstream part of a batch with its own Sync: pass the responses, not the ReadyForQuery. */
  expectSplitSync(): void {
    const run = new UpRun(1, true);
    this.pending.push(run);
    this.order.push(run);
  }

  reserveLocal(): LocalSlot {
    const slot = new LocalSlot(this);
    this.order.push(slot);
    if (this.order.length === 1) slot.activate();
    return slot;
  }

  takeRetained(): boolean {
    const r = this.retained;
    this.retained = false;
    return r;
  }

  /** Register an internal request whose bytes the caller has just written upstream. */
  expectInternal(req: InternalRequest): void {
    this.pending.push(req);
  }

  fromUpstream(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const stop = this.scanner.scan(chunk, from);
      this.route(from === 0 && stop === chunk.length ? chunk : chunk.subarray(from, stop));
      if (this.boundary) {
        this.boundary = false;
        this.completeHead();
      }
      from = stop;
    }
  }

  private boundary = false;

  /** Scanner callback: a ReadyForQuery ended. Stop there when it completes an entry of `pending`. */
  onReadyForQuery(status: number, _end: number): boolean {
    if (this.startup) {
      this.startup = false;
      this.setStatus(status);
      return true;
    }
    const head = this.pending[0];
    if (!head) return true;
    // an internal request runs in the client's transaction: its outcome (e.g. aborted) is the client's status
    if (head.kind === 'internal') this.setStatus(status);
    if (head.kind === 'up') {
      head.status = status;
      if (head.live) this.setStatus(status);
      if (head.n > 1) {
        head.n--;
        return true;
      }
    }
    this.boundary = true;
    return false;
  }

  private route(bytes: Buffer): void {
    const head = this.pending[0];
    if (head && head.kind === 'internal') {
      head.data(bytes);
      return;
    }
    let run: UpRun | undefined = head;
    if (!run) {
      // between requests (notifications, notices, parameter changes): to the client in order
      if (this.order.length === 0) {
        this.writeClient(bytes);
        return;
      }
      const tail = this.order[this.order.length - 1]!;
      if (tail.kind === 'up' && tail.n === 0) run = tail;
      else {
        run = new UpRun(0);
        this.order.push(run);
      }
    }
    if (run.live && !run.swallow) this.writeClient(bytes);
    else {
      this.retained = true;
      run.parts.push(bytes);
      this.heldBytes += bytes.length;
      if (this.heldBytes > HELD_LIMIT && !this.pending.some((p) => p.kind === 'internal')) this.block();
    }
  }

  private completeHead(): void {
    const head = this.pending.shift()!;
    if (head.kind === 'internal') head.end();
    else {
      head.n = 0;
      if (this.order[0] === head) this.advance();
    }
    if (this.pending.length === 0) this.onIdle();
  }

  /** Move past finished entries at the head of `order`, flushing what waited behind them. */
  advance(): void {
    for (;;) {
      const head = this.order[0];
      if (!head) break;
      if (head.kind === 'local') {
        if (!head.live) head.activate();
        if (!head.done) return;
        this.order.shift();
        continue;
      }
      if (head.swallow) {
        if (head.n > 0) return;
        const all = Buffer.concat(head.parts);
        for (const p of head.parts) this.heldBytes -= p.length;
        head.parts = [];
        // drop the trailing ReadyForQuery (6 bytes) that answers lakegate's own Sync
        if (all.length > 6) this.writeClient(all.subarray(0, all.length - 6));
      } else if (!head.live) {
        head.live = true;
        if (head.parts.length > 0) {
          for (const p of head.parts) this.heldBytes -= p.length;
          this.writeClient(head.parts.length === 1 ? head.parts[0]! : Buffer.concat(head.parts));
          head.parts = [];
        }
      }
      if (head.n > 0) return;
      this.order.shift();
      if (head.status) this.setStatus(head.status);
    }
    if (this.blocked && this.heldBytes <= HELD_LIMIT) {
      this.blocked = false;
      this.onUnblocked();
    }
  }

  private setStatus(status: number): void {
    if (status === this.clientStatus) return;
    this.clientStatus = status;
    this.onStatus(status);
  }

  readyForQuery(): Buffer {
    return readyForQuery(this.clientStatus);
  }

  private block(): void {
    this.blocked = true;
    this.onBlocked();
  }

  writeClient(buf: Buffer): boolean {
    const ok = this.client.write(buf);
    if (!ok) this.onBlocked();
    return ok;
  }

  clientDrained(): Promise<void> {
    return this.client.drained();
  }
}
