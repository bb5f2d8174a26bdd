// Decoders for the frontend messages the session must look into. `msg` is the whole message including
// its type byte and length; everything else passes through as bytes without being decoded.

/** Offset of the NUL ending the string at `from`; it must come before `limit` (the end of the message). */
export function cstringEnd(msg: Buffer, from: number, limit = msg.length): number {
  const end = msg.indexOf(0, from);
  if (end < 0 || end >= limit) throw new ProtocolError('invalid string in message');
  return end;
}

/** A frontend protocol violation: the connection is closed with FATAL 08P01, as Postgres would. */
export class ProtocolError extends Error {}

export function queryText(msg: Buffer): string {
  return msg.toString('utf8', 5, cstringEnd(msg, 5));
}

export interface ParseMessage {
  name: string;
  sql: string;
  paramTypes: number[];
}

export function decodeParse(msg: Buffer): ParseMessage {
  const nameEnd = cstringEnd(msg, 5);
  const sqlEnd = cstringEnd(msg, nameEnd + 1);
  let p = sqlEnd + 1;
  const n = msg.readInt16BE(p);
  p += 2;
  const paramTypes: number[] = [];
  for (let i = 0; i < n; i++, p += 4) paramTypes.push(msg.readUInt32BE(p));
  return { name: msg.toString('utf8', 5, nameEnd), sql: msg.toString('utf8', nameEnd + 1, sqlEnd), paramTypes };
}

/** The statement name of a Bind (routing needs no more). */
export function bindStatement(msg: Buffer): string {
  const portalEnd = cstringEnd(msg, 5);
  return msg.toString('utf8', portalEnd + 1, cstringEnd(msg, portalEnd + 1));
}

/** Only the names, which is all routing needs; the rest is decoded lazily by whoever executes it. */
export function bindNames(msg: Buffer): { portal: string; statement: string } {
  const portalEnd = cstringEnd(msg, 5);
  const stmtEnd = cstringEnd(msg, portalEnd + 1);
  return { portal: msg.toString('utf8', 5, portalEnd), statement: msg.toString('utf8', portalEnd + 1, stmtEnd) };
}

export interface BindMessage {
  portal: string;
  statement: string;
  paramFormats: number[];
  params: (Buffer | null)[];
  resultFormats: number[];
}

export function decodeBind(msg: Buffer): BindMessage {
  const { portal, statement } = bindNames(msg);
  let p = 5 + Buffer.byteLength(portal) + 1 + Buffer.byteLength(statement) + 1;
  const nf = msg.readInt16BE(p);
  p += 2;
  const paramFormats: number[] = [];
  for (let i = 0; i < nf; i++, p += 2) paramFormats.push(msg.readInt16BE(p));
  const np = msg.readInt16BE(p);
  p += 2;
  const params: (Buffer | null)[] = [];
  for (let i = 0; i < np; i++) {
    const len = msg.readInt32BE(p);
    p += 4;
    if (len < 0) params.push(null);
    else {
      params.push(msg.subarray(p, p + len));
      p += len;
    }
  }
  const nr = msg.readInt16BE(p);
  p += 2;
  const resultFormats: number[] = [];
  for (let i = 0; i < nr; i++, p += 2) resultFormats.push(msg.readInt16BE(p));
  return { portal, statement, paramFormats, params, resultFormats };
}

/** Describe and Close share a layout: kind 'S' (statement) or 'P' (portal), then the name. */
export function decodeTarget(msg: Buffer): { kind: 'S' | 'P'; name: string } {
  const kind = msg[5] === 0x53 ? 'S' : msg[5] === 0x50 ? 'P' : null;
  if (!kind) throw new ProtocolError(`invalid DESCRIBE/CLOSE message subtype ${msg[5]}`);
  return { kind, name: msg.toString('utf8', 6, cstringEnd(msg, 6)) };
}

export function decodeExecute(msg: Buffer): { portal: string; maxRows: number } {
  const end = cstringEnd(msg, 5);
  return { portal: msg.toString('utf8', 5, end), maxRows: msg.readInt32BE(end + 1) };
}

/** Startup packet parameters (user, database, options, application_name …). */
export function startupParams(pkt: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let p = 8;
  while (p < pkt.length && pkt[p] !== 0) {
    const kEnd = cstringEnd(pkt, p);
    const vEnd = cstringEnd(pkt, kEnd + 1);
    out.set(pkt.toString('utf8', p, kEnd), pkt.toString('utf8', kEnd + 1, vEnd));
    p = vEnd + 1;
  }
  return out;
}
