// to_char(integer | numeric, format) for the picture characters reports use most: 9, 0, the decimal point '.',
// the group separator ',' and the FM (fill mode) prefix. It follows formatting.c's numeric_to_char and
// NUM_processor step by step: the value rounded half away from zero to the format's decimals, '#' for every
// digit when the integer part does not fit, one position before the first digit for the sign (a blank for
// positive values unless FM), blanks or zeros (from the first '0' on) for missing leading digits, a leading '0'
// shown as a blank before the point, and FM dropping the blanks and the trailing zeros of '9' decimals.
// Any other format (D, G, S, MI, PL, SG, PR, L, V, EEEE, RN, TH, literal text) is refused.
import { numericRound, numericText, parseNumeric } from '../results/index.js';

export interface NumFormat {
  items: ('9' | '0' | '.' | ',')[];
  fm: boolean;
  /** digits before and after the point */
  pre: number;
  post: number;
  decimal: boolean;
  /** index (0-based among the digits) of the first '0' before the point, or null */
  zeroStart: number | null;
  /** digits up to and including the last '0' (formatting.c's zero_end) */
  zeroEnd: number;
}

/** The format read as formatting.c would, or a message naming what is not supported. */
export function parseNumFormat(fmt: string): NumFormat | string {
  let body = fmt;
  const fm = /^fm/i.test(body);
  if (fm) body = body.slice(2);
  if (body.length === 0) return 'to_char() with this format';
  const f: NumFormat = { items: [], fm, pre: 0, post: 0, decimal: false, zeroStart: null, zeroEnd: 0 };
  for (const c of body) {
    if (c === '9') {
      if (f.decimal) f.post++;
      else f.pre++;
    } else if (c === '0') {
      if (f.zeroStart === null && !f.decimal) f.zeroStart = f.pre;
      if (f.decimal) f.post++;
      else f.pre++;
      f.zeroEnd = f.pre + f.post;
    } else if (c === '.') {
      // Postgres raises "multiple decimal points"
      if (f.decimal) return 'to_char() with two decimal points';
      f.decimal = true;
    } else if (c === ',') {
      // nothing to count
    } else {
      return `to_char() of a number with the format character "${c}" (supported: 9 0 . , and a leading FM)`;
    }
    f.items.push(c);
  }
  return f;
}

/**
 * to_char of a value given as numeric_out/intNout text. NaN and the infinities print as formatting.c's odd forms;
 * they are refused (the caller raises). Returns null for them.
 */
export function toCharNumber(value: string, f: NumFormat): string | null {
  const n = parseNumeric(value);
  if (n.kind !== 'finite') return null;
  // numeric_round then numeric_out: half away from zero, exactly `post` decimals, zero without a sign
  const org = numericText(numericRound(n, f.post));
  const sign = org.startsWith('-') ? '-' : '+';
  let num = sign === '-' ? org.slice(1) : org;
  const dot = num.indexOf('.');
  const preLen = dot < 0 ? num.length : dot;
  let outPre = 0;
  if (preLen < f.pre) outPre = f.pre - preLen;
  else if (preLen > f.pre) num = '#'.repeat(f.pre) + '.' + '#'.repeat(f.post);

  const isZero = f.zeroStart !== null;
  const zeroStart = f.zeroStart ?? 0;
  let signWrote = sign === '+' && f.fm;
  // FM: decimals after the last one that is not 0 are dropped, unless a '0' picture keeps them
  let last: number | null = null;
  if (f.fm && f.decimal) {
    const d = num.indexOf('.');
    if (d >= 0) {
      last = d;
      for (let i = d + 1; i < num.length; i++) if (num[i] !== '0') last = i;
      if (f.zeroEnd > outPre) {
        const lastZero = Math.min(num.length - 1, f.zeroEnd - outPre);
        if (last < lastZero) last = lastZero;
      }
    }
  }
  const lastIsPoint = last !== null && num[last] === '.';
  let out = '';
  // formatting.c writes into a C string: a NUL written when the number text is used up ends the result there
  let cut = -1;
  let p = 0;
  let curr = 0;
  let numIn = false;
  for (const item of f.items) {
    if (item === ',') {
      if (numIn) out += ',';
      else if (!f.fm) out += ' ';
      continue;
    }
    numIn = false;
    const predecSpace = !isZero && p === 0 && num[0] === '0' && f.post !== 0;
    if (!signWrote && (curr >= outPre || (isZero && zeroStart === curr)) && (!predecSpace || lastIsPoint)) {
      if (sign === '+') {
        if (!f.fm) out += ' ';
      } else {
        out += '-';
      }
      signWrote = true;
    }
    if (curr < outPre && (zeroStart > curr || !isZero)) {
      if (!f.fm) out += ' ';
    } else if (isZero && curr < outPre && zeroStart <= curr) {
      out += '0';
      numIn = true;
    } else {
      const ch = num[p];
      if (ch === '.') {
        out += '.';
      } else if (last !== null && p > last && item !== '0') {
        // dropped by FM
      } else if (predecSpace) {
        if (!f.fm) out += ' ';
        else if (lastIsPoint) out += '0';
      } else if (ch === undefined) {
        if (cut < 0) cut = out.length;
        numIn = true;
      } else {
        out += ch;
        numIn = true;
      }
      if (p < num.length) p++;
    }
    curr++;
  }
  return cut >= 0 ? out.slice(0, cut) : out;
}
