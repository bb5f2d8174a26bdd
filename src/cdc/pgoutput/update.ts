import type { Reader } from './reader.js';
import { readTupleData, type ColumnDecoder, type TupleValue } from './tuple-data.js';

// 'U': [Int32 xid], Int32 relation OID, optionally 'K' + key TupleData (key changed, REPLICA IDENTITY
// DEFAULT/INDEX: non-key columns are null) or 'O' + full old TupleData (REPLICA IDENTITY FULL), then 'N' + new row.
// With identity DEFAULT and an unchanged key, no old image is sent at all.
export type OldKind = 'key' | 'full';

export interface Update {
  tag: 'update';
  xid?: number;
  relationOid: number;
  oldKind: OldKind | null;
  old: TupleValue[] | null;
  new: TupleValue[];
}

export function readUpdate(r: Reader, xid: number | undefined, columns: (relationOid: number) => ColumnDecoder): Update {
  const relationOid = r.u32();
  const decode = columns(relationOid);
  let marker = r.u8();
  let oldKind: OldKind | null = null;
  let old: TupleValue[] | null = null;
  if (marker === 0x4b || marker === 0x4f) {
    oldKind = marker === 0x4b ? 'key' : 'full';
    old = readTupleData(r, decode);
    marker = r.u8();
  }
  if (marker !== 0x4e) throw new Error(`pgoutput update: expected 'N', got 0x${marker.toString(16)}`);
  return { tag: 'update', xid, relationOid, oldKind, old, new: readTupleData(r, decode) };
}
