// Query results as Postgres' text rows, timed on the client: what a psql user sees, and the form answers are
// compared in (the engine's promise is byte-identical output, so no client-side parsing may hide a difference).
import pg from 'pg';

export type TextRows = (string | null)[][];

// every type arrives as Postgres' text output, untouched
const AS_TEXT = { getTypeParser: () => (v: string) => v };

export async function connectClient(cfg: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(cfg);
  c.on('error', () => {}); // a dropped connection shows up as the failing query's error
  await c.connect();
  return c;
}

/** Simple-protocol query; `ms` is send → last row received. */
export async function queryText(c: pg.Client, sql: string): Promise<{ rows: TextRows; ms: number }> {
  const t = performance.now();
  const r = await c.query({ text: sql, rowMode: 'array', types: AS_TEXT });
  return { rows: r.rows as TextRows, ms: performance.now() - t };
}

/** The rows in a canonical order, for results whose order the query does not fix. */
export function sortedRows(rows: TextRows): TextRows {
  const key = (r: (string | null)[]) => JSON.stringify(r);
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** null when equal, else a one-line description of the first difference */
export function diffRows(expected: TextRows, actual: TextRows, eq: (a: string | null, b: string | null) => boolean = (a, b) => a === b): string | null {
  if (expected.length !== actual.length) return `${actual.length} rows, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (e.length !== a.length) return `row ${i + 1}: ${a.length} columns, expected ${e.length}`;
    for (let j = 0; j < e.length; j++) {
      if (!eq(e[j]!, a[j]!)) return `row ${i + 1} column ${j + 1}: ${JSON.stringify(a[j])}, expected ${JSON.stringify(e[j])}`;
    }
  }
  return null;
}

/**
 * Equality up to representation, for engines that are not meant to be byte-identical to Postgres (raw DuckDB):
 * numbers equal within a relative 1e-9 (avg as double vs numeric), everything else as text.
 */
export function looselyEqual(a: string | null, b: string | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) {
    return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  }
  return false;
}
