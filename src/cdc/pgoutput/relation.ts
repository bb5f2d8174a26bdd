import type { Reader } from './reader.js';

// 'R': [Int32 xid], Int32 relation OID, String namespace ('' = pg_catalog), String name, Int8 replica identity,
// Int16 ncols, then per column Int8 flags (1 = part of the key), String name, Int32 type OID, Int32 typmod.
// Sent before the first change of a relation in a session and again whenever its schema or identity changed.
export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export interface RelationColumn {
  name: string;
  /** the column's own type OID: domains and IvorySQL types are not resolved to a base type */
  typeOid: number;
  typmod: number;
  isKey: boolean;
}

export interface Relation {
  tag: 'relation';
  xid?: number;
  relationOid: number;
  schema: string;
  name: string;
  replicaIdentity: ReplicaIdentity;
  columns: RelationColumn[];
}

const IDENTITY: Record<string, ReplicaIdentity> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

export function readRelation(r: Reader, xid: number | undefined): Relation {
  const relationOid = r.u32();
  const ns = r.cstring();
  const name = r.cstring();
  const ident = String.fromCharCode(r.u8());
  const replicaIdentity = IDENTITY[ident];
  if (!replicaIdentity) throw new Error(`pgoutput: unknown replica identity '${ident}'`);
  const n = r.i16();
  const columns: RelationColumn[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u8();
    columns[i] = { isKey: (flags & 1) !== 0, name: r.cstring(), typeOid: r.u32(), typmod: r.i32() };
  }
  return { tag: 'relation', xid, relationOid, schema: ns === '' ? 'pg_catalog' : ns, name, replicaIdentity, columns };
}
