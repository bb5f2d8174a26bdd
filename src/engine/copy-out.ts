// COPY (query over a mirror) TO STDOUT / COPY mirror [(cols)] TO STDOUT: the query runs like any other and its
// rows are written as CopyData in Postgres' text or CSV format (copyto.c: CopyAttributeOutText/CSV), between
// CopyOutResponse and CopyDone, ending with `COPY n`.
import { PgError } from '../route/local.js';
import { notSupported } from './translate/errors.js';
import type { Obj } from './translate/translator.js';

export interface CopyOptions {
  csv: boolean;
  header: boolean;
  delimiter: string;
  null: string;
  quote: string;
  escape: string;
  /** column names whose non-NULL values are always quoted (CSV FORCE_QUOTE), or '*' for all */
  forceQuote: Set<string> | '*';
}

function optText(d: Obj): string | null {
  const a = d.arg as Obj | undefined;
  if (!a) return null;
  const [k] = Object.keys(a);
  const v = (a[k!] as Obj) ?? {};
  if (k === 'String') return String(v.sval ?? '');
  if (k === 'Boolean') return v.boolval ? 'true' : 'false';
  if (k === 'Integer') return String(v.ival ?? 0);
  return null;
}

function bool(v: string | null): boolean {
  if (v === null) return true;
  const s = v.toLowerCase();
  if (['true', 'on', '1', 'yes', 't'].includes(s)) return true;
  if (['false', 'off', '0', 'no', 'f'].includes(s)) return false;
  throw new PgError('22023', `header requires a Boolean value or "match"`);
}

/** Reads COPY … TO options (the ones that shape the output); refuses the rest. */
export function copyOptions(stmt: Obj): CopyOptions {
  const o: CopyOptions = { csv: false, header: false, delimiter: '\t', null: '\\N', quote: '"', escape: '"', forceQuote: new Set() };
  let delimiter: string | null = null;
  let nul: string | null = null;
  let escape: string | null = null;
  for (const e of (stmt.options as Obj[] | undefined) ?? []) {
    const d = e.DefElem as Obj;
    const name = (d.defname as string).toLowerCase();
    const v = optText(d);
    switch (name) {
      case 'format':
        if (v === 'csv') o.csv = true;
        else if (v !== 'text') notSupported(`COPY format ${v}`);
        break;
      case 'header':
        o.header = bool(v);
        break;
      case 'delimiter':
        delimiter = v;
        break;
      case 'null':
        nul = v;
        break;
      case 'quote':
        o.quote = v ?? '"';
        break;
      case 'escape':
        escape = v;
        break;
      case 'force_quote': {
        const a = d.arg as Obj | undefined;
        if (a && 'A_Star' in a) o.forceQuote = '*';
        else o.forceQuote = new Set((((a?.List as Obj | undefined)?.items as Obj[] | undefined) ?? []).map((x) => String((x.String as Obj).sval)));
        break;
      }
      default:
        notSupported(`COPY option ${name.toUpperCase()}`);
    }
  }
  if (o.csv) {
    o.delimiter = delimiter ?? ',';
    o.null = nul ?? '';
    o.escape = escape ?? o.quote;
  } else {
    o.delimiter = delimiter ?? '\t';
    o.null = nul ?? '\\N';
    if (o.header) {
      // text format with HEADER is allowed since PG 15
    }
  }
  if (o.delimiter.length !== 1) throw new PgError('0A000', 'COPY delimiter must be a single one-byte character');
  return o;
}

/** CopyAttributeOutText */
export function textField(s: string, delim: string): string {
  let out = '';
  for (const c of s) {
    switch (c) {
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\v':
        out += '\\v';
        break;
      default:
        out += c === delim ? '\\' + c : c;
    }
  }
  return out;
}

/** CopyAttributeOutCSV */
export function csvField(s: string, o: CopyOptions, force: boolean): string {
  let quote = force || s === o.null;
  if (!quote) {
    // a lone \. would read back as end-of-data
    if (s === '\\.') quote = true;
    for (const c of s) {
      if (c === o.delimiter || c === o.quote || c === '\n' || c === '\r') {
        quote = true;
        break;
      }
    }
  }
  if (!quote) return s;
  let out = o.quote;
  for (const c of s) {
    if (c === o.quote || c === o.escape) out += o.escape;
    out += c;
  }
  return out + o.quote;
}

/** One COPY line (without the CopyData framing). */
export function copyLine(values: (string | null)[], names: string[], o: CopyOptions): string {
  const parts = values.map((v, i) => {
    if (v === null) return o.null;
    if (!o.csv) return textField(v, o.delimiter);
    return csvField(v, o, o.forceQuote === '*' || o.forceQuote.has(names[i]!));
  });
  return parts.join(o.delimiter) + '\n';
}

export function headerLine(names: string[], o: CopyOptions): string {
  if (!o.csv) return names.map((n) => textField(n, o.delimiter)).join(o.delimiter) + '\n';
  return names.map((n) => csvField(n, { ...o, null: '\u0000' }, false)).join(o.delimiter) + '\n';
}

export function copyOutResponse(ncols: number): Buffer {
  const b = Buffer.alloc(1 + 4 + 1 + 2 + 2 * ncols);
  b[0] = 0x48;
  b.writeInt32BE(b.length - 1, 1);
  b[5] = 0;
  b.writeInt16BE(ncols, 6);
  return b;
}

export function copyData(line: string): Buffer {
  const body = Buffer.from(line, 'utf8');
  const b = Buffer.alloc(5 + body.length);
  b[0] = 0x64;
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}

export const copyDone = Buffer.from([0x63, 0, 0, 0, 4]);

/** The text inside the parentheses of `COPY ( … ) TO`, skipping quoted strings and comments. */
export function copyQueryText(sql: string): string | null {
  const start = sql.indexOf('(');
  if (start < 0) return null;
  let depth = 0;
  for (let i = start; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const q = c;
      for (i++; i < sql.length; i++) {
        if (sql[i] === q) {
          if (sql[i + 1] === q) i++;
          else break;
        }
      }
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return null;
      i = end + 1;
      continue;
    }
    if (c === '$') {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (m) {
        const end = sql.indexOf(m[0], i + m[0].length);
        if (end < 0) return null;
        i = end + m[0].length - 1;
        continue;
      }
    }
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return sql.slice(start + 1, i);
    }
  }
  return null;
}
