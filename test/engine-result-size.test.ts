// Which mirror statements run materialised in one DuckDB call (result-size.ts): only those whose row count is
// bounded whatever the data; everything else must keep streaming.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadParser, parseSql } from '../src/route/parser.js';
import { smallResult } from '../src/engine/result-size.js';

before(async () => {
  await loadParser();
});

function small(sql: string): boolean {
  const p = parseSql(sql, false);
  if (!p.ok) throw new Error(`parse: ${sql}`);
  return smallResult(p.statements[0]!.stmt);
}

test('aggregates without GROUP BY and small constant LIMITs are small', () => {
  for (const sql of [
    'SELECT count(*) FROM t',
    'SELECT count(*) + 1, max(a) - min(a) FROM t WHERE b > 0',
    'SELECT sum(a) FROM t HAVING sum(a) > 3',
    'SELECT count(DISTINCT a), (SELECT count(*) FROM u) FROM t',
    'SELECT a, count(*) FROM t GROUP BY a ORDER BY 2 DESC LIMIT 10',
    'SELECT a FROM t ORDER BY a LIMIT 10 OFFSET 100000',
    'SELECT a FROM t UNION ALL SELECT b FROM u LIMIT 5',
  ]) assert.equal(small(sql), true, sql);
});

test('anything that may return many rows is not', () => {
  for (const sql of [
    'SELECT a FROM t',
    'SELECT a, count(*) FROM t GROUP BY a',
    'SELECT count(*) OVER () FROM t',
    'SELECT unnest(array_agg(a)) FROM t',
    'SELECT generate_series(1, count(*)) FROM t',
    'SELECT a FROM t LIMIT 100000',
    'SELECT a FROM t LIMIT ALL',
    'SELECT a FROM t LIMIT $1',
    'SELECT count(*) FROM t UNION ALL SELECT a FROM u',
    'SELECT (SELECT count(*) FROM u) FROM t',
  ]) assert.equal(small(sql), false, sql);
});
