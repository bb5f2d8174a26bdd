// The table the mirror benchmarks load: six columns of common types (the shape /work/shared/notes/cdc.md §4
// measured), ids ascending, every value derived from the id so loads are repeatable.
import type pg from 'pg';

export const BENCH_TABLE_COLUMNS =
  'id bigint PRIMARY KEY, txt text NOT NULL, ts timestamptz NOT NULL, f float8, i int4, b bool';

/** SELECT list producing one row per `g` (bigint) */
export const BENCH_ROW_SQL =
  `g, md5(g::text), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second', g * 0.25, (g % 100000)::int4, g % 3 = 0`;

/**
 * bench_load(tbl, first, total, per): inserts ids first … first+total-1, `per` rows per transaction, COMMIT after
 * each. Server side, so the client round trip does not limit small transactions.
 */
const LOAD_PROC = `
CREATE OR REPLACE PROCEDURE bench_load(tbl regclass, first bigint, total bigint, per int) LANGUAGE plpgsql AS $$
DECLARE a bigint := first;
BEGIN
  WHILE a < first + total LOOP
    EXECUTE format('INSERT INTO %s SELECT ${BENCH_ROW_SQL.replace(/'/g, "''").replace(/%/g, '%%')} FROM generate_series($1, $2) g', tbl)
      USING a, least(a + per, first + total) - 1;
    COMMIT;
    a := a + per;
  END LOOP;
END $$`;

export async function createBenchTable(c: pg.Client, name: string): Promise<void> {
  await c.query(`CREATE TABLE ${name} (${BENCH_TABLE_COLUMNS})`);
  await c.query(LOAD_PROC);
}

/** Insert ids first … first+total-1 into `table`, `per` rows per transaction. */
export async function loadBenchRows(c: pg.Client, table: string, first: number, total: number, per: number): Promise<void> {
  await c.query('CALL bench_load($1::regclass, $2, $3, $4)', [table, first, total, per]);
}
