// Ordinary Postgres tables joined with a mirror: the columns the statement reads (and the rows its simple WHERE
// conjuncts keep) are fetched on the client's connection — so with the client's privileges, row security and
// transaction — and loaded into a DuckDB temp table of the portal's connection. Values travel in forms that do
// not depend on session settings (epoch microseconds, day numbers, IEEE bits), so nothing is re-parsed loosely.
import { VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { PgError } from '../route/local.js';
import { NotSupported } from './translate/errors.js';
import { duckType, numericScale, type PgT } from './translate/pg-type.js';
import type { PgTableUse } from './translate/context.js';
import { quoteIdent } from './translate/pushdown.js';
import type { UpstreamChannel } from './upstream-channel.js';

function selectExpr(col: string, t: PgT): string {
  if (t.arr) throw new NotSupported('array columns of ordinary tables joined with a mirror');
  switch (t.n) {
    case 'float4':
      return `encode(pg_catalog.float4send(${col}), 'hex')`;
    case 'float8':
      return `encode(pg_catalog.float8send(${col}), 'hex')`;
    case 'date':
      return `CASE WHEN pg_catalog.isfinite(${col}) THEN (${col} - DATE '2000-01-01')::text ELSE ${col}::text END`;
    case 'timestamp':
    case 'timestamptz':
      return `CASE WHEN pg_catalog.isfinite(${col}) THEN (extract(epoch FROM ${col}) * 1000000)::int8::text ELSE ${col}::text END`;
    case 'interval':
      return (
        `concat_ws(',', (extract(year FROM ${col}) * 12 + extract(month FROM ${col}))::text, extract(day FROM ${col})::text, ` +
        `((extract(hour FROM ${col}) * 3600 + extract(minute FROM ${col}) * 60) * 1000000 + extract(microseconds FROM ${col}))::int8::text)`
      );
    case 'bytea':
      return `encode(${col}, 'hex')`;
    case 'bpchar':
      // its own output keeps the padding (a cast to text would strip it)
      return col;
    case 'bool':
      return `CASE WHEN ${col} THEN 'true' ELSE 'false' END`;
    case 'unknown':
      throw new NotSupported(`reading the column ${col}`);
    default:
      return `${col}::text`;
  }
}

function convertExpr(c: string, t: PgT): string {
  switch (t.n) {
    case 'float4':
    case 'float8':
      return `CAST(${c} AS ${t.n === 'float4' ? 'FLOAT' : 'DOUBLE'})`;
    case 'date':
      return `CASE WHEN ${c} IN ('infinity', '-infinity') THEN CAST(${c} AS DATE) ELSE CAST(DATE '2000-01-01' + CAST(${c} AS INTEGER) AS DATE) END`;
    case 'timestamp':
      return `CASE WHEN ${c} IN ('infinity', '-infinity') THEN CAST(${c} AS TIMESTAMP) ELSE make_timestamp(CAST(${c} AS BIGINT)) END`;
    case 'timestamptz':
      return `CASE WHEN ${c} IN ('infinity', '-infinity') THEN CAST(${c} AS TIMESTAMPTZ) ELSE make_timestamptz(CAST(${c} AS BIGINT)) END`;
    case 'interval':
      return (
        `(to_months(CAST(split_part(${c}, ',', 1) AS INTEGER)) + to_days(CAST(split_part(${c}, ',', 2) AS INTEGER)) + ` +
        `to_microseconds(CAST(split_part(${c}, ',', 3) AS BIGINT)))`
      );
    case 'bytea':
      return `unhex(${c})`;
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'json':
    case 'jsonb':
      return c;
    case 'numeric':
      return numericScale(t) === null ? c : `CAST(${c} AS ${duckType(t)})`;
    default:
      return `CAST(${c} AS ${duckType(t)})`;
  }
}

/** JS-side value fix-ups before loading: IEEE bits → shortest exact decimal text. */
function fixValue(v: string | null, t: PgT): string | null {
  if (v === null) return null;
  if (t.n === 'float4' || t.n === 'float8') {
    const b = Buffer.from(v, 'hex');
    const x = t.n === 'float4' ? b.readFloatBE(0) : b.readDoubleBE(0);
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    return Object.is(x, -0) ? '-0.0' : String(x);
  }
  return v;
}

/** Fetches one table's used columns into its DuckDB temp table. Returns the row count. */
export async function fetchPgTable(up: UpstreamChannel, conn: DuckDBConnection, p: PgTableUse, maxRows: number): Promise<number> {
  const used = [...p.used].sort((a, b) => a - b);
  const rel = p.schema === null ? quoteIdent(p.name) : `${quoteIdent(p.schema)}.${quoteIdent(p.name)}`;
  const sel = used.length ? used.map((i) => selectExpr(quoteIdent(p.columns[i]!.name), p.columns[i]!.t)).join(', ') : 'NULL';
  const filters = p.refs === 1 && p.filters && p.filters.length ? ` WHERE ${p.filters.join(' AND ')}` : '';
  const res = await up.query(`SELECT ${sel} FROM ${rel}${filters} LIMIT ${maxRows + 1}`);
  if (res.rows.length > maxRows) {
    throw new PgError(
      '54000',
      `lakegate: more than ${maxRows} rows of ${p.name} would have to be copied to join them with a mirror`,
      'ERROR',
      undefined,
      'Filter the table with simple conditions on its columns in WHERE, or raise engine.maxFetchRows.',
    );
  }
  const stage = `${p.temp}_s`;
  const names = used.length ? used.map((i) => `c${i + 1}`) : ['c0'];
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${stage} (${names.map((n) => `${n} VARCHAR`).join(', ')})`);
  const app = await conn.createAppender(stage, 'main', 'temp');
  for (const row of res.rows) {
    names.forEach((_, k) => {
      const t = used.length ? p.columns[used[k]!]!.t : null;
      const v = t ? fixValue(row[k] ?? null, t) : null;
      if (v === null) app.appendNull();
      else app.appendValue(v, VARCHAR);
    });
    app.endRow();
  }
  app.closeSync();
  const conv = used.map((i) => `${convertExpr(`c${i + 1}`, p.columns[i]!.t)} AS c${i + 1}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${p.temp} AS SELECT ${conv.length ? conv.join(', ') : 'NULL AS c0'} FROM ${stage}`);
  await conn.run(`DROP TABLE ${stage}`);
  return res.rows.length;
}
