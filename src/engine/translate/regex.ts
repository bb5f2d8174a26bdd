// regexp_replace(source, pattern, replacement) without flags, for the patterns on which Postgres' regex engine
// (Spencer ARE: leftmost-longest, earlier parts longest) and DuckDB's (RE2: leftmost-first, greedy tries more
// first) provably choose the same match and the same groups. The rule, checked on the pattern's text:
//
// - Anchored: `^` first and `$` last, nowhere else. The pattern matches the whole string or not at all, so the
//   two engines cannot disagree on which match (and a string without a match comes back unchanged in both).
// - Between them a sequence of items: a literal character (anything but `.[](){}|*+?^$\`, or `\` before a
//   character that is no letter or digit), `.`, or a bracket expression of literal characters (optionally
//   negated; no ranges, classes or escapes), each optionally followed by a greedy `?`, `*` or `+`; a capturing
//   group of such items (not nested, at most 9); and at most one optional literal `(?:abc)?`.
// - Every quantified item is forced: the next item is mandatory (unquantified) and matches no character the
//   quantified one matches, or the quantified item is the last before `$`. Its extent then depends only on where
//   it starts, whichever engine runs it.
// - The optional literal is the one free choice; it lies before the first capturing group. RE2 takes it when a
//   match that takes it exists (greedy branch first); so does Postgres, which makes the part before a capturing
//   group as long as a match allows. Both then continue the same forced way.
// - The replacement has no backslash other than `\1`…`\9` naming an existing group and `\\`.
//
// Character semantics agree too: with no flags Postgres' `.` and negated brackets match newline (RE2: `(?s:.)`,
// negated classes match newline by default), `$` is the end of the text in both, and both compare code points.
// Anything else is refused (0A000).
import { notSupported } from './errors.js';

type CharSet = { neg: boolean; chars: Set<string> } | { any: true };

interface Atom {
  set: CharSet;
  q: '' | '?' | '*' | '+';
  /** index of the capturing group it is in, or -1 */
  group: number;
}

interface Parsed {
  /** the pattern in RE2 syntax */
  re2: string;
  groups: number;
}

const META = new Set(['.', '[', ']', '(', ')', '{', '}', '|', '*', '+', '?', '^', '$', '\\']);
const refuse = (why: string): never => notSupported(`regexp_replace() with this pattern (${why})`);

/** RE2 spelling of one code point: \x{…} needs no escaping rules */
const hex = (c: string) => `\\x{${c.codePointAt(0)!.toString(16)}}`;

function setRe2(s: CharSet): string {
  if ('any' in s) return '(?s:.)';
  if (!s.neg && s.chars.size === 1) return hex([...s.chars][0]!);
  return `[${s.neg ? '^' : ''}${[...s.chars].map(hex).join('')}]`;
}

function disjoint(a: CharSet, b: CharSet): boolean {
  if ('any' in a || 'any' in b) return false;
  if (a.neg && b.neg) return false;
  if (!a.neg && !b.neg) return [...a.chars].every((c) => !b.chars.has(c));
  const [lit, neg] = a.neg ? [b, a] : [a, b];
  return [...(lit as { chars: Set<string> }).chars].every((c) => (neg as { chars: Set<string> }).chars.has(c));
}

