// Our result codecs (src/engine/results) against a real Postgres: the same values rendered by PG and, from DuckDB's
// values, by our codecs, compared cell by cell in text and binary.
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { startPostgres, type TestPostgres } from './postgres.js';
import { columnCodec, outputSettingsFrom, setTimeZoneDirectories, type PgTypeHint } from '../../src/engine/results/index.js';

/** node-pg types that hand every value back as PG sent it (text output, or `\x…` hex of a typsend result) */
export const rawTypes = { getTypeParser: () => (v: unknown) => v };

/** Deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CompareColumnOptions {
  /** input texts, bound to PG as `x` and given to DuckDB as column `x` */
  values: string[];
  pgExpr: string;
  duckExpr: string;
  hint?: PgTypeHint;
  /** session settings (SET name = 'value') for this comparison; RESET ALL before */
  gucs?: Record<string, string>;
  /** also compare our binary encoding with PG's typsend output */
  binary?: boolean;
}

export interface ResultsHarness {
  server: TestPostgres;
  /** superuser session the comparisons run in */
  client: pg.Client;
  /** DuckDB session in UTC, as the engine runs it */
  duck: DuckDBConnection;
  /** the Postgres build's compiled zone files (also what our codecs read) */
  tzDir: string;
  /**
   * Renders `values` through PG's `pgExpr` and DuckDB's `duckExpr` and compares, cell by cell, our text encoding with
   * PG's text output and (when `binary`) our binary encoding with PG's typsend output. Also checks RowDescription
   * (OID, typlen, typmod). The session settings we use are built from what PG reports back (SHOW), as the wire
   * session would see them in ParameterStatus. Returns the number of values compared.
   */
  compareColumn(opts: CompareColumnOptions): Promise<number>;
  close(): Promise<void>;
}

/** A fresh Postgres and an in-memory DuckDB; our codecs read the Postgres build's zone files. */
export async function startResultsHarness(): Promise<ResultsHarness> {
  const server = await startPostgres();
  let client: pg.Client | undefined;
  let db: DuckDBInstance | undefined;
  let duck: DuckDBConnection | undefined;
  const close = async () => {
    await client?.end();
    duck?.closeSync();
    db?.closeSync();
    await server.destroy();
  };
  try {
    client = await server.client();
    db = await DuckDBInstance.create(':memory:');
    duck = await db.connect();
    await duck.run(`SET TimeZone = 'UTC'`);
    // zone data must be the Postgres build's own (system tzdata may differ, e.g. Europe/Amsterdam before 1940)
    const r = await client.query(`SELECT setting FROM pg_config WHERE name = 'SHAREDIR'`);
    const tzDir = join(r.rows[0].setting, 'timezone');
    setTimeZoneDirectories([tzDir]);
    const c = client;
    const d = duck;
    return { server, client, duck, tzDir, compareColumn: (opts) => compareColumn(c, d, opts), close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function compareColumn(client: pg.Client, duck: DuckDBConnection, opts: CompareColumnOptions): Promise<number> {
  const from = 'FROM unnest($1::text[]) WITH ORDINALITY u(x, i) ORDER BY i';
  const gucs = opts.gucs ?? {};
  await client.query('RESET ALL');
  let sends: (string | null)[] | null = null;
  if (opts.binary) {
    const t = await client.query({ text: `SELECT ${opts.pgExpr} ${from} LIMIT 1`, values: [opts.values], rowMode: 'array', types: rawTypes });
    const ts = await client.query(`SELECT typsend::text FROM pg_type WHERE oid = ${t.fields[0]!.dataTypeID}`);
    const r = await client.query({
      text: `SELECT ${ts.rows[0].typsend}(${opts.pgExpr}) ${from}`, values: [opts.values], rowMode: 'array', types: rawTypes,
    });
    sends = r.rows.map((row) => row[0] as string | null);
  }
  const reported: Record<string, string> = {};
  for (const [k, v] of Object.entries(gucs)) {
    await client.query(`SET ${k} = '${v}'`);
    reported[k] = (await client.query({ text: `SHOW ${k}`, rowMode: 'array' })).rows[0][0];
  }
  const settings = outputSettingsFrom(reported);
  const text = await client.query({ text: `SELECT ${opts.pgExpr} ${from}`, values: [opts.values], rowMode: 'array', types: rawTypes });
  const rows = opts.values.map((v, i) => `(${i}, '${v.replace(/'/g, "''")}')`).join(',');
  const res = await duck.run(`SELECT ${opts.duckExpr} FROM (VALUES ${rows}) t(i, x) ORDER BY i`);
  const codec = columnCodec(res.columnType(0), opts.hint);
  const f = text.fields[0]!;
  assert.deepEqual([codec.oid, codec.typlen, codec.typmod], [f.dataTypeID, f.dataTypeSize, f.dataTypeModifier]);
  const duckRows = await res.getRows();
  assert.equal(duckRows.length, opts.values.length);
  const bad: string[] = [];
  for (let i = 0; i < duckRows.length; i++) {
    const want = text.rows[i]![0] as string | null;
    const v = duckRows[i]![0];
    const got = codec.encode(v, settings, 0);
    if ((got === null) !== (want === null) || (got && got.toString('utf8') !== want)) {
      bad.push(`${opts.values[i]}: pg=${JSON.stringify(want)} ours=${JSON.stringify(got?.toString('utf8'))}`);
    }
    if (sends) {
      const wantB = sends[i] === null ? null : sends[i]!.slice(2);
      const gotB = codec.encode(v, settings, 1)?.toString('hex') ?? null;
      if (gotB !== wantB) bad.push(`${opts.values[i]} (binary): pg=${wantB} ours=${gotB}`);
    }
  }
  assert.deepEqual(bad.slice(0, 20), [], `${bad.length} mismatches for ${opts.pgExpr} ${JSON.stringify(gucs)}`);
  return duckRows.length;
}
