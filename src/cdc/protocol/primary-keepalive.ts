import { PG_EPOCH_MICROS } from '../types/epoch.js';

// CopyData 'k': Int64 walEnd (server's sent position), Int64 send time, Byte1 reply requested.
// When replyRequested is set the server will drop us after wal_sender_timeout unless a status update follows.
export interface PrimaryKeepalive {
  walEnd: bigint;
  sendTime: bigint;
  replyRequested: boolean;
}

export const PRIMARY_KEEPALIVE = 0x6b; // 'k'

export function readPrimaryKeepalive(chunk: Buffer): PrimaryKeepalive {
  return {
    walEnd: chunk.readBigUInt64BE(1),
    sendTime: chunk.readBigInt64BE(9) + PG_EPOCH_MICROS,
    replyRequested: chunk[17] === 1,
  };
}