function parsePattern(p: string): Parsed {
  const cs = [...p];
  if (cs[0] !== '^' || cs[cs.length - 1] !== '$' || cs.length < 2) refuse('not anchored with ^ … $');
  if (cs[cs.length - 2] === '\\') refuse('escaped $');
  const body = cs.slice(1, -1);
  const atoms: Atom[] = [];
  let re2 = '^';
  let groups = 0;
  let group = -1;
  let optional = -1; // index in atoms where the optional literal sits
  let i = 0;
  /** one character item (no quantifier); null at a group boundary */
  const charItem = (): CharSet | null => {
    const c = body[i]!;
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined || /[\p{L}\p{N}]/u.test(n)) refuse('escape sequences');
      i += 2;
      return { neg: false, chars: new Set([n!]) };
    }
    if (c === '.') {
      i++;
      return { any: true };
    }
    if (c === '[') {
      let j = i + 1;
      const neg = body[j] === '^';
      if (neg) j++;
      const chars = new Set<string>();
      for (; j < body.length && body[j] !== ']'; j++) {
        const b = body[j]!;
        if (b === '[' || b === '\\' || b === '-' || b === '^') refuse('bracket expression with ranges, classes or escapes');
        chars.add(b);
      }
      if (j >= body.length || chars.size === 0) refuse('bracket expression');
      i = j + 1;
      return { neg, chars };
    }
    if (META.has(c)) return null;
    i++;
    return { neg: false, chars: new Set([c]) };
  };
  const quantifier = (): Atom['q'] => {
    const c = body[i];
    if (c === '?' || c === '*' || c === '+') {
      i++;
      if (body[i] === '?' || body[i] === '*' || body[i] === '+' || body[i] === '{') refuse('non-greedy or repeated quantifiers');
      return c;
    }
    if (c === '{') refuse('bounds {m,n}');
    return '';
  };
  while (i < body.length) {
    const c = body[i]!;
    if (c === '(' && body[i + 1] === '?') {
      if (body[i + 2] !== ':' || group >= 0) refuse('groups other than (…) and one optional (?:…)?');
      const close = body.indexOf(')', i + 3);
      if (close < 0) refuse('unbalanced parentheses');
      i += 3;
      const lits: string[] = [];
      while (i < close) {
        const s = charItem();
        if (!s || 'any' in s || s.neg || s.chars.size !== 1) refuse('(?:…) with more than literal characters');
        lits.push([...(s as { chars: Set<string> }).chars][0]!);
      }
      i = close + 1;
      if (body[i] !== '?' || body[i + 1] === '?' || body[i + 1] === '*' || body[i + 1] === '+' || body[i + 1] === '{') refuse('(?:…) not optional');
      i++;
      if (optional >= 0 || groups > 0 || lits.length === 0) refuse('more than one optional literal, or one after a capturing group');
      optional = atoms.length;
      re2 += `(?:${lits.map(hex).join('')})?`;
      continue;
    }
    if (c === '(') {
      if (group >= 0) refuse('nested groups');
      if (++groups > 9) refuse('more than 9 groups');
      group = groups;
      re2 += '(';
      i++;
      continue;
    }
    if (c === ')') {
      if (group < 0) refuse('unbalanced parentheses');
      if (atoms.length === 0 || atoms[atoms.length - 1]!.group !== group) refuse('empty group');
      if (body[i + 1] === '?' || body[i + 1] === '*' || body[i + 1] === '+' || body[i + 1] === '{') refuse('quantified groups');
      group = -1;
      re2 += ')';
      i++;
      continue;
    }
    const s = charItem();
    if (!s) refuse(`'${c}' where a character is expected`);
    const q = quantifier();
    atoms.push({ set: s!, q, group });
    re2 += setRe2(s!) + q;
  }
  if (group >= 0) refuse('unbalanced parentheses');
  // every quantified atom is forced: the next atom is mandatory and disjoint, or there is none
  atoms.forEach((a, k) => {
    if (!a.q) return;
    const next = atoms[k + 1];
    if (k + 1 === optional) refuse('a quantified item before the optional literal');
    if (next && (next.q || !disjoint(a.set, next.set))) refuse('a quantifier whose extent is not forced');
  });
  if (optional >= 0 && optional === atoms.length) refuse('the optional literal last');
  return { re2: re2 + '$', groups };
}

function checkReplacement(r: string, groups: number): string {
  for (let i = 0; i < r.length; i++) {
    if (r[i] !== '\\') continue;
    const n = r[i + 1];
    if (n === '\\') {
      i++;
      continue;
    }
    if (n !== undefined && n >= '1' && n <= '9' && Number(n) <= groups) {
      i++;
      continue;
    }
    refuse('a replacement with backslashes other than \\1…\\9 and \\\\');
  }
  return r;
}

/** DuckDB's pattern and replacement for Postgres' regexp_replace(x, pattern, replacement), or 0A000 */
export function regexpReplaceRe2(pattern: string, replacement: string): { pattern: string; replacement: string } {
  const p = parsePattern(pattern);
  return { pattern: p.re2, replacement: checkReplacement(replacement, p.groups) };
}

