// json/jsonb field access with Postgres' results: `->`, `->>`, `#>`, `#>>`, jsonb_typeof, jsonb_array_length.
// DuckDB's JSON functions re-render numbers through double (1.50 → 1.5), so values are cut out of the stored
// text here: json returns the value's text as written, jsonb its normalised rendering (results/json.ts).
import { PgError } from '../route/local.js';
import { jsonbText } from './results/index.js';

interface Span {
  type: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';
  start: number;
  end: number;
  /** object members (key, value) in order; array items */
  members?: [string, Span][];
  items?: Span[];
  /** decoded string value */
  str?: string;
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(): never {
    throw new PgError('22P02', 'invalid input syntax for type json');
  }

  ws(): void {
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.i++;
      else return;
    }
  }

  value(): Span {
    this.ws();
    const start = this.i;
    const c = this.s[this.i];
    if (c === '{') {
      this.i++;
      const members: [string, Span][] = [];
      this.ws();
      if (this.s[this.i] === '}') this.i++;
      else {
        for (;;) {
          this.ws();
          if (this.s[this.i] !== '"') this.fail();
          const k = this.string();
          this.ws();
          if (this.s[this.i] !== ':') this.fail();
          this.i++;
          members.push([k, this.value()]);
          this.ws();
          if (this.s[this.i] === ',') {
            this.i++;
            continue;
          }
          if (this.s[this.i] === '}') {
            this.i++;
            break;
          }
          this.fail();
        }
      }
      return { type: 'object', start, end: this.i, members };
    }
    if (c === '[') {
      this.i++;
      const items: Span[] = [];
      this.ws();
      if (this.s[this.i] === ']') this.i++;
      else {
        for (;;) {
          items.push(this.value());
          this.ws();
          if (this.s[this.i] === ',') {
            this.i++;
            continue;
          }
          if (this.s[this.i] === ']') {
            this.i++;
            break;
          }
          this.fail();
        }
      }
      return { type: 'array', start, end: this.i, items };
    }
    if (c === '"') {
      const str = this.string();
      return { type: 'string', start, end: this.i, str };
    }
    for (const [word, type] of [['true', 'boolean'], ['false', 'boolean'], ['null', 'null']] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return { type, start, end: this.i };
      }
    }
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const r = m.exec(this.s);
    if (!r || r[0] === '') this.fail();
    this.i += r[0].length;
    return { type: 'number', start, end: this.i };
  }

  string(): string {
    // at the opening quote; JSON.parse decodes the escapes of the exact slice
    const start = this.i;
    this.i++;
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (Number.isNaN(c)) this.fail();
      if (c === 92) this.i += 2;
      else if (c === 34) {
        this.i++;
        break;
      } else this.i++;
    }
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }
}

function parse(text: string): Span {
  const p = new Parser(text);
  const v = p.value();
  p.ws();
  if (p.i !== text.length) p.fail();
  return v;
}

function field(v: Span, key: string): Span | null {
  if (v.type !== 'object') return null;
  // jsonb keeps the last of duplicate keys; json operators find the last match too
  for (let i = v.members!.length - 1; i >= 0; i--) if (v.members![i]![0] === key) return v.members![i]![1];
  return null;
}

function element(v: Span, idx: number): Span | null {
  if (v.type !== 'array') return null;
  const n = v.items!.length;
  const i = idx < 0 ? n + idx : idx;
  return i >= 0 && i < n ? v.items![i]! : null;
}

function out(text: string, v: Span | null, asText: boolean, jsonb: boolean): string | null {
  if (!v) return null;
  if (asText) {
    if (v.type === 'null') return null;
    if (v.type === 'string') return v.str!;
  }
  const raw = text.slice(v.start, v.end);
  return jsonb ? jsonbText(raw) : raw;
}

/** `j -> key` / `j ->> key` */
export function jsonGet(text: string, key: string, asText: boolean, jsonb: boolean): string | null {
  return out(text, field(parse(text), key), asText, jsonb);
}

/** `j -> n` / `j ->> n` */
export function jsonIndex(text: string, idx: number, asText: boolean, jsonb: boolean): string | null {
  const v = parse(text);
  // jsonb stores a bare scalar as a one-element array, and `->` with an index reads it as one (`#>` does not)
  if (jsonb && v.type !== 'array' && v.type !== 'object') return out(text, idx === 0 || idx === -1 ? v : null, asText, jsonb);
  return out(text, element(v, idx), asText, jsonb);
}

/** `j #> path` / `j #>> path` (also json[b]_extract_path[_text]) */
export function jsonPath(text: string, path: (string | null)[], asText: boolean, jsonb: boolean): string | null {
  let v: Span | null = parse(text);
  for (const p of path) {
    if (!v || p === null) return null;
    if (v.type === 'object') v = field(v, p);
    else if (v.type === 'array') {
      if (!/^\s*[+-]?\d+\s*$/.test(p)) return null;
      v = element(v, Number(p));
    } else return null;
  }
  return out(text, v, asText, jsonb);
}

export function jsonTypeof(text: string): string {
  return parse(text).type;
}

