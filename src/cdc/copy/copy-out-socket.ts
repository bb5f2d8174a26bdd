// CopyData straight off a node-pg client's socket. node-pg parses every backend message into an object and
// hands out a Buffer per CopyData (one per row for COPY … TO STDOUT); for a table copy that is a third of the
// decoding cost. While a COPY runs, this tap replaces node-pg's 'data' listener: CopyData payloads go to
// `onData` as ranges of the socket's own chunks, every other message (CopyOutResponse, CommandComplete,
// ErrorResponse, notices, …) is handed to node-pg as it would have received it, so the query, its errors and
// the connection state stay node-pg's. At CopyDone or ErrorResponse node-pg gets its listener and the rest back.
//
// Start it only on an idle client (after ReadyForQuery, before the COPY is sent): node-pg's parser then holds no
// partial message, so the tap sees the stream from a message boundary. (Between queries a session that does not
// LISTEN is sent nothing; a fatal error there ends the connection anyway.)
import type pg from 'pg';
import { connectionOf } from '../protocol/copy-query.js';
import { int32At } from './binary-copy-parser.js';

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'

type Listener = (chunk: Buffer) => void;

export class CopyOutTap {
  private readonly socket: import('node:net').Socket;
  private saved: Listener[] | null = null;
  /** a message split across chunks: filled up to msgFill once its length is known … */
  private msgBuf: Buffer | null = null;
  private msgFill = 0;
  /** … or the first bytes of one whose length field is still incomplete */
  private head: Buffer | null = null;
  private readonly listener = (chunk: Buffer): void => this.onChunk(chunk);

  /** `onData(buf, start, end)`: one CopyData payload, valid during the call; it must not throw */
  constructor(client: pg.Client, private readonly onData: (buf: Buffer, start: number, end: number) => void) {
    this.socket = connectionOf(client).stream;
  }

  start(): void {
    if (this.saved) return;
    this.saved = this.socket.listeners('data') as Listener[];
    this.socket.removeAllListeners('data');
    this.socket.on('data', this.listener);
  }

  /** give the socket back to node-pg, with whatever part of a message the tap holds (idempotent) */
  stop(): void {
    const carried = this.msgBuf ? this.msgBuf.subarray(0, this.msgFill) : this.head;
    this.msgBuf = null;
    this.head = null;
    this.handBack(carried ?? Buffer.alloc(0));
  }

  private handBack(rest: Buffer): void {
    const saved = this.saved;
    if (!saved) return;
    this.saved = null;
    this.socket.removeListener('data', this.listener);
    for (const l of saved) this.socket.on('data', l);
    if (rest.length) for (const l of saved) l.call(this.socket, rest);
  }

  private onChunk(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    if (this.msgBuf) {
      const m = this.msgBuf;
      const take = Math.min(m.length - this.msgFill, chunk.length);
      chunk.copy(m, this.msgFill, 0, take);
      this.msgFill += take;
      if (this.msgFill < m.length) return;
      this.msgBuf = null;
      pos = take;
      if (!this.message(m, 0, m.length)) return this.handBack(Buffer.concat([m, chunk.subarray(pos)]));
    } else if (this.head) {
      buf = Buffer.concat([this.head, chunk]);
      this.head = null;
    }
    const len = buf.length;
    while (pos + 5 <= len) {
      const mlen = int32At(buf, pos + 1);
      if (mlen < 4) return this.desync();
      const end = pos + 1 + mlen;
      if (end > len) break;
      if (!this.message(buf, pos, end)) return this.handBack(buf.subarray(pos));
      pos = end;
    }
    if (pos === len) return;
    if (len - pos < 5) {
      this.head = Buffer.from(buf.subarray(pos));
      return;
    }
    const mlen = int32At(buf, pos + 1);
    if (mlen < 4) return this.desync();
    this.msgBuf = Buffer.allocUnsafe(1 + mlen);
    this.msgFill = buf.copy(this.msgBuf, 0, pos);
  }

  /** a length no message can have: the stream cannot be followed any further, so the connection goes */
  private desync(): void {
    this.msgBuf = null;
    this.head = null;
    this.handBack(Buffer.alloc(0));
    this.socket.destroy(new Error('COPY: malformed message from the server'));
  }

  /** one whole message buf[start, end); false when it ends the copy's data (node-pg takes it and what follows) */
  private message(buf: Buffer, start: number, end: number): boolean {
    const code = buf[start];
    if (code === COPY_DATA) {
      this.onData(buf, start + 5, end);
      return true;
    }
    if (code === COPY_DONE || code === ERROR_RESPONSE) return false;
    const msg = buf.subarray(start, end);
    for (const l of this.saved!) l.call(this.socket, msg);
    return true;
  }
}
