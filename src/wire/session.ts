// One client connection after its startup packet: a byte pipe to upstream Postgres that looks at
// message headers only, plus the hooks that let lakegate answer some statements itself.
//
// Client → upstream: complete runs of messages are forwarded as subarrays of the chunk that carried
// them (never re-encoded). Query and Parse SQL gets the router's byte precheck; extended-protocol
// messages form a batch up to Sync that goes to one side as a unit.
// Upstream → client: chunks are forwarded as they arrive; a scanner walks message headers to count
// ReadyForQuery, so answers produced locally are slotted in exactly where the client expects them.
import type net from 'node:net';
import tls from 'node:tls';
import { F, MAX_MESSAGE, isFrontendType } from './codes.js';
import { BackendScanner } from './scanner.js';
import { errorResponse, type ErrorFields } from './messages/backend.js';
import { ProtocolError, bindNames, bindStatement, cstringEnd, decodeTarget, queryText, decodeParse, decodeExecute } from './messages/frontend.js';
import { LocalBatch, runLocalQuery, type HeldMessage } from './local-batch.js';
import { OutputQueue, type LocalSlot } from './output.js';
import { SessionUpstreamChannel } from './upstream-channel.js';
import type { ReadBuffer } from './read-buffer.js';
import { SocketWriter } from './socket-writer.js';
import type { LocalRouter, SessionInfo, LocalPortal, LocalCursor } from '../route/local.js';
import { closeAllCursors, closeTransactionCursors, isDiscardAll, mayBeCursorCommand } from '../route/cursors.js';
import type { LocalStatement, Cancellable } from './local-batch.js';
import type { Logger } from '../log.js';

export interface SessionOptions {
  id: number;
  client: net.Socket;
  upstream: net.Socket;
  /** Startup packet, already written to upstream by the listener. */
  user: string;
  database: string;
  oracle: boolean;
  router: LocalRouter;
  log: Logger;
  /** Upstream data arrives through this reusable buffer (net onread) instead of 'data' events. */
  upstreamReader: ReadBuffer | null;
  /** Client data arrives through this reusable buffer instead of 'data' events (plain TCP clients). */
  clientReader: ReadBuffer | null;
  /** Upstream must start answering the startup packet within this time. */
  startupTimeoutMs: number;
  onKey(pid: number, secret: Buffer): void;
  /** Send upstream a CancelRequest for this session's backend (what a client's own cancel does). */
  cancelUpstream?(): void;
  onClose(): void;
}

const SYNC = Buffer.from([F.Sync, 0, 0, 0, 4]);
const TX_CONTROL = /^\s*(begin|start\s+transaction)\b/i;

/**
 * Whether SQL in buf[start, end) may match TX_CONTROL: after ASCII white space it starts with be/st in
 * any case, or with a byte that is not ASCII (\s also matches Unicode spaces). Spares decoding the SQL
 * of every other Parse, SELECT included.
 */
function mayStartTxControl(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && (buf[i] === 0x20 || (buf[i]! >= 0x09 && buf[i]! <= 0x0d))) i++;
  if (i === end) return false;
  if (buf[i]! >= 0x80) return true;
  if (i + 1 === end) return false;
  const c = buf[i]! | 0x20;
  const d = buf[i + 1]! | 0x20;
  return (c === 0x62 && d === 0x65) || (c === 0x73 && d === 0x74);
}

/** Which side the extended-protocol messages since the last Sync belong to. */
const enum BatchSide {
  None,
  Upstream,
  Local,
}

export class Session implements SessionInfo {
  readonly id: number;
  readonly user: string;
  readonly database: string;
  readonly oracle: boolean;
  readonly params = new Map<string, string>();
  txStatus: 'I' | 'T' | 'E' = 'I';
  readonly upstream: SessionUpstreamChannel;

  private readonly client: net.Socket;
  private readonly up: net.Socket;
  /** Writes to the client and to upstream (directly to the socket handle when plain). */
  private readonly clientOut: SocketWriter;
  private readonly upOut: SocketWriter;
  private readonly router: LocalRouter;
  private readonly log: Logger;
  private readonly out: OutputQueue;
  private readonly scanner: BackendScanner;

