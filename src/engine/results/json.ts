// json and jsonb. json output is the stored text unchanged. jsonb output is PG's normalised rendering
// (JsonbToCString): object keys sorted by byte length then bytes, duplicate keys resolved last-wins, `": "` and
// `", "` separators, numbers re-rendered by numeric_out (`1.5E+3` → `1500`, `-0.0` → `0.0`), strings re-escaped
// by escape_json. DuckDB holds both as JSON text, so jsonb columns are re-normalised here.
// Binary: json = text bytes; jsonb = version byte 1 + the normalised text.
import { typeError, type TypeCodec } from './codec.js';
import { numericText, parseNumeric } from './numeric.js';
import { PG } from './oids.js';

type J =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; raw: string }
  | { t: 'str'; v: string }
  | { t: 'arr'; items: J[] }
  | { t: 'obj'; entries: [string, J][] };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Minimal RFC 8259 parser keeping number text and duplicate keys (JSON.parse loses both). */
export function parseJson(text: string): J {
  let i = 0;
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else return;
    }
  };
  const fail = (): never => {
    throw new Error(`invalid input syntax for type json at offset ${i}`);
  };
  const str = (): string => {
    // caller is at the opening quote
    i++;
    let out = '';
    let start = i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail();
      if (c === 34) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c === 92) {
        out += text.slice(start, i);
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const h = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail();
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default:
            fail();
        }
        start = i;
        continue;
      }
      if (c < 0x20) fail();
      i++;
    }
  };
  const value = (): J => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, J][] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = str();
        ws();
        if (text[i++] !== ':') fail();
        entries.push([k, value()]);
        ws();
        const d = text[i++];
        if (d === '}') return { t: 'obj', entries };
        if (d !== ',') fail();
      }
    }
    if (c === '[') {
      i++;
      const items: J[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return { t: 'arr', items };
        if (d !== ',') fail();
      }
    }
    if (c === '"') return { t: 'str', v: str() };
    if (text.startsWith('true', i)) {
      i += 4;
      return { t: 'bool', v: true };
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return { t: 'bool', v: false };
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { t: 'null' };
    }
    NUMBER.lastIndex = i;
    const r = NUMBER.exec(text);
    if (!r || r[0] === '') fail();
    i += r![0].length;
    return { t: 'num', raw: r![0] };
  };
  const v = value();
  ws();
  if (i !== text.length) fail();
  return v;
}

/** escape_json: quotes, backslash, \b \f \n \r \t by name, other control characters as \u00xx. */
export function escapeJson(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 34 && c !== 92) continue;
    out += s.slice(start, i);
    start = i + 1;
    switch (c) {
      case 8:
        out += '\\b';
        break;
      case 12:
        out += '\\f';
        break;
      case 10:
        out += '\\n';
        break;
      case 13:
        out += '\\r';
        break;
      case 9:
        out += '\\t';
        break;
      case 34:
        out += '\\"';
        break;
      case 92:
        out += '\\\\';
        break;
      default:
        out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + s.slice(start) + '"';
}

/** jsonb key order: shorter UTF-8 first, then bytewise (lengthCompareJsonbString). */
function compareKeys(a: Buffer, b: Buffer): number {
  return a.length !== b.length ? a.length - b.length : Buffer.compare(a, b);
}

function jsonbRender(j: J): string {
  switch (j.t) {
    case 'null':
      return 'null';
    case 'bool':
      return j.v ? 'true' : 'false';
    case 'num':
      return jsonbNumber(j.raw);
    case 'str':
      return escapeJson(j.v);
    case 'arr':
      return '[' + j.items.map(jsonbRender).join(', ') + ']';
    case 'obj': {
      // later duplicates replace earlier ones
      const byKey = new Map<string, J>();
      for (const [k, v] of j.entries) byKey.set(k, v);
      const keys = [...byKey.keys()];
      // for ASCII keys UTF-16 order is byte order; otherwise compare the UTF-8 bytes
      if (keys.every(isAscii)) keys.sort((x, y) => (x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0));
      else {
        const bytes = new Map(keys.map((k) => [k, Buffer.from(k, 'utf8')]));
        keys.sort((x, y) => compareKeys(bytes.get(x)!, bytes.get(y)!));
      }
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        if (i) out += ', ';
        out += escapeJson(keys[i]!) + ': ' + jsonbRender(byKey.get(keys[i]!)!);
      }
      return out + '}';
    }
  }
}

const isAscii = (k: string) => /^[\x00-\x7f]*$/.test(k);

/** A JSON number as jsonb prints it (numeric_out of numeric_in): plain decimals stay, exponents expand, -0 → 0. */
function jsonbNumber(raw: string): string {
  if (raw.indexOf('e') < 0 && raw.indexOf('E') < 0) {
    // no exponent: the text is already numeric_out's, except that numeric zero has no sign
    return raw.charCodeAt(0) === 45 && /^-0(\.0*)?$/.test(raw) ? raw.slice(1) : raw;
  }
  return numericText(parseNumeric(raw));
}

/** jsonb_out of JSON text. */
export function jsonbText(json: string): string {
  return jsonbRender(parseJson(json));
}

function toJsonText(v: unknown, type: string): string {
  if (typeof v === 'string') return v;
  throw typeError(type, v);
}

export const jsonCodec: TypeCodec = {
  info: PG.json,
  text: (v) => toJsonText(v, 'json'),
  send: (v) => Buffer.from(toJsonText(v, 'json'), 'utf8'),
};

export const jsonbCodec: TypeCodec = {
  info: PG.jsonb,
  text: (v) => jsonbText(toJsonText(v, 'jsonb')),
  send: (v) => Buffer.from('\x01' + jsonbText(toJsonText(v, 'jsonb')), 'utf8'),
};
