// Dispatches one pgoutput message by its tag byte. Stateful only in one respect: between Stream Start and
// Stream Stop, change messages carry an xid prefix that must be read before the body.
import { readBegin, type Begin } from './begin.js';
import { readCommit, type Commit } from './commit.js';
import { readDelete, type Delete } from './delete.js';
import { readInsert, type Insert } from './insert.js';
import { readMessage, type LogicalMessage } from './message.js';
import { readOrigin, type Origin } from './origin.js';
import { Reader } from './reader.js';
import { readRelation, type Relation } from './relation.js';
import { readStreamAbort, type StreamAbort } from './stream-abort.js';
import { readStreamCommit, type StreamCommit } from './stream-commit.js';
import { readStreamStart, type StreamStart } from './stream-start.js';
import { readStreamStop, type StreamStop } from './stream-stop.js';
import { readTruncate, type Truncate } from './truncate.js';
import { rawColumnDecoder, type ColumnDecoder } from './tuple-data.js';
import { readType, type TypeMessage } from './type.js';
import { readUpdate, type Update } from './update.js';

export type PgoutputMessage =
  | Begin | Commit | Origin | Relation | TypeMessage | Insert | Update | Delete | Truncate | LogicalMessage
  | StreamStart | StreamStop | StreamCommit | StreamAbort;

export interface PgoutputDecoderOptions {
  /** decoder for tuple columns of a relation; default: strings for text, Buffer copies for binary */
  columns?: (relationOid: number) => ColumnDecoder;
  /** streaming 'parallel' (proto 4) adds abort LSN/time to Stream Abort */
  parallelStreaming?: boolean;
}

export class PgoutputDecoder {
  /** the toplevel xid of the streamed block we are in, if any */
  streamXid: number | undefined;
  private readonly columns: (relationOid: number) => ColumnDecoder;
  private readonly parallel: boolean;

  constructor(opts: PgoutputDecoderOptions = {}) {
    this.columns = opts.columns ?? (() => rawColumnDecoder);
    this.parallel = opts.parallelStreaming ?? false;
  }

  /** decode the message in buf[start, end); buffer contents are copied out, nothing keeps a reference */
  decode(buf: Buffer, start = 0, end = buf.length): PgoutputMessage {
    const r = new Reader(buf, start + 1, end);
    const tag = buf[start];
    const inStream = this.streamXid !== undefined;
    switch (tag) {
      case 0x42: return readBegin(r); // B
      case 0x43: return readCommit(r); // C
      case 0x4f: return readOrigin(r); // O
      case 0x52: return readRelation(r, inStream ? r.u32() : undefined); // R
      case 0x59: return readType(r, inStream ? r.u32() : undefined); // Y
      case 0x49: return readInsert(r, inStream ? r.u32() : undefined, this.columns); // I
      case 0x55: return readUpdate(r, inStream ? r.u32() : undefined, this.columns); // U
      case 0x44: return readDelete(r, inStream ? r.u32() : undefined, this.columns); // D
      case 0x54: return readTruncate(r, inStream ? r.u32() : undefined); // T
      case 0x4d: return readMessage(r, inStream ? r.u32() : undefined); // M
      case 0x53: { // S
        const m = readStreamStart(r);
        this.streamXid = m.xid;
        return m;
      }
      case 0x45: // E
        this.streamXid = undefined;
        return readStreamStop();
      case 0x63: return readStreamCommit(r); // c
      case 0x41: return readStreamAbort(r, this.parallel); // A
      default:
        throw new Error(`pgoutput: unsupported message tag ${tag === undefined ? '(empty)' : `'${String.fromCharCode(tag)}'`}` +
          ' (two-phase messages need two_phase, which lakegate does not request)');
    }
  }

  /** forget stream state, e.g. after a reconnect */
  reset(): void {
    this.streamXid = undefined;
  }
}