  /** Incomplete message bytes from the previous client chunk (only when the message must be inspected). */
  private partial: Buffer | null = null;
  /** Bytes of a large uninspected message still to stream through. */
  private passRemaining = 0;
  private batch = BatchSide.None;
  /**
   * The upstream part of the current batch is only transaction control (BEGIN) and Close: if a local
   * statement follows, lakegate may end that part with its own Sync and answer the rest itself (pgjdbc
   * sends BEGIN, or the Close of its previous portal, in the same batch as the next statement).
   */
  private prefixSafe = true;
  private splitSyncDue = false;
  /** Upstream statement names whose SQL is transaction control, so a Bind to them keeps prefixSafe. */
  private readonly txControlStatements = new Set<string>();
  private held: HeldMessage[] = [];
  /** Statements and portals that live in lakegate, by name ('' = unnamed). */
  // Names are claimed synchronously when the message is routed (later messages of the batch depend on
  // them); the objects behind them are created when the batch runs.
  readonly localStatements = new Map<string, LocalStatement>();
  readonly localPortals = new Map<string, LocalPortal | null>();
  /** Cursors over mirrors (DECLARE … CURSOR), by name: FETCH/MOVE/CLOSE naming one are answered locally. */
  readonly localCursors = new Map<string, LocalCursor>();
  freshnessWaitMs: number | null = null;
  /** An error in a local batch skips everything up to Sync, across Flush boundaries too. */
  localFailed = false;
  private localChain: Promise<void> = Promise.resolve();
  /**
   * Local jobs enqueued and not finished. While there are any, client bytes wait in `backlog`: a local job may
   * ask upstream questions on this connection, and the client's later statements must not overtake them (a
   * pipelined BEGIN; SELECT mirror; COMMIT must run the mirror query inside the transaction).
   */
  private localBusy = 0;
  private backlog: Buffer[] = [];
  private running: Cancellable | null = null;
  /** a CancelRequest arrived while a local job was between statements: interrupt the next one it starts */
  private cancelPending = false;
  private closed = false;
  private terminating = false;

  constructor(private readonly opts: SessionOptions) {
    this.id = opts.id;
    this.user = opts.user;
    this.database = opts.database;
    this.oracle = opts.oracle;
    this.client = opts.client;
    this.up = opts.upstream;
    this.router = opts.router;
    this.log = opts.log;
    const startupTimer = setTimeout(
      () => this.fatal('08001', `lakegate: upstream Postgres did not answer the connection within ${opts.startupTimeoutMs} ms`),
      opts.startupTimeoutMs,
    );
    this.up.once('data', () => clearTimeout(startupTimer));
    this.up.once('close', () => clearTimeout(startupTimer));
    this.scanner = new BackendScanner({
      readyForQuery: (status, end) => this.out.onReadyForQuery(status, end),
      parameterStatus: (k, v) => this.params.set(k, v),
      backendKeyData: (pid, secret) => opts.onKey(pid, secret),
    });
    this.clientOut = new SocketWriter(this.client, !(this.client instanceof tls.TLSSocket));
    this.upOut = new SocketWriter(this.up, !(this.up instanceof tls.TLSSocket));
    this.out = new OutputQueue(this.clientOut, this.scanner, (s) => {
      this.txStatus = String.fromCharCode(s) as 'I' | 'T' | 'E';
      // the transaction ended: its cursors without HOLD are gone, as in Postgres
      if (s === 0x49 && this.localCursors.size > 0) closeTransactionCursors(this.localCursors);
    });

    const clientReader = opts.clientReader;
    if (clientReader) {
      clientReader.handler = (chunk) => {
        this.onClientData(chunk);
        // a write upstream could not finish at once, or the chunk waits in the backlog: it is still referenced
        if (this.upOut.busy || this.backlog.length > 0) clientReader.retain();
      };
    } else this.client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    const reader = opts.upstreamReader;
    if (reader) {
      const steady = (chunk: Buffer) => {
        this.out.fromUpstream(chunk);
        // a chunk the client socket could not take at once, or parked behind a local answer, is still referenced
        if (this.clientOut.busy || this.out.takeRetained()) reader.retain();
      };
      reader.handler = (chunk) => {
        clearTimeout(startupTimer);
        reader.handler = steady;
        steady(chunk);
      };
    } else this.up.on('data', (chunk: Buffer) => this.out.fromUpstream(chunk));
    // backpressure both ways: a slow reader pauses the other side's socket
    this.clientOut.onDrain = () => this.up.resume();
    this.upOut.onDrain = () => this.client.resume();
    this.upstream = new SessionUpstreamChannel(
      () =>
        this.out.upstreamIdle && this.batch === BatchSide.None && this.passRemaining === 0 && this.partial === null && !this.closed && !this.terminating,
      (bytes, req) => {
        this.out.expectInternal(req);
        this.upOut.write(bytes);
      },
    );
    this.out.onIdle = () => this.upstream.pump();
    this.out.onBlocked = () => this.up.pause();
    this.out.onUnblocked = () => {
      if (!this.clientOut.needDrain) this.up.resume();
    };
    this.client.on('error', (e) => this.log.debug({ err: e.message }, 'client socket error'));
    this.up.on('error', (e) => this.log.debug({ err: e.message }, 'upstream socket error'));
    this.client.on('close', () => this.close('client closed'));
    this.up.on('close', () => this.upstreamClosed());
  }

