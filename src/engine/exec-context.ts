// Everything a mirror query needs from upstream when its portal is bound, in one round trip on the client's
// connection: the transaction timestamp (now() is the same value Postgres would use), the settings that shape
// results (TimeZone, DateStyle, IntervalStyle, extra_float_digits, bytea_output — the last two are not reported
// by ParameterStatus), SELECT privilege on each mirror view, the WAL position for read-your-writes, and constants
// only Postgres can read (dates in DMY order, `1 day 2 hours` …).
import { PgError } from '../route/local.js';
import { constKey } from './translate/context.js';
import { readUpstreamConst, upstreamConstSql, type Const } from './translate/literal.js';
import type { PgT } from './translate/pg-type.js';
import type { UpstreamChannel } from './upstream-channel.js';
import { parseLsn } from './mirror-source.js';
import { pgLiteral } from './pg-literal.js';

export interface MirrorAccess {
  /** regclassText of the mirror view */
  regclass: string;
  /** bare name for the error message */
  name: string;
  /** columns the statement reads */
  columns: string[];
}

export interface ExecContext {
  now: bigint;
  settings: { TimeZone: string; DateStyle: string; IntervalStyle: string; extra_float_digits: string; bytea_output: string };
  lsn: bigint | null;
  constants: Map<string, Const>;
}

export async function execContext(
  up: UpstreamChannel,
  o: { mirrors: MirrorAccess[]; constants: { t: PgT; text: string }[]; lsn: boolean },
): Promise<ExecContext> {
  const params: string[] = [];
  const p = (v: string) => {
    params.push(v);
    return `$${params.length}`;
  };
  const cols: string[] = [
    `(extract(epoch FROM pg_catalog.now()) * 1000000)::int8::text`,
    `pg_catalog.current_setting('TimeZone')`,
    `pg_catalog.current_setting('DateStyle')`,
    `pg_catalog.current_setting('IntervalStyle')`,
    `pg_catalog.current_setting('extra_float_digits')`,
    `pg_catalog.current_setting('bytea_output')`,
    o.lsn ? `pg_catalog.pg_current_wal_insert_lsn()::text` : 'NULL::text',
  ];
  for (const m of o.mirrors) {
    const rel = `pg_catalog.to_regclass(${p(m.regclass)}::text)`;
    const arr = p(`{${m.columns.map((c) => `"${c.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`);
    // PG checks the columns a query reads; with none (count(*)) any column privilege will do
    cols.push(
      `(pg_catalog.has_table_privilege(${rel}, 'SELECT') OR CASE WHEN pg_catalog.cardinality(${arr}::text[]) = 0 ` +
        `THEN pg_catalog.has_any_column_privilege(${rel}, 'SELECT') ` +
        `ELSE (SELECT pg_catalog.bool_and(pg_catalog.has_column_privilege(${rel}, c, 'SELECT')) FROM pg_catalog.unnest(${arr}::text[]) c) END)::text`,
    );
  }
  // constants are written as literals: Postgres converts a literal while it parses the statement, so a value
  // it rejects fails the Parse (an internal statement that fails later would stay prepared on the connection)
  for (const c of o.constants) cols.push(upstreamConstSql(c.t, pgLiteral(c.text)));
  const res = await up.query(`SELECT ${cols.join(', ')}`, params);
  const row = res.rows[0]!;
  let i = 0;
  const now = BigInt(row[i++]!);
  const settings = {
    TimeZone: row[i++]!,
    DateStyle: row[i++]!,
    IntervalStyle: row[i++]!,
    extra_float_digits: row[i++]!,
    bytea_output: row[i++]!,
  };
  const lsnText = row[i++];
  for (const m of o.mirrors) {
    const ok = row[i++];
    if (ok === null) throw new PgError('42P01', `relation "${m.name}" does not exist`);
    if (ok !== 'true') throw new PgError('42501', `permission denied for view ${m.name}`);
  }
  const constants = new Map<string, Const>();
  for (const c of o.constants) constants.set(constKey(c.t, c.text), readUpstreamConst(c.t, row[i++] ?? null));
  return { now, settings, lsn: lsnText ? parseLsn(lsnText) : null, constants };
}

