// Shared by the end-to-end tests: one Postgres + one lakegate with the full mirror pipeline, and the check
// that a query on a mirror through lakegate answers exactly what the same query on the source table answers
// on Postgres directly (RowDescription: names, type OIDs, typmods, formats; every value as raw text or bytes;
// the command tag).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startGate, type Gate, type GateOverrides } from '../helpers/lakegate.js';
import { run, type Run } from '../helpers/run.js';

export { run };

/** node-pg without client-side parsing: text values as sent, binary values as Buffers */
export const RAW = { getTypeParser: () => (v: unknown) => v } as unknown as pg.CustomTypesConfig;

export interface Stack {
  pg: TestPostgres;
  gate: Gate;
  /** superuser session straight to Postgres */
  direct: pg.Client;
  /** superuser session through lakegate */
  lake: pg.Client;
  stop(): Promise<void>;
}

/** Postgres + lakegate (mirrors on, small flush thresholds, its own data directory). */
export async function startStack(overrides: GateOverrides = {}): Promise<Stack> {
  const db = await startPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'lakegate-e2e-'));
  let gate: Gate | null = null;
  try {
    gate = await startGate({
      'upstream.url': db.url,
      data_dir: dataDir,
      'mirror.flush_rows': 50,
      'mirror.flush_age_ms': 500,
      ...overrides,
    });
    await gate.lakegate.mirrorsReady;
    const direct = await db.client();
    const lake = await gate.client();
    const g = gate;
    return {
      pg: db,
      gate: g,
      direct,
      lake,
      async stop() {
        await direct.end().catch(() => {});
        await g.close();
        await db.destroy();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await gate?.close();
    await db.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Creates a mirror through lakegate and waits until the table layer serves it and the registry says 'ready'
 * (a DROP racing the copy's last registry update is a known table-layer bug; tests that are not about it wait).
 */
export async function createMirror(s: Stack, mirror: string, source: string): Promise<void> {
  const name = mirror.includes('.') ? mirror : `public.${mirror}`;
  await s.lake.query(`CALL mooncake.create_table('${mirror}', '${source}')`);
  await s.gate.lakegate.mirrors!.waitReady(name, 30_000);
  const deadline = Date.now() + 30_000;
  while ((await s.direct.query(`SELECT state FROM mooncake.columnstore_tables WHERE "table" = $1`, [name])).rows[0]?.state !== 'ready') {
    if (Date.now() > deadline) throw new Error(`${name} is not 'ready' in the registry`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Answer {
  fields: [string, number, number, string][];
  rows: unknown[][];
  command: string;
  rowCount: number | null;
}

export async function answer(c: pg.Client, q: pg.QueryConfig): Promise<Answer> {
  const r = await c.query({ ...q, rowMode: 'array', types: RAW });
  return {
    fields: r.fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier, f.format]),
    rows: r.rows,
    command: r.command,
    rowCount: r.rowCount,
  };
}

/**
 * `mirrorSql` through lakegate answers exactly like `sourceSql` on Postgres (default: the same text with the
 * mirror's name replaced by the source's). Returns the answer; refuses to compare empty results unless allowed.
 */
export async function sameAnswer(
  s: { direct: pg.Client; lake: pg.Client },
  mirrorSql: string,
  sub: [mirror: string, source: string] | string,
  opts: { values?: unknown[]; binary?: boolean; name?: string; allowEmpty?: boolean; lake?: pg.Client } = {},
): Promise<Answer> {
  const sourceSql = typeof sub === 'string' ? sub : mirrorSql.split(sub[0]).join(sub[1]);
  const q = (text: string, name?: string): pg.QueryConfig => {
    const c: pg.QueryConfig = { text };
    if (opts.values) c.values = opts.values;
    if (name) c.name = name;
    if (opts.binary) (c as { binary?: boolean }).binary = true;
    return c;
  };
  const want = await answer(s.direct, q(sourceSql, opts.name));
  const got = await answer(opts.lake ?? s.lake, q(mirrorSql, opts.name));
  assert.deepEqual(got.fields, want.fields, `RowDescription of ${mirrorSql}`);
  assert.deepEqual(got.rows, want.rows, `rows of ${mirrorSql}`);
  assert.equal(got.command, want.command, `command tag of ${mirrorSql}`);
  assert.equal(got.rowCount, want.rowCount);
  if (!opts.allowEmpty) assert.ok(want.rows.length > 0, `${sourceSql} returns rows (a comparison of nothing proves little)`);
  return got;
}

/** psql on a port (lakegate's or Postgres'), `-X`, stopping at the first error unless told otherwise. */
export function psql(port: number, args: string[], opts: { input?: string; user?: string; onErrorStop?: boolean; onStart?: (pid: number) => void } = {}): Promise<Run> {
  const conn = `host=127.0.0.1 port=${port} dbname=postgres user=${opts.user ?? 'postgres'} sslmode=disable`;
  const stop = opts.onErrorStop === false ? [] : ['-v', 'ON_ERROR_STOP=1'];
  const o: Parameters<typeof run>[2] = { env: { PGCONNECT_TIMEOUT: '10', PGAPPNAME: 'lg-e2e-psql', PGPASSWORD: 'postgres' } };
  if (opts.input !== undefined) o.input = opts.input;
  if (opts.onStart) o.onStart = opts.onStart;
  return run('psql', ['-X', ...stop, '-d', conn, ...args], o);
}

export const JDBC_JAR = '/usr/share/java/postgresql.jar';
export const PYTHON = '/usr/bin/python3';