// ---- match operators (`~`, `!~`, `~*`, `!~*`) -------------------------------------------------------------------
//
// Whether a pattern matches somewhere does not depend on which match an engine prefers, only on the set of strings
// the pattern describes. So `x ~ 'pattern'` is answered by RE2 for every pattern written with constructs that
// mean the same set in Postgres' ARE syntax and in RE2, each re-spelled explicitly:
// - literal characters (any but `.[](){}|*+?^$\`), `\` before a character that is no letter or digit, and
//   `\t \n \r \f \v`;
// - `.` (any character, newline included: Postgres matches without the newline-sensitive flag) → `(?s:.)`;
// - bracket expressions of literal characters and ranges (code-point ranges in both), optionally negated (a
//   negated set also matches newline in both); `]` first and `-` first or last are literal, as in Postgres;
// - groups `(…)` and `(?:…)`, alternation `|`, quantifiers `* + ? {m} {m,} {m,n}` (m, n ≤ 255, Postgres' limit),
//   greedy or not;
// - anchors `^` and `$` (start and end of the whole string in both without flags).
// Classes (`\d \w \s`, `[[:alpha:]]`) follow the collation's character classes in Postgres and ASCII in RE2,
// backreferences and lookahead have no RE2 form: all are refused (0A000).
// `~*`: Postgres compiles each pattern character to the set of its case forms under the collation's ctype and
// matches the text as it is. For an ASCII letter that set is the letter and its ASCII counterpart in every
// provider and locale but Turkish/Azeri (i ↔ İ, ı ↔ I; the caller refuses those), so the pattern is spelled
// with both forms and RE2 runs case-sensitively; a non-ASCII character in the pattern is refused.

const refuseMatch = (why: string): never => notSupported(`the regular expression operator with this pattern (${why})`);

const CONTROL_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f', v: '\v' };

/** RE2 spelling of a character set: a bracket of \x{…} code points and ranges */
function bracketRe2(neg: boolean, items: [number, number][]): string {
  const part = ([a, b]: [number, number]) => (a === b ? `\\x{${a.toString(16)}}` : `\\x{${a.toString(16)}}-\\x{${b.toString(16)}}`);
  return `[${neg ? '^' : ''}${items.map(part).join('')}]`;
}

/** the other-case ASCII letter of code point c, or null */
function asciiOtherCase(c: number): number | null {
  if (c >= 0x41 && c <= 0x5a) return c + 32;
  if (c >= 0x61 && c <= 0x7a) return c - 32;
  return null;
}

