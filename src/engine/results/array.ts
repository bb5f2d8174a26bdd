// Arrays (DuckDB LIST / ARRAY, nested lists = multi-dimensional PG arrays). Text is array_out: `{1,2,NULL}`,
// `{{1,2},{3,4}}`, elements double-quoted when empty, equal to NULL in any case, or containing `"` `\` `{` `}` `,`
// or whitespace, with `"` and `\` backslash-escaped. Binary is array_send: ndim, has-nulls flag, element OID,
// (length, lower bound 1) per dimension, then length-prefixed elements (-1 for NULL).
import { DuckDBArrayValue, DuckDBListValue } from '@duckdb/node-api';
import { typeError, type TypeCodec } from './codec.js';
import type { PgTypeInfo } from './oids.js';
import type { OutputSettings } from './settings.js';

function items(v: unknown): readonly unknown[] | null {
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items;
  if (Array.isArray(v)) return v;
  return null;
}

/** Dimensions of a rectangular nested list (`depth` levels); any zero-length dimension means an empty array. */
function dimsOf(v: unknown, depth: number): number[] {
  const dims: number[] = [];
  let cur: unknown = v;
  for (let d = 0; d < depth; d++) {
    const it = items(cur);
    if (!it) throw new Error('multidimensional arrays must have array expressions with matching dimensions');
    dims.push(it.length);
    if (it.length === 0) break;
    cur = it[0];
  }
  return dims;
}

const needsQuote = /["\\{},\x20\t\n\r\v\f]/;

export function quoteArrayElement(s: string): string {
  if (s === '' || (s.length === 4 && s.toLowerCase() === 'null') || needsQuote.test(s)) {
    return '"' + s.replace(/["\\]/g, '\\$&') + '"';
  }
  return s;
}

/** Array codec over an element codec; `depth` is the number of nested list levels mapped to PG dimensions. */
export function arrayCodec(element: TypeCodec, depth = 1): TypeCodec {
  const info: PgTypeInfo = {
    name: element.info.name + '[]',
    oid: element.info.arrayOid,
    arrayOid: 0,
    typlen: -1,
  };
  const check = (v: unknown): number[] => {
    const dims = dimsOf(v, depth);
    return dims.includes(0) ? [] : dims;
  };
  const textOf = (v: unknown, level: number, s: OutputSettings, typmod: number): string => {
    const it = items(v)!;
    if (level < depth - 1) {
      return '{' + it.map((x) => {
        if (items(x)?.length !== items(it[0])!.length) {
          throw new Error('multidimensional arrays must have array expressions with matching dimensions');
        }
        return textOf(x, level + 1, s, typmod);
      }).join(',') + '}';
    }
    return '{' + it.map((x) => (x === null || x === undefined ? 'NULL' : quoteArrayElement(element.text(x, s, typmod)))).join(',') + '}';
  };
  return {
    info,
    text(v, s, typmod) {
      if (!items(v)) throw typeError(info.name, v);
      if (check(v).length === 0) return '{}';
      return textOf(v, 0, s, typmod);
    },
    send(v, s, typmod) {
      if (!items(v)) throw typeError(info.name, v);
      const dims = check(v);
      const elems: (Buffer | null)[] = [];
      let hasNull = false;
      let size = 12 + 8 * dims.length;
      const walk = (x: unknown, level: number) => {
        const it = items(x)!;
        if (it.length !== dims[level]) {
          throw new Error('multidimensional arrays must have array expressions with matching dimensions');
        }
        for (const e of it) {
          if (level < depth - 1) walk(e, level + 1);
          else if (e === null || e === undefined) {
            hasNull = true;
            elems.push(null);
            size += 4;
          } else {
            const b = element.send(e, s, typmod);
            elems.push(b);
            size += 4 + b.length;
          }
        }
      };
      if (dims.length) walk(v, 0);
      const out = Buffer.allocUnsafe(size);
      out.writeInt32BE(dims.length, 0);
      out.writeInt32BE(hasNull ? 1 : 0, 4);
      out.writeUInt32BE(element.info.oid, 8);
      let off = 12;
      for (const d of dims) {
        out.writeInt32BE(d, off);
        out.writeInt32BE(1, off + 4);
        off += 8;
      }
      for (const b of elems) {
        if (b === null) {
          out.writeInt32BE(-1, off);
          off += 4;
        } else {
          out.writeInt32BE(b.length, off);
          b.copy(out, off + 4);
          off += 4 + b.length;
        }
      }
      return out;
    },
  };
}