  // ---- client → upstream -------------------------------------------------------------------

  /** Client bytes read before the session existed (during startup negotiation). */
  clientData(chunk: Buffer): void {
    this.onClientData(chunk);
  }

  private onClientData(data: Buffer): void {
    if (this.closed) return;
    if (this.localBusy > 0) {
      this.backlog.push(data);
      if (this.backlog.length > 64) this.client.pause();
      return;
    }
    let chunk = data;
    if (this.partial) {
      chunk = Buffer.concat([this.partial, data]);
      this.partial = null;
    }
    try {
      this.consume(chunk);
      this.upstream.pump();
    } catch (e) {
      if (e instanceof ProtocolError) this.fatal('08P01', e.message);
      else {
        this.log.error({ err: e }, 'session failure');
        this.fatal('XX000', `lakegate internal error: ${(e as Error).message}`);
      }
    }
  }

  /** Walk the chunk; forward runs of upstream-bound messages as subarrays. */
  private consume(chunk: Buffer): void {
    const len = chunk.length;
    let i = 0;
    let runStart = 0;
    if (this.passRemaining > 0) {
      const take = Math.min(this.passRemaining, len);
      this.passRemaining -= take;
      i = take;
    }
    while (i < len) {
      if (len - i < 5) {
        this.flushRun(chunk, runStart, i);
        this.partial = Buffer.from(chunk.subarray(i));
        return;
      }
      const type = chunk[i]!;
      const mlen = chunk.readInt32BE(i + 1);
      if (!isFrontendType(type)) throw new ProtocolError(`invalid frontend message type ${type}`);
      if (mlen < 4 || mlen > MAX_MESSAGE) throw new ProtocolError(`invalid message length ${mlen}`);
      const end = i + 1 + mlen;
      if (!this.mustInspect(type)) {
        if (end > len) {
          // stream the rest of this message as it arrives (COPY data, large binds)
          this.passRemaining = end - len;
          i = len;
          break;
        }
        if (type === F.Terminate) this.terminating = true;
        i = end;
        continue;
      }
      if (end > len) {
        this.flushRun(chunk, runStart, i);
        this.partial = Buffer.from(chunk.subarray(i));
        return;
      }
      if (this.route(type, chunk, i, end)) {
        i = end; // upstream-bound: stays in the run
      } else {
        this.flushRun(chunk, runStart, i);
        if (this.splitSyncDue) {
          this.splitSyncDue = false;
          this.upOut.write(SYNC);
        }
        i = end;
        runStart = i;
        if (this.localBusy > 0) {
          // the rest waits until the local job is done (see localBusy)
          if (i < len) this.backlog.unshift(Buffer.from(chunk.subarray(i)));
          return;
        }
      }
    }
    this.flushRun(chunk, runStart, i);
  }

