// Protocol constants by their Postgres names (src/include/libpq/pqcomm.h, protocol.h).

export const PROTOCOL_3_0 = 196608; // 3 << 16
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
/** Postgres refuses startup packets above this size (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_PACKET = 10000;
/** PG_LARGE_MESSAGE_LIMIT: no frontend message may be larger. */
export const MAX_MESSAGE = 0x3fffffff;

// Frontend message types
export const F = {
  Query: 0x51, // Q
  Parse: 0x50, // P
  Bind: 0x42, // B
  Describe: 0x44, // D
  Execute: 0x45, // E
  Close: 0x43, // C
  Sync: 0x53, // S
  Flush: 0x48, // H
  Terminate: 0x58, // X
  FunctionCall: 0x46, // F
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Password: 0x70, // p (also SASLInitialResponse, SASLResponse, GSSResponse)
} as const;

// Backend message types
export const B = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  ParameterStatus: 0x53, // S
  ReadyForQuery: 0x5a, // Z
  ErrorResponse: 0x45, // E
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  RowDescription: 0x54, // T
  DataRow: 0x44, // D
  CommandComplete: 0x43, // C
  EmptyQueryResponse: 0x49, // I
  ParseComplete: 0x31, // 1
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  NoData: 0x6e, // n
  PortalSuspended: 0x73, // s
  ParameterDescription: 0x74, // t
} as const;

const FRONTEND_TYPES = new Uint8Array(256);
for (const t of Object.values(F)) FRONTEND_TYPES[t] = 1;

export function isFrontendType(t: number): boolean {
  return FRONTEND_TYPES[t] === 1;
}
