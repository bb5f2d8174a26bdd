import { PG_EPOCH_MICROS } from '../types/epoch.js';

// CopyData 'w': Int64 dataStart, Int64 walEnd, Int64 server send time (µs since 2000), then one pgoutput message.
// For logical walsenders dataStart = walEnd = the LSN of the decoded record: a Commit carries its end LSN, a
// change its own record's LSN (PG 18; older servers send 0/0 for everything but the last write), Relation 0/0.
// Only a Commit's end LSN is something to acknowledge.
export interface XLogData {
  walStart: bigint;
  walEnd: bigint;
  /** µs since the Unix epoch */
  sendTime: bigint;
  /** the pgoutput message; a view into the socket buffer, valid until the consumer returns (or its promise settles) */
  payload: Buffer;
}

export const XLOG_DATA = 0x77; // 'w'
export const XLOG_DATA_HEADER = 25;

export function readXLogData(chunk: Buffer): XLogData {
  return {
    walStart: chunk.readBigUInt64BE(1),
    walEnd: chunk.readBigUInt64BE(9),
    sendTime: chunk.readBigInt64BE(17) + PG_EPOCH_MICROS,
    payload: chunk.subarray(XLOG_DATA_HEADER),
  };
}
