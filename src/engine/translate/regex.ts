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
