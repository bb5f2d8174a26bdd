import type { Reader } from './reader.js';

// 'Y': [Int32 xid], Int32 type OID, String namespace, String name. Only for types with OID >= 10000
// (never for built-ins or IvorySQL's 95xx types), and it says nothing about the type's kind.
export interface TypeMessage {
  tag: 'type';
  xid?: number;
  typeOid: number;
  schema: string;
  name: string;
}

export function readType(r: Reader, xid: number | undefined): TypeMessage {
  const typeOid = r.u32();
  const ns = r.cstring();
  return { tag: 'type', xid, typeOid, schema: ns === '' ? 'pg_catalog' : ns, name: r.cstring() };
}
