import type { Reader } from './reader.js';
import { readTupleData, type ColumnDecoder, type TupleValue } from './tuple-data.js';

// 'I': [Int32 xid], Int32 relation OID, Byte1 'N', TupleData (the new row).
export interface Insert {
  tag: 'insert';
  xid?: number;
  relationOid: number;
  new: TupleValue[];
}

export function readInsert(r: Reader, xid: number | undefined, columns: (relationOid: number) => ColumnDecoder): Insert {
  const relationOid = r.u32();
  const n = r.u8();
  if (n !== 0x4e) throw new Error(`pgoutput insert: expected 'N', got 0x${n.toString(16)}`);
  return { tag: 'insert', xid, relationOid, new: readTupleData(r, columns(relationOid)) };
}
