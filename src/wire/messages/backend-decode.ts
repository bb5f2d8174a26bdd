// Decoders for backend message bodies lakegate reads itself (its own questions to upstream). `body` is
// the message without its type byte and length.
import type { FieldDescription } from './backend.js';
import { PgError } from '../../route/local.js';

/** ErrorResponse → PgError with Postgres' code, message, detail and hint. */
export function decodeError(body: Buffer): PgError {
  const f = new Map<string, string>();
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const code = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    f.set(code, body.toString('utf8', i + 1, end));
    i = end + 1;
  }
  return new PgError(f.get('C') ?? 'XX000', f.get('M') ?? 'upstream error', 'ERROR', f.get('D'), f.get('H'));
}

export function decodeRowDescription(body: Buffer): FieldDescription[] {
  const n = body.readInt16BE(0);
  const out: FieldDescription[] = [];
  let p = 2;
  for (let k = 0; k < n; k++) {
    const end = body.indexOf(0, p);
    const name = body.toString('utf8', p, end);
    p = end + 1;
    out.push({
      name,
      tableOid: body.readUInt32BE(p),
      column: body.readInt16BE(p + 4),
      typeOid: body.readUInt32BE(p + 6),
      typeSize: body.readInt16BE(p + 10),
      typeMod: body.readInt32BE(p + 12),
      format: body.readInt16BE(p + 16),
    });
    p += 18;
  }
  return out;
}

/** DataRow values as raw bytes (copied out of `body`); null = SQL NULL. */
export function decodeDataRow(body: Buffer): (Buffer | null)[] {
  const n = body.readInt16BE(0);
  const row: (Buffer | null)[] = [];
  let p = 2;
  for (let k = 0; k < n; k++) {
    const len = body.readInt32BE(p);
    p += 4;
    if (len < 0) row.push(null);
    else {
      row.push(Buffer.from(body.subarray(p, p + len)));
      p += len;
    }
  }
  return row;
}

/** DataRow values as UTF-8 text (text-format results). */
export function decodeTextRow(body: Buffer): (string | null)[] {
  return decodeDataRow(body).map((v) => (v === null ? null : v.toString('utf8')));
}
