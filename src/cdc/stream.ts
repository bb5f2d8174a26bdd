// ReplicationStream: START_REPLICATION on a walsender connection, CopyBoth in both directions, our own acks.
//
// * Acknowledgement is manual: ack(lsn) is the only thing that moves the slot's confirmed_flush_lsn. Periodic
//   status updates and keepalive replies repeat the last acked LSN, never the last received one
//   (pg-logical-replication 2.5.0's timer acks received data: issue #174).
// * Backpressure: when the sink returns a promise the socket is paused, later CopyData already parsed from the
//   same read are queued, and the sink is called again only after the promise settles, strictly in order.
//   A sink that returns nothing keeps the fast synchronous path.
// * One connection, one run: after `finished` settles, reconnect with a new ReplicationStream from the durable
//   LSN (see ResilientChangeStream).
import pg from 'pg';
import { log } from '../log.js';
import { quoteIdent, quoteLiteral, replicationConfig } from './connection.js';
import { formatLsn, type Lsn } from './lsn.js';
import { readPrimaryKeepalive, PRIMARY_KEEPALIVE } from './protocol/primary-keepalive.js';
import { CopyQuery, connectionOf, type PgConnection } from './protocol/copy-query.js';
import { encodeStandbyStatusUpdate } from './protocol/standby-status-update.js';
import { readXLogData, XLOG_DATA, type XLogData } from './protocol/xlog-data.js';

export interface ReplicationStreamOptions {
  /** node-pg settings of the upstream; replication mode and pinned session settings are added */
  connection: pg.ClientConfig;
  slot: string;
  publications: readonly string[];
  /** default 2 with streaming, else 1 */
  protoVersion?: number;
  /** binary tuple data (send/recv format); default true */
  binary?: boolean;
  /** logical decoding messages (pg_logical_emit_message); default true */
  messages?: boolean;
  /** stream large in-progress transactions (proto ≥ 2); default false */
  streaming?: boolean;
  /** PG 16+: 'none' skips changes that came from another origin (replicated in) */
  origin?: 'any' | 'none';
  /** status update period; must stay well under the server's wal_sender_timeout (60 s); default 10 s */
  statusIntervalMs?: number;
  /**
   * on a keepalive, when every received transaction is acked and none is open, ack the server's WAL end so
   * an idle or unpublished-only database does not pin WAL; default true
   */
  ackIdleKeepalives?: boolean;
  /** called after a keepalive has updated receivedLsn (the server's position, between data messages) */
  onServerPosition?: (walEnd: Lsn) => void;
  /** use this already-connected walsender connection (e.g. the one that created the slot) instead of opening one */
  client?: pg.Client;
}

export type XLogSink = (x: XLogData) => void | Promise<void>;

export interface ReplicationStats {
  xlogMessages: number;
  xlogBytes: number;
  keepalives: number;
  statusUpdates: number;
  pauses: number;
}

const TAG_BEGIN = 0x42;
const TAG_COMMIT = 0x43;
const TAG_STREAM_COMMIT = 0x63;

export class ReplicationStream {
  readonly stats: ReplicationStats = { xlogMessages: 0, xlogBytes: 0, keepalives: 0, statusUpdates: 0, pauses: 0 };
  /** settles when streaming ended: resolves after stop(), rejects on server/connection/sink errors */
  readonly finished: Promise<void>;

  private client: pg.Client | undefined;
  private con: PgConnection | undefined;
  private query: CopyQuery | undefined;
  private sink: XLogSink | undefined;
  private acked: Lsn = 0n;
  private received: Lsn = 0n;
  private lastCommitEnd: Lsn = 0n;
  private inTransaction = false;
  private queue: Buffer[] = [];
  private draining = false;
  private stopping = false;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;
  private resolveFinished!: () => void;
  private rejectFinished!: (e: Error) => void;

  constructor(readonly options: ReplicationStreamOptions) {
    this.finished = new Promise((res, rej) => { this.resolveFinished = res; this.rejectFinished = rej; });
    this.finished.catch(() => {});
  }

  /** last LSN passed to ack() (or the start LSN) */
  get ackedLsn(): Lsn {
    return this.acked;
  }

  /** highest WAL end the server reported (data or keepalive) */
  get receivedLsn(): Lsn {
    return this.received;
  }

  /** the START_REPLICATION command this stream sends */
  command(startLsn: Lsn): string {
    const o = this.options;
    const streaming = o.streaming ?? false;
    const proto = o.protoVersion ?? (streaming ? 2 : 1);
    const opts: string[] = [
      `proto_version '${proto}'`,
      `publication_names ${quoteLiteral(o.publications.map(quoteIdent).join(','))}`,
    ];
    if (o.binary ?? true) opts.push(`binary 'true'`);
    if (o.messages ?? true) opts.push(`messages 'true'`);
    if (streaming) opts.push(`streaming 'on'`);
    if (o.origin) opts.push(`origin '${o.origin}'`);
    return `START_REPLICATION SLOT ${quoteIdent(o.slot)} LOGICAL ${formatLsn(startLsn)} (${opts.join(', ')})`;
  }