/** The RE2 pattern (unanchored search, as `~` is) for Postgres' `x ~ pattern` (`icase`: `~*`), or 0A000. */
export function regexMatchRe2(pattern: string, icase = false): string {
  const cs = [...pattern];
  if (icase && cs.some((c) => c.codePointAt(0)! > 0x7f)) refuseMatch('a non-ASCII character under ~*');
  /** one literal character: both ASCII cases under icase */
  const lit = (c: string): string => {
    const o = icase ? asciiOtherCase(c.codePointAt(0)!) : null;
    return o === null ? hex(c) : bracketRe2(false, [[c.codePointAt(0)!, c.codePointAt(0)!], [o, o]]);
  };
  let i = 0;
  const peek = () => cs[i];

  const bound = (): string | null => {
    // {m}, {m,}, {m,n}: Postgres requires digits right after '{'
    if (peek() !== '{') return null;
    let j = i + 1;
    let m = '';
    while (j < cs.length && /[0-9]/.test(cs[j]!)) m += cs[j++];
    if (m === '') refuseMatch("'{' that does not start a bound");
    let n: string | null = m;
    if (cs[j] === ',') {
      j++;
      n = '';
      while (j < cs.length && /[0-9]/.test(cs[j]!)) n += cs[j++];
    }
    if (cs[j] !== '}') refuseMatch('a malformed bound');
    const lo = Number(m);
    const hi = n === '' ? null : Number(n);
    if (lo > 255 || (hi !== null && (hi > 255 || hi < lo))) refuseMatch('a bound Postgres rejects');
    i = j + 1;
    return `{${lo}${n === m ? '' : `,${hi ?? ''}`}}`;
  };

  const quantifier = (): string => {
    const c = peek();
    let q: string | null = null;
    if (c === '*' || c === '+' || c === '?') {
      i++;
      q = c;
    } else q = bound();
    if (q === null) return '';
    // a non-greedy form matches the same strings
    if (peek() === '?') i++;
    if (peek() === '*' || peek() === '+' || peek() === '?' || peek() === '{') refuseMatch('a repeated quantifier');
    return q;
  };

  const bracket = (): string => {
    i++; // '['
    let neg = false;
    if (peek() === '^') {
      neg = true;
      i++;
    }
    const items: [number, number][] = [];
    let first = true;
    for (;;) {
      const c = peek();
      if (c === undefined) refuseMatch('an unterminated bracket expression');
      if (c === ']' && !first) {
        i++;
        break;
      }
      if (c === '\\' || (c === '[' && (cs[i + 1] === ':' || cs[i + 1] === '=' || cs[i + 1] === '.'))) refuseMatch('classes or escapes in a bracket expression');
      const lo = c!.codePointAt(0)!;
      i++;
      first = false;
      if (peek() === '-' && cs[i + 1] !== undefined && cs[i + 1] !== ']') {
        const hiC = cs[i + 1]!;
        if (hiC === '\\' || hiC === '[') refuseMatch('classes or escapes in a bracket expression');
        const hi = hiC.codePointAt(0)!;
        if (hi < lo) refuseMatch('an invalid range');
        i += 2;
        items.push([lo, hi]);
        continue;
      }
      if (c === '-' && !(items.length === 0 || peek() === ']')) refuseMatch("'-' inside a bracket expression");
      items.push([lo, lo]);
    }
    if (icase) {
      // every ASCII letter in the set brings its other case (ranges are ASCII here: non-ASCII was refused)
      for (const [a, b] of [...items]) {
        for (let c = a; c <= b; c++) {
          const o = asciiOtherCase(c);
          if (o !== null) items.push([o, o]);
        }
      }
    }
    return bracketRe2(neg, items);
  };

  const atom = (): string | null => {
    const c = peek();
    if (c === undefined || c === '|' || c === ')') return null;
    if (c === '(') {
      let open = '(';
      i++;
      if (peek() === '?') {
        if (cs[i + 1] !== ':') refuseMatch('lookahead or other (?…) groups');
        i += 2;
        open = '(?:';
      }
      const inner = alternation();
      if (peek() !== ')') refuseMatch('unbalanced parentheses');
      i++;
      return `${open}${inner})`;
    }
    if (c === '[') return bracket();
    if (c === '.') {
      i++;
      return '(?s:.)';
    }
    if (c === '^' || c === '$') {
      i++;
      // an anchor takes no quantifier
      if (peek() === '*' || peek() === '+' || peek() === '?' || peek() === '{') refuseMatch('a quantified anchor');
      return c === '^' ? '^' : '$';
    }
    if (c === '\\') {
      const n = cs[i + 1];
      if (n === undefined) refuseMatch('a trailing backslash');
      i += 2;
      if (CONTROL_ESCAPES[n!]) return hex(CONTROL_ESCAPES[n!]!);
      if (/[\p{L}\p{N}]/u.test(n!)) refuseMatch(`the escape \\${n}`);
      return lit(n!);
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') refuseMatch('a quantifier with nothing before it');
    i++;
    return lit(c);
  };

  const sequence = (): string => {
    let out = '';
    for (;;) {
      const a = atom();
      if (a === null) return out;
      // anchors were checked for quantifiers already
      out += a === '^' || a === '$' ? a : a + quantifier();
    }
  };

  function alternation(): string {
    const branches = [sequence()];
    while (peek() === '|') {
      i++;
      branches.push(sequence());
    }
    return branches.join('|');
  }

  const re = alternation();
  if (i < cs.length) refuseMatch('unbalanced parentheses');
  return re;
}
