import type { Value } from './values.js';

const JSONB_VERSION = 1;

// jsonb_send: a version byte (1) followed by the canonical text.
export function decodeJsonb(buf: Buffer, start: number, end: number): Value {
  const version = buf[start];
  if (version !== JSONB_VERSION) throw new Error(`unsupported jsonb binary version ${version}`);
  return buf.toString('utf8', start + 1, end);
}