  /** Connect (unless given a client), start streaming at `startLsn`, resolve once the server is streaming. */
  async start(startLsn: Lsn, sink: XLogSink): Promise<void> {
    if (this.query) throw new Error('ReplicationStream is single-use; create a new one to reconnect');
    this.sink = sink;
    this.acked = startLsn;
    const client = this.options.client ?? new pg.Client(replicationConfig(this.options.connection));
    this.client = client;
    client.on('error', (e: Error) => this.fail(e));
    client.on('end', () => this.fail(new Error('replication connection closed')));
    if (!this.options.client) await client.connect();
    this.con = connectionOf(client);
    const query = new CopyQuery(this.command(startLsn), (chunk) => this.onCopyData(chunk));
    this.query = query;
    client.query(query);
    query.done.then(
      () => this.finish(this.stopping ? undefined : new Error('server ended the replication stream')),
      (e: Error) => this.fail(e),
    );
    try {
      await query.started;
    } catch (e) {
      await this.close();
      throw e;
    }
    if (this.ended) throw new Error('replication stream ended before it started');
    const every = this.options.statusIntervalMs ?? 10_000;
    this.timer = setInterval(() => this.sendStatus(false), every);
    this.timer.unref();
    log.debug({ slot: this.options.slot, start: formatLsn(startLsn) }, 'cdc: replication started');
  }

  /**
   * Everything up to `lsn` is durably applied: normally a Commit's endLsn. Sends a status update at once;
   * lower values than an earlier ack are ignored.
   */
  ack(lsn: Lsn): void {
    if (lsn <= this.acked) return;
    this.acked = lsn;
    this.sendStatus(false);
  }

  /** End streaming: final status update (acked LSN), CopyDone, close. Safe to call from inside the sink. */
  async stop(): Promise<void> {
    if (this.ended) return this.finished.catch(() => {});
    this.stopping = true;
    this.queue = [];
    this.sendStatus(false);
    try {
      this.con?.endCopyFrom();
    } catch { /* socket already gone */ }
    const timeout = new Promise<void>((res) => setTimeout(res, 2000).unref());
    await Promise.race([this.query?.done.catch(() => {}), timeout]);
    await this.close();
    this.finish(undefined);
  }

  private onCopyData(chunk: Buffer): void {
    if (this.stopping || this.ended) return;
    if (this.draining) {
      this.queue.push(chunk);
      return;
    }
    let pending: void | Promise<void>;
    try {
      pending = this.handle(chunk);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    if (pending) this.waitFor(pending);
  }

  private waitFor(pending: Promise<void>): void {
    this.draining = true;
    this.stats.pauses++;
    this.con?.stream.pause();
    void this.drain(pending);
  }

  private async drain(pending: Promise<void>): Promise<void> {
    try {
      await pending;
      while (this.queue.length && !this.stopping && !this.ended) {
        const next = this.handle(this.queue.shift()!);
        if (next) await next;
      }
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.draining = false;
    if (!this.stopping && !this.ended) this.con?.stream.resume();
  }

  private handle(chunk: Buffer): void | Promise<void> {
    const kind = chunk[0];
    if (kind === XLOG_DATA) {
      const x = readXLogData(chunk);
      this.stats.xlogMessages++;
      this.stats.xlogBytes += chunk.length;
      if (x.walEnd > this.received) this.received = x.walEnd;
      this.track(x.payload);
      return this.sink!(x);
    }
    if (kind === PRIMARY_KEEPALIVE) {
      const k = readPrimaryKeepalive(chunk);
      this.stats.keepalives++;
      if (k.walEnd > this.received) this.received = k.walEnd;
      const idle = (this.options.ackIdleKeepalives ?? true) && !this.inTransaction && !this.draining &&
        this.queue.length === 0 && this.acked >= this.lastCommitEnd && k.walEnd > this.acked;
      if (idle) {
        this.acked = k.walEnd;
        this.sendStatus(false);
      } else if (k.replyRequested) {
        this.sendStatus(false);
      }
      this.options.onServerPosition?.(this.received);
      return;
    }
    throw new Error(`unexpected replication message 0x${(kind ?? 0).toString(16)}`);
  }

  /** peek at transaction boundaries so idle keepalives are acked only between fully acked transactions */
  private track(payload: Buffer): void {
    const tag = payload[0];
    if (tag === TAG_BEGIN) {
      this.inTransaction = true;
    } else if (tag === TAG_COMMIT) {
      this.inTransaction = false;
      this.lastCommitEnd = payload.readBigUInt64BE(10);
    } else if (tag === TAG_STREAM_COMMIT) {
      this.lastCommitEnd = payload.readBigUInt64BE(14);
    }
  }

  private sendStatus(replyRequested: boolean): void {
    if (this.ended || !this.con || !this.query) return;
    const s = this.con.stream;
    if (!s.writable) return;
    this.con.sendCopyFromChunk(encodeStandbyStatusUpdate(this.acked, replyRequested));
    this.stats.statusUpdates++;
  }

  private fail(e: Error): void {
    if (this.ended) return;
    if (this.stopping) {
      this.finish(undefined);
      return;
    }
    log.warn({ slot: this.options.slot, err: e.message }, 'cdc: replication stream failed');
    void this.close();
    this.finish(e);
  }

  private finish(e: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearInterval(this.timer);
    this.queue = [];
    if (e) this.rejectFinished(e);
    else this.resolveFinished();
  }

  private async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const c = this.client;
    if (!c) return;
    this.client = undefined;
    try {
      await Promise.race([c.end(), new Promise((res) => setTimeout(res, 2000).unref())]);
    } catch { /* already closed */ }
    this.con?.stream.destroy();
  }
}
