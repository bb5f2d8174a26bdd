import { PG_EPOCH_MICROS } from '../types/epoch.js';

// CopyData 'r' (client → server): Int64 written, Int64 flushed, Int64 applied, Int64 client time (µs since 2000),
// Byte1 reply requested. The flushed position becomes the slot's confirmed_flush_lsn, so we only ever put a
// consumer-acknowledged (durable) LSN in all three fields.
export function encodeStandbyStatusUpdate(lsn: bigint, replyRequested = false): Buffer {
  const b = Buffer.allocUnsafe(34);
  b[0] = 0x72; // 'r'
  b.writeBigUInt64BE(lsn, 1);
  b.writeBigUInt64BE(lsn, 9);
  b.writeBigUInt64BE(lsn, 17);
  b.writeBigInt64BE(BigInt(Date.now()) * 1000n - PG_EPOCH_MICROS, 25);
  b[33] = replyRequested ? 1 : 0;
  return b;
}