  private flushRun(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    if (!this.upOut.write(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end))) this.client.pause();
    if (this.terminating) this.up.end();
  }

  /**
   * Types whose content decides routing or ordering. With no local statements alive, only Query,
   * Parse and the Z-producing messages matter; everything else is skipped by length.
   */
  private mustInspect(type: number): boolean {
    switch (type) {
      case F.Query:
      case F.Parse:
      case F.Sync:
      case F.FunctionCall:
        return true;
      case F.Bind:
      case F.Describe:
      case F.Execute:
      case F.Close:
      case F.Flush:
        return this.batch !== BatchSide.Upstream || this.prefixSafe || this.localStatements.size > 0 || this.localPortals.size > 0;
      default:
        return false;
    }
  }

  /**
   * Routes the message chunk[start, end). Returns true when it goes upstream (in the current run), false
   * when lakegate keeps it. A view of the message alone is only made where one is kept or decoded.
   */
  private route(type: number, chunk: Buffer, start: number, end: number): boolean {
    switch (type) {
      case F.Query: {
        if (this.batch === BatchSide.Local) this.runHeld(false);
        if (this.router.mayBeLocal(chunk, start + 5, end - 1) || this.mayBeCursorCommand(chunk, start + 5, end - 1)) {
          const sql = queryText(chunk.subarray(start, end));
          if (this.router.claims(sql, this)) {
            this.enqueueLocal((sink) => runLocalQuery(this.router, sql, this, sink, (q) => this.setRunning(q)), true);
            return false;
          }
        }
        // DISCARD ALL (a pooler's reset) closes every cursor. Outside a transaction block only HOLD cursors are
        // left; inside one Postgres refuses it, so they close only when it is sent with the session idle.
        if (this.localCursors.size > 0 && this.txStatus === 'I' && this.out.upstreamIdle && isDiscardAll(queryText(chunk.subarray(start, end)))) {
          closeAllCursors(this.localCursors);
        }
        this.out.expectUpstream();
        return true;
      }
      case F.Sync:
        this.prefixSafe = true;
        if (this.batch === BatchSide.Local) {
          this.held.push({ type, msg: Buffer.from(chunk.subarray(start, end)) });
          this.runHeld(true);
          this.batch = BatchSide.None;
          return false;
        }
        this.batch = BatchSide.None;
        this.out.expectUpstream();
        return true;
      case F.FunctionCall:
        this.prefixSafe = false;
        this.toUpstreamSide();
        this.out.expectUpstream();
        return true;
      case F.Parse: {
        const local = (this.router.mayBeLocal(chunk, start + 5, end) || this.mayBeCursorCommand(chunk, start + 5, end)) && this.parseIsLocal(chunk.subarray(start, end));
        if (!local) this.noteUpstreamParse(chunk, start, end);
        return this.place(type, chunk, start, end, local);
      }
      // names are only decoded while there are local statements or portals they could refer to
      case F.Bind:
        return this.place(type, chunk, start, end, this.localStatements.size > 0 && this.localStatements.has(bindStatement(chunk.subarray(start, end))));
      case F.Describe:
      case F.Close: {
        const kind = end - start > 5 ? chunk[start + 5] : -1;
        if (this.localStatements.size === 0 && this.localPortals.size === 0 && (kind === 0x53 || kind === 0x50)) {
          return this.place(type, chunk, start, end, false);
        }
        const t = decodeTarget(chunk.subarray(start, end));
        const local = t.kind === 'S' ? this.localStatements.has(t.name) : this.localPortals.has(t.name);
        return this.place(type, chunk, start, end, local);
      }
      case F.Execute:
        return this.place(type, chunk, start, end, this.localPortals.size > 0 && this.localPortals.has(decodeExecute(chunk.subarray(start, end)).portal));
      case F.Flush:
        if (this.batch === BatchSide.Local) {
          this.held.push({ type, msg: Buffer.from(chunk.subarray(start, end)) });
          this.runHeld(false);
          return false;
        }
        return true;
    }
    return true;
  }

  /** The Parse chunk[start, end) goes upstream: note whether its statement is transaction control. */
  private noteUpstreamParse(chunk: Buffer, start: number, end: number): void {
    const nameEnd = cstringEnd(chunk, start + 5, end);
    const sqlEnd = cstringEnd(chunk, nameEnd + 1, end);
    if (mayStartTxControl(chunk, nameEnd + 1, sqlEnd) && TX_CONTROL.test(chunk.toString('utf8', nameEnd + 1, sqlEnd))) {
      this.txControlStatements.add(chunk.toString('utf8', start + 5, nameEnd));
      return;
    }
    if (this.txControlStatements.size > 0) this.txControlStatements.delete(chunk.toString('utf8', start + 5, nameEnd));
    if (this.batch !== BatchSide.Local) this.prefixSafe = false;
  }

  private parseIsLocal(msg: Buffer): boolean {
    const p = decodeParse(msg);
    if (!this.router.claims(p.sql, this)) return false;
    return true;
  }

  /**
   * Put an extended-protocol message on its batch's side. The first message after Sync picks the
   * side; a batch that mixes both sides runs upstream entirely (Postgres then reports what it cannot do).
   */
  private place(type: number, chunk: Buffer, start: number, end: number, local: boolean): boolean {
    if (this.batch === BatchSide.None) this.batch = local ? BatchSide.Local : BatchSide.Upstream;
    else if (this.batch === BatchSide.Local && !local) this.toUpstreamSide();
    else if (this.batch === BatchSide.Upstream && local && this.prefixSafe) {
      // end the upstream part (BEGIN, Close…) with lakegate's own Sync, written right after the messages
      // of that part still waiting in the current run; the rest of the batch is local
      this.splitSyncDue = true;
      this.out.expectSplitSync();
      this.batch = BatchSide.Local;
    }
    if (
      this.batch === BatchSide.Upstream &&
      type === F.Bind &&
      !local &&
      (this.txControlStatements.size === 0 || !this.txControlStatements.has(bindStatement(chunk.subarray(start, end))))
    ) {
      this.prefixSafe = false;
    }
    if (this.batch === BatchSide.Upstream) {
      if (this.localStatements.size > 0 || this.localPortals.size > 0) this.forgetLocalName(type, chunk.subarray(start, end));
      return true;
    }
    const msg = Buffer.from(chunk.subarray(start, end));
    this.held.push({ type, msg });
    if (type === F.Parse) {
      const p = decodeParse(msg);
      this.localStatements.set(p.name, { sql: p.sql, paramTypes: p.paramTypes, query: null });
    } else if (type === F.Bind) {
      this.localPortals.set(bindNames(msg).portal, null);
    }
    return false;
  }

  /** An upstream Parse/Bind reuses a name: the local object of that name is gone. */
  private forgetLocalName(type: number, msg: Buffer): void {
    if (type === F.Parse && this.localStatements.size > 0) this.localStatements.delete(decodeParse(msg).name);
    else if (type === F.Bind && this.localPortals.size > 0) this.localPortals.delete(bindNames(msg).portal);
  }

  /** A local batch turned out to be mixed: send what was held upstream, in order, and continue there. */
  private toUpstreamSide(): void {
    if (this.batch === BatchSide.Local && this.held.length > 0) {
      const held = this.held;
      this.held = [];
      for (const h of held) {
        this.forgetLocalName(h.type, h.msg);
        if (h.type === F.Parse) this.localStatements.delete(decodeParse(h.msg).name);
      }
      if (!this.upOut.write(Buffer.concat(held.map((h) => h.msg)))) this.client.pause();
    }
    this.batch = BatchSide.Upstream;
  }

  /** Run the held local messages in order; `sync` adds ReadyForQuery. */
  private runHeld(sync: boolean): void {
    const held = this.held;
    this.held = [];
    const batch = new LocalBatch(this, this.router, (q) => this.setRunning(q));
    this.enqueueLocal((sink) => batch.run(held, sink), sync);
  }

  /** Reserve the output slot now (order), run the job after earlier local jobs (state), then close the slot. */
  private enqueueLocal(job: (sink: LocalSlot) => Promise<void>, ready: boolean): void {
    const slot = this.out.reserveLocal();
    this.localBusy++;
    this.localChain = this.localChain.then(async () => {
      try {
        await job(slot);
      } catch (e) {
        this.log.error({ err: e }, 'local execution failed');
        slot.write(errorResponse({ severity: 'ERROR', code: 'XX000', message: `lakegate internal error: ${(e as Error).message}` }));
      } finally {
        this.running = null;
        this.cancelPending = false;
        slot.finish(ready);
        if (--this.localBusy === 0) this.drainBacklog();
      }
    });
  }

  /** Process client bytes that waited for local jobs, until one of them starts another job. */
  private drainBacklog(): void {
    while (this.backlog.length > 0 && this.localBusy === 0 && !this.closed) this.onClientData(this.backlog.shift()!);
    if (this.backlog.length === 0) this.client.resume();
  }

  private setRunning(q: Cancellable | null): void {
    this.running = q;
    if (q && this.cancelPending) {
      this.cancelPending = false;
      q.cancel?.();
    }
  }

  /**
   * CancelRequest addressed to this session. True when a local job owns the session: the cancel is handled
   * here and must not reach upstream, where it would land late and cancel whatever runs next on that backend
   * (the engine's own round trips, or the client's next statement).
   */
  cancelLocal(): boolean {
    if (this.localBusy === 0) return false;
    if (this.running?.cancel) this.running.cancel();
    else this.cancelPending = true;
    return true;
  }

  cancelUpstream(): void {
    this.opts.cancelUpstream?.();
  }

  // ---- endings ------------------------------------------------------------------------------

  /** Report a protocol or internal failure to the client as Postgres would (FATAL), then close. */
  private fatal(code: string, message: string): void {
    this.log.info({ code, msg: message }, 'closing session after error');
    this.sendFatal({ severity: 'FATAL', code, message });
    this.close(message);
  }

  private sendFatal(e: ErrorFields): void {
    if (this.out.atBoundary && !this.client.destroyed) this.clientOut.write(errorResponse(e));
  }

  private upstreamClosed(): void {
    if (this.closed) return;
    // when upstream's last word was its own ErrorResponse (a FATAL at startup or shutdown), that is the message
    if (!this.terminating && this.scanner.lastType !== 0x45) {
      this.sendFatal({ severity: 'FATAL', code: '08006', message: 'lakegate: lost connection to upstream Postgres' });
    }
    this.close('upstream closed');
  }

  /** FETCH/MOVE/CLOSE while the session has cursors over mirrors (the router decides whether it names one) */
  private mayBeCursorCommand(buf: Buffer, start: number, end: number): boolean {
    return this.localCursors.size > 0 && mayBeCursorCommand(buf.toString('utf8', start, Math.min(end, start + 64)));
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.debug({ reason }, 'session closed');
    this.running?.cancel?.();
    for (const p of this.localPortals.values()) p?.close();
    this.localPortals.clear();
    closeAllCursors(this.localCursors);
    this.client.end();
    this.up.end();
    setTimeout(() => {
      this.client.destroy();
      this.up.destroy();
    }, 1000).unref();
    this.opts.onClose();
  }

  /** Server shutdown: tell the client like Postgres does on a fast shutdown. */
  shutdown(): void {
    this.sendFatal({ severity: 'FATAL', code: '57P01', message: 'terminating connection due to administrator command' });
    this.close('shutdown');
  }
}
