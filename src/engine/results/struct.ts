// DuckDB STRUCT / MAP / UNION / VARIANT have no Postgres counterpart in a mirror; they are sent as json (OID 114)
// in the compact style of PG's row_to_json: `{"a":1,"b":[1,2],"c":null}`. Scalars inside use their PG text output;
// numbers stay JSON numbers, everything else becomes a JSON string.
import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBUnionValue,
} from '@duckdb/node-api';
import type { TypeCodec } from './codec.js';
import { decimalString } from './codec.js';
import { float8Text } from './float.js';
import { escapeJson } from './json.js';
import { PG } from './oids.js';
import type { OutputSettings } from './settings.js';

export function compositeJson(v: unknown, s: OutputSettings): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    return Number.isFinite(v) ? float8Text(v, Math.max(s.extraFloatDigits, 1)) : escapeJson(float8Text(v, 1));
  }
  if (typeof v === 'string') return escapeJson(v);
  if (v instanceof DuckDBDecimalValue) return decimalString(v.value, v.scale);
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) {
    return '[' + v.items.map((x) => compositeJson(x, s)).join(',') + ']';
  }
  if (v instanceof DuckDBStructValue) {
    return '{' + Object.entries(v.entries).map(([k, x]) => escapeJson(k) + ':' + compositeJson(x, s)).join(',') + '}';
  }
  if (v instanceof DuckDBMapValue) {
    return '{' + v.entries.map((e) => escapeJson(keyText(e.key)) + ':' + compositeJson(e.value, s)).join(',') + '}';
  }
  if (v instanceof DuckDBUnionValue) return compositeJson(v.value, s);
  return escapeJson(String(v));
}

function keyText(k: unknown): string {
  if (typeof k === 'string') return k;
  if (k instanceof DuckDBDecimalValue) return decimalString(k.value, k.scale);
  return String(k);
}

export const compositeCodec: TypeCodec = {
  info: PG.json,
  text: (v, s) => compositeJson(v, s),
  send: (v, s) => Buffer.from(compositeJson(v, s), 'utf8'),
};
