// Identifier rules the AST alone cannot answer: IvorySQL's Oracle-mode case interchange for quoted
// names, Oracle-only lexemes that a PG parser misreads, and the source extent of a (qualified) name.
import { scanSync } from 'libpg-query';
import { SourceText } from './source.js';

/**
 * IvorySQL (identifier_case_switch = interchange, the default) folds a *quoted* identifier whose ASCII
 * letters are all upper case to lower case, one whose letters are all lower case to upper case, and keeps
 * mixed case; unquoted names fold to lower case as in PG (ivorysql.md §2). Multi-byte characters are
 * never changed (IvorySQL skips them too).
 */
export function oracleCase(quoted: string): string {
  const hasLower = /[a-z]/.test(quoted);
  const hasUpper = /[A-Z]/.test(quoted);
  if (!hasLower) return hasUpper ? quoted.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : quoted;
  if (!hasUpper) return quoted.replace(/[a-z]+/g, (s) => s.toUpperCase());
  return quoted;
}

export type OracleLex = { ok: true; text: string } | { ok: false; reason: 'oracle-syntax'; detail: string };

/**
 * Prepares Oracle-mode SQL for the PG parser: rewrites every quoted identifier by the interchange rule
 * (same length, so parser locations stay valid for the original text) and refuses Oracle q-quoting,
 * which the PG lexer reads as `q '…'` (a type cast) instead of a string.
 */
export function prepareOracleSql(sql: string): OracleLex {
  if (!sql.includes('"') && !/[qQ]'/.test(sql)) return { ok: true, text: sql };
  let tokens;
  try {
    tokens = scanSync(sql).tokens;
  } catch (e) {
    // e.g. q'[it's]': the PG lexer sees an unterminated string
    return { ok: false, reason: 'oracle-syntax', detail: (e as Error).message };
  }
  const src = new SourceText(sql);
  let out: string[] | null = null;
  let last = 0;
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]!;
    if (tok.tokenName === 'IDENT' && /^n?q$/i.test(tok.text)) {
      const next = tokens[t + 1];
      if (next && next.start === tok.end && next.text.startsWith("'")) {
        return { ok: false, reason: 'oracle-syntax', detail: `Oracle q-quoted literal at byte ${tok.start}` };
      }
    }
    if (tok.tokenName !== 'IDENT' || !tok.text.startsWith('"')) continue;
    const folded = oracleCase(tok.text);
    if (folded === tok.text) continue;
    const from = src.index(tok.start);
    out ??= [];
    out.push(sql.slice(last, from), folded);
    last = src.index(tok.end);
  }
  if (!out) return { ok: true, text: sql };
  out.push(sql.slice(last));
  return { ok: true, text: out.join('') };
}

/**
 * UTF-16 index just past a name of `parts` dot-separated identifiers starting at `start`
 * (`public . "Trades" /* c *\/` style spacing and comments allowed between parts), or -1.
 */
export function qualifiedNameEnd(sql: string, start: number, parts: number): number {
  let i = start;
  for (let p = 0; p < parts; p++) {
    if (p > 0) {
      i = skipBlank(sql, i);
      if (sql[i] !== '.') return -1;
      i = skipBlank(sql, i + 1);
    }
    i = identifierEnd(sql, i);
    if (i < 0) return -1;
  }
  return i;
}

function identifierEnd(sql: string, i: number): number {
  if ((sql[i] === 'U' || sql[i] === 'u') && sql[i + 1] === '&' && sql[i + 2] === '"') i += 2;
  if (sql[i] === '"') {
    for (let j = i + 1; j < sql.length; j++) {
      if (sql[j] !== '"') continue;
      if (sql[j + 1] === '"') j++;
      else return j + 1;
    }
    return -1;
  }
  if (!isIdentStart(sql.charCodeAt(i))) return -1;
  let j = i + 1;
  while (j < sql.length && isIdentPart(sql.charCodeAt(j))) j++;
  return j;
}

// scan.l: ident_start [A-Za-z\200-\377_], ident_cont adds [0-9\$]
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 36;
}

function skipBlank(sql: string, i: number): number {
  for (;;) {
    const c = sql[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') i++;
    else if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1; // PG block comments nest
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else return i;
  }
}
