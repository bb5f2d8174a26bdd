// bool: text `t`/`f` (boolout), binary one byte 0/1 (boolsend).
import { typeError, type TypeCodec } from './codec.js';
import { PG } from './oids.js';

function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return v != 0;
  throw typeError('bool', v);
}

export const boolCodec: TypeCodec = {
  info: PG.bool,
  text: (v) => (toBool(v) ? 't' : 'f'),
  send: (v) => Buffer.from([toBool(v) ? 1 : 0]),
};
