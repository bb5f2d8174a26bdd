// libpg_query (the real PG 18 grammar, WASM) behind an LRU cache keyed by SQL text: extended-protocol
// clients re-send the same Parse text, and a hit skips both the parse (~80 µs) and the AST walk.
import { loadModule, parseSync, type ParseResult } from 'libpg-query';
import { prepareOracleSql, qualifiedNameEnd } from './identifiers.js';
import { Lru } from './lru.js';
import { SourceText } from './source.js';
import { analyzeStatement, type StatementInfo } from './statement.js';

export type ParsedSql =
  | {
      ok: true;
      /** whole parse result (frozen) */
      ast: ParseResult;
      statements: readonly StatementInfo[];
      /** the SQL the parser saw: Oracle mode rewrites quoted identifiers (same length and offsets) */
      parsedText: string;
    }
  | { ok: false; reason: 'unparseable' | 'oracle-syntax'; detail: string };

let loaded: Promise<void> | null = null;
let ready = false;

/** Loads the WASM parser; must be awaited once before classify(). Safe to call repeatedly. */
export function loadParser(): Promise<void> {
  loaded ??= loadModule().then(() => {
    ready = true;
  });
  return loaded;
}

export function parserReady(): boolean {
  return ready;
}

// Bounds: entries, and total SQL characters per mode (a parsed AST is roughly 10-30x its text).
// Long texts (bulk INSERTs, dumps) are parsed but not cached, so they cannot flush the cache.
const CACHE_ENTRIES = 2000;
const CACHE_MAX_CHARS = 2 * 1024 * 1024;
const CACHE_MAX_SQL = 64 * 1024;
// one cache per mode: the same text parses differently under Oracle identifier rules
const pgCache = new Lru<string, ParsedSql>(CACHE_ENTRIES, CACHE_MAX_CHARS);
const oracleCache = new Lru<string, ParsedSql>(CACHE_ENTRIES, CACHE_MAX_CHARS);

export const parseCache = {
  get size() {
    return pgCache.size + oracleCache.size;
  },
  clear: () => {
    pgCache.clear();
    oracleCache.clear();
  },
};

/** Parses (or fetches from cache) and analyses every statement of `sql`. */
export function parseSql(sql: string, oracle: boolean): ParsedSql {
  const cache = oracle ? oracleCache : pgCache;
  const hit = cache.get(sql);
  if (hit) return hit;
  const parsed = deepFreeze(parseUncached(sql, oracle));
  if (sql.length <= CACHE_MAX_SQL) cache.set(sql, parsed, sql.length);
  return parsed;
}

function parseUncached(sql: string, oracle: boolean): ParsedSql {
  if (!ready) throw new Error('route: libpg-query is not loaded; await loadParser() at startup');
  let text = sql;
  if (oracle) {
    const prep = prepareOracleSql(sql);
    if (!prep.ok) return prep;
    text = prep.text;
  }
  let ast: ParseResult;
  try {
    ast = parseSync(text);
  } catch (e) {
    return { ok: false, reason: oracle ? 'oracle-syntax' : 'unparseable', detail: (e as Error).message };
  }
  const src = new SourceText(sql);
  const statements: StatementInfo[] = [];
  for (const raw of ast.stmts ?? []) {
    if (!raw.stmt) continue;
    const byteStart = raw.stmt_location ?? 0;
    let start = src.index(byteStart);
    let end = raw.stmt_len ? src.index(byteStart + raw.stmt_len) : sql.length;
    while (start < end && /\s/.test(sql[start]!)) start++;
    while (end > start && /\s/.test(sql[end - 1]!)) end--;
    const info = analyzeStatement(raw.stmt);
    for (const u of info.uses) {
      if (u.location < 0) continue;
      u.start = src.index(u.location);
      u.end = qualifiedNameEnd(sql, u.start, u.parts);
    }
    statements.push({ ...info, start, end });
  }
  return { ok: true, ast, statements, parsedText: text };
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
