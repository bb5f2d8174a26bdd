import type { Reader } from './reader.js';
import { readTupleData, type ColumnDecoder, type TupleValue } from './tuple-data.js';
import type { OldKind } from './update.js';

// 'D': [Int32 xid], Int32 relation OID, 'K' + key TupleData or 'O' + full old TupleData.
export interface Delete {
  tag: 'delete';
  xid?: number;
  relationOid: number;
  oldKind: OldKind;
  old: TupleValue[];
}

export function readDelete(r: Reader, xid: number | undefined, columns: (relationOid: number) => ColumnDecoder): Delete {
  const relationOid = r.u32();
  const marker = r.u8();
  if (marker !== 0x4b && marker !== 0x4f) throw new Error(`pgoutput delete: expected 'K' or 'O', got 0x${marker.toString(16)}`);
  return { tag: 'delete', xid, relationOid, oldKind: marker === 0x4b ? 'key' : 'full', old: readTupleData(r, columns(relationOid)) };
}