export function jsonArrayLength(text: string, jsonb: boolean): number {
  const v = parse(text);
  if (v.type === 'array') return v.items!.length;
  if (jsonb) throw new PgError('22023', v.type === 'object' ? 'cannot get array length of a non-array' : 'cannot get array length of a scalar');
  throw new PgError('22023', v.type === 'object' ? 'cannot get array length of a non-array' : 'cannot get array length of a scalar');
}

// ---- jsonb existence and containment (? ?| ?& @>) ----------------------------------------------------

/** `j ? key`: an object key, an array string element, or the string scalar itself */
export function jsonbExists(text: string, key: string): boolean {
  const v = parse(text);
  if (v.type === 'object') return v.members!.some(([k]) => k === key);
  if (v.type === 'array') return v.items!.some((x) => x.type === 'string' && x.str === key);
  return v.type === 'string' && v.str === key;
}

function numericEqual(a: string, b: string): boolean {
  const norm = (s: string) => {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(s)!;
    let digits = m[2]! + (m[3] ?? '');
    let exp = (m[4] ? Number(m[4]) : 0) - (m[3] ?? '').length;
    digits = digits.replace(/^0+/, '');
    if (digits === '') return '0';
    while (digits.endsWith('0')) {
      digits = digits.slice(0, -1);
      exp++;
    }
    return `${m[1]}${digits}e${exp}`;
  };
  return norm(a) === norm(b);
}

function scalarEqual(ta: string, a: Span, tb: string, b: Span): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'string') return a.str === b.str;
  if (a.type === 'number') return numericEqual(ta.slice(a.start, a.end), tb.slice(b.start, b.end));
  return ta.slice(a.start, a.end) === tb.slice(b.start, b.end);
}

/** JsonbDeepContains */
function contains(ta: string, a: Span, tb: string, b: Span, top: boolean): boolean {
  if (a.type === 'object' && b.type === 'object') {
    for (const [k, bv] of b.members!) {
      const av = field(a, k);
      if (!av) return false;
      if (av.type === 'object' || av.type === 'array' || bv.type === 'object' || bv.type === 'array') {
        if (!contains(ta, av, tb, bv, false)) return false;
      } else if (!scalarEqual(ta, av, tb, bv)) return false;
    }
    return true;
  }
  if (a.type === 'array' && b.type === 'array') {
    for (const bv of b.items!) {
      const found = a.items!.some((av) =>
        bv.type === 'object' || bv.type === 'array' ? (av.type === bv.type && contains(ta, av, tb, bv, false)) : scalarEqual(ta, av, tb, bv),
      );
      if (!found) return false;
    }
    return true;
  }
  // a top-level array contains a bare scalar of its own
  if (top && a.type === 'array' && b.type !== 'object' && b.type !== 'array') return a.items!.some((av) => scalarEqual(ta, av, tb, b));
  if (a.type === 'object' || a.type === 'array' || b.type === 'object' || b.type === 'array') return false;
  return scalarEqual(ta, a, tb, b);
}

/** `a @> b` for jsonb */
export function jsonbContains(a: string, b: string): boolean {
  return contains(a, parse(a), b, parse(b), true);
}

// ---- set-returning json functions (jsonb_array_elements, jsonb_each, jsonb_object_keys) -------------

function arrayOf(text: string, what: string): Span {
  const v = parse(text);
  if (v.type !== 'array') throw new PgError('22023', `cannot extract elements from ${v.type === 'object' ? 'an object' : 'a scalar'}`);
  void what;
  return v;
}

/** jsonb_array_elements[_text] / json_… : the elements as json(b) text, or as text */
export function jsonElements(text: string, asText: boolean, jsonb: boolean): (string | null)[] {
  const v = arrayOf(text, 'elements');
  return v.items!.map((x) => out(text, x, asText, jsonb));
}

/** the members Postgres lists: jsonb keeps one per key in its storage order (length, then bytes); json all, as written */
function members(text: string, fn: string, jsonb: boolean): [string, Span][] {
  const v = parse(text);
  if (v.type !== 'object') throw new PgError('22023', `cannot call ${fn} on ${v.type === 'array' ? 'an array' : 'a scalar'}`);
  if (!jsonb) return v.members!;
  const last = new Map<string, Span>();
  for (const [k, s] of v.members!) last.set(k, s);
  const keys = [...last.keys()].sort((a, b) => {
    const ba = Buffer.from(a, 'utf8');
    const bb = Buffer.from(b, 'utf8');
    return ba.length !== bb.length ? ba.length - bb.length : Buffer.compare(ba, bb);
  });
  return keys.map((k) => [k, last.get(k)!]);
}

export function jsonKeys(text: string, jsonb: boolean): string[] {
  return members(text, jsonb ? 'jsonb_object_keys' : 'json_object_keys', jsonb).map(([k]) => k);
}

export function jsonEach(text: string, asText: boolean, jsonb: boolean): { key: string; value: string | null }[] {
  const fn = `${jsonb ? 'jsonb' : 'json'}_each${asText ? '_text' : ''}`;
  return members(text, fn, jsonb).map(([key, s]) => ({ key, value: out(text, s, asText, jsonb) }));
}
