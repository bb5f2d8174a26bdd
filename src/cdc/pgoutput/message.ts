import type { Reader } from './reader.js';

// 'M': [Int32 xid], Int8 flags (1 = transactional), Int64 LSN, String prefix, Int32 length, bytes.
// From pg_logical_emit_message(); only sent with the 'messages' option. Transactional ones arrive between
// Begin and Commit in WAL order with the row changes (our DDL marker channel); others arrive immediately.
export interface LogicalMessage {
  tag: 'message';
  xid?: number;
  transactional: boolean;
  lsn: bigint;
  prefix: string;
  content: Buffer;
}

export function readMessage(r: Reader, xid: number | undefined): LogicalMessage {
  const flags = r.u8();
  const lsn = r.u64();
  const prefix = r.cstring();
  const len = r.i32();
  return { tag: 'message', xid, transactional: (flags & 1) !== 0, lsn, prefix, content: r.bytes(len) };
}
