// Encoders for the backend messages lakegate produces itself (errors, local answers).
import { Writer } from './writer.js';
import { B } from '../codes.js';

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

function fields(w: Writer, type: number, e: ErrorFields): Buffer {
  w.begin(type).byte(0x53).cstring(e.severity).byte(0x56).cstring(e.severity).byte(0x43).cstring(e.code).byte(0x4d).cstring(e.message);
  if (e.detail) w.byte(0x44).cstring(e.detail);
  if (e.hint) w.byte(0x48).cstring(e.hint);
  return w.byte(0).end().finish();
}

export function errorResponse(e: ErrorFields): Buffer {
  return fields(new Writer(64 + e.message.length), B.ErrorResponse, e);
}

export function noticeResponse(e: ErrorFields): Buffer {
  return fields(new Writer(64 + e.message.length), B.NoticeResponse, e);
}

export function readyForQuery(status: number): Buffer {
  return Buffer.from([B.ReadyForQuery, 0, 0, 0, 5, status]);
}

export interface FieldDescription {
  name: string;
  tableOid?: number;
  column?: number;
  typeOid: number;
  typeSize: number;
  typeMod?: number;
  format?: number;
}

export function rowDescription(fields: FieldDescription[]): Buffer {
  const w = new Writer(32 + fields.length * 32).begin(B.RowDescription).int16(fields.length);
  for (const f of fields) {
    w.cstring(f.name).int32(f.tableOid ?? 0).int16(f.column ?? 0).int32(f.typeOid).int16(f.typeSize).int32(f.typeMod ?? -1).int16(f.format ?? 0);
  }
  return w.end().finish();
}

/** One DataRow; `null` encodes SQL NULL. */
export function dataRow(values: (Buffer | null)[]): Buffer {
  let size = 7;
  for (const v of values) size += 4 + (v ? v.length : 0);
  const w = new Writer(size).begin(B.DataRow).int16(values.length);
  for (const v of values) {
    if (v === null) w.int32(-1);
    else w.int32(v.length).bytes(v);
  }
  return w.end().finish();
}

export function commandComplete(tag: string): Buffer {
  return new Writer(tag.length + 8).begin(B.CommandComplete).cstring(tag).end().finish();
}

export function parameterDescription(oids: number[]): Buffer {
  const w = new Writer(7 + oids.length * 4).begin(B.ParameterDescription).int16(oids.length);
  for (const o of oids) w.int32(o);
  return w.end().finish();
}

const empty = (t: number) => Buffer.from([t, 0, 0, 0, 4]);
export const parseComplete = empty(B.ParseComplete);
export const bindComplete = empty(B.BindComplete);
export const closeComplete = empty(B.CloseComplete);
export const noData = empty(B.NoData);
export const portalSuspended = empty(B.PortalSuspended);
export const emptyQueryResponse = empty(B.EmptyQueryResponse);
