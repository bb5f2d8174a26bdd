// Walks the upstream byte stream message by message without copying it, so the session can forward
// chunks untouched and still see the few messages it cares about: ReadyForQuery (ordering, transaction
// status), ParameterStatus (session settings the engine must honour) and BackendKeyData (cancel routing).
import { B } from './codes.js';

export interface ScanEvents {
  /** A complete ReadyForQuery ended at `end` (offset just past it in the current chunk). Return false to stop scanning there. */
  readyForQuery(status: number, end: number): boolean;
  parameterStatus(name: string, value: string): void;
  backendKeyData(pid: number, secret: Buffer): void;
}

const WANT_BODY = new Uint8Array(256);
WANT_BODY[B.ReadyForQuery] = 1;
WANT_BODY[B.ParameterStatus] = 1;
WANT_BODY[B.BackendKeyData] = 1;

export class BackendScanner {
  /** Body bytes of the current message still to skip. */
  private skip = 0;
  private header = Buffer.alloc(5);
  private headerLen = 0;
  /** Collected body of a message we decode (small ones only). */
  private body: Buffer | null = null;
  private bodyLen = 0;
  private bodyType = 0;
  /** Type byte of the last message header seen (to know whether upstream's last word was an error). */
  lastType = 0;

  constructor(private readonly ev: ScanEvents) {}

  /** True when the stream sits between two messages: an injected message would not corrupt it. */
  get atBoundary(): boolean {
    return this.skip === 0 && this.headerLen === 0 && this.body === null;
  }

  /**
   * Scan `chunk` from `from`. Returns the offset where scanning stopped: chunk.length, or the end of a
   * ReadyForQuery for which the handler returned false.
   */
  scan(chunk: Buffer, from = 0): number {
    const len = chunk.length;
    let i = from;
    while (i < len) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, len - i);
        this.skip -= take;
        i += take;
        continue;
      }
      if (this.body !== null) {
        const take = Math.min(this.body.length - this.bodyLen, len - i);
        chunk.copy(this.body, this.bodyLen, i, i + take);
        this.bodyLen += take;
        i += take;
        if (this.bodyLen === this.body.length && !this.finishBody(i)) return i;
        continue;
      }
      let type: number;
      let mlen: number;
      if (this.headerLen === 0 && len - i >= 5) {
        type = chunk[i]!;
        mlen = chunk.readInt32BE(i + 1);
        i += 5;
      } else {
        const take = Math.min(5 - this.headerLen, len - i);
        chunk.copy(this.header, this.headerLen, i, i + take);
        this.headerLen += take;
        i += take;
        if (this.headerLen < 5) break;
        this.headerLen = 0;
        type = this.header[0]!;
        mlen = this.header.readInt32BE(1);
      }
      const bodyLen = mlen - 4;
      this.lastType = type;
      if (WANT_BODY[type] === 1) {
        if (type === B.ReadyForQuery && len - i >= 1 && bodyLen === 1) {
          i += 1;
          if (!this.ev.readyForQuery(chunk[i - 1]!, i)) return i;
          continue;
        }
        this.bodyType = type;
        this.body = Buffer.allocUnsafe(bodyLen);
        this.bodyLen = 0;
        if (bodyLen === 0 && !this.finishBody(i)) return i;
        continue;
      }
      // a body that ends in this chunk is stepped over at once; the rest of a longer one is skipped as it comes
      if (bodyLen > 0) {
        if (bodyLen <= len - i) i += bodyLen;
        else {
          this.skip = bodyLen - (len - i);
          i = len;
        }
      }
    }
    return len;
  }

  private finishBody(end: number): boolean {
    const body = this.body!;
    this.body = null;
    switch (this.bodyType) {
      case B.ReadyForQuery:
        return this.ev.readyForQuery(body[0]!, end);
      case B.ParameterStatus: {
        const k = body.indexOf(0);
        const v = body.indexOf(0, k + 1);
        if (k >= 0 && v >= 0) this.ev.parameterStatus(body.toString('utf8', 0, k), body.toString('utf8', k + 1, v));
        return true;
      }
      case B.BackendKeyData:
        if (body.length >= 8) this.ev.backendKeyData(body.readInt32BE(0), Buffer.from(body.subarray(4)));
        return true;
    }
    return true;
  }
}
