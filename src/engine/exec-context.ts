// Everything a mirror query needs from upstream when its portal is bound, in one round trip on the client's
// connection: the transaction timestamp (now() is the same value Postgres would use), the settings that shape
// results (TimeZone, DateStyle, IntervalStyle, extra_float_digits, bytea_output — the last two are not reported
// by ParameterStatus), SELECT privilege on each mirror view, the WAL position for read-your-writes, and constants
// only Postgres can read (dates in DMY order, `1 day 2 hours` …).
// A simple Query (prepared and bound at once) reads the same context earlier, with its Describe (earlyContextQuery).
import { PgError } from '../route/local.js';
import { constKey } from './translate/context.js';
import { readUpstreamConst, upstreamConstSql, type Const } from './translate/literal.js';
import type { PgT } from './translate/pg-type.js';
import type { UpstreamChannel } from './upstream-channel.js';
import { parseLsn } from './mirror-source.js';
import { pgLiteral, pgTextArray } from './pg-literal.js';

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

/** now(), the settings and the WAL position: the leading columns of both context queries */
function baseColumns(lsn: boolean): string[] {
  return [
    `(extract(epoch FROM pg_catalog.now()) * 1000000)::int8::text`,
    `pg_catalog.current_setting('TimeZone')`,
    `pg_catalog.current_setting('DateStyle')`,
    `pg_catalog.current_setting('IntervalStyle')`,
    `pg_catalog.current_setting('extra_float_digits')`,
    `pg_catalog.current_setting('bytea_output')`,
    lsn ? `pg_catalog.pg_current_wal_insert_lsn()::text` : 'NULL::text',
  ];
}

function readBase(row: (string | null)[]): Omit<ExecContext, 'constants'> {
  return {
    now: BigInt(row[0]!),
    settings: { TimeZone: row[1]!, DateStyle: row[2]!, IntervalStyle: row[3]!, extra_float_digits: row[4]!, bytea_output: row[5]! },
    lsn: row[6] ? parseLsn(row[6]) : null,
  };
}

/**
 * The execution context read while the statement is prepared, for a bind that follows at once (a simple Query):
 * it travels in the same round trip as the Describe. Which columns the statement reads is not known yet, so per
 * mirror it reads what the privilege check needs for any column set; earlyAccess() applies it.
 */
export interface EarlyContext {
  base: Omit<ExecContext, 'constants'>;
  /** per regclass text: null = no such relation */
  access: Map<string, { table: boolean; anyColumn: boolean; columns: Set<string> } | null>;
}

/** sql/007_query_context.sql: the same columns as baseColumns, then per mirror its privileges as JSON */
export function earlyContextQuery(regclasses: string[], lsn: boolean): { sql: string; params: string[] } {
  return { sql: 'SELECT * FROM mooncake.query_context($1::text[], $2::boolean)', params: [pgTextArray(regclasses), String(lsn)] };
}

export function readEarlyContext(row: (string | null)[], regclasses: string[]): EarlyContext {
  const access: EarlyContext['access'] = new Map();
  const per = row[7] ? (JSON.parse(row[7]) as [boolean | null, boolean | null, string[] | null][]) : [];
  regclasses.forEach((r, i) => {
    const [table, any, list] = per[i] ?? [null, null, null];
    if (table === null) {
      access.set(r, null);
      return;
    }
    access.set(r, { table, anyColumn: any === true, columns: new Set(list ?? []) });
  });
  return { base: readBase(row), access };
}

/** The same verdicts as execContext's privilege columns, from an EarlyContext. */
export function earlyAccess(early: EarlyContext, mirrors: MirrorAccess[]): void {
  for (const m of mirrors) {
    const a = early.access.get(m.regclass);
    if (a === undefined) throw new PgError('XX000', `lakegate: no privileges read for ${m.regclass}`);
    if (a === null) throw new PgError('42P01', `relation "${m.name}" does not exist`);
    const ok = a.table || (m.columns.length === 0 ? a.anyColumn : m.columns.every((c) => a.columns.has(c)));
    if (!ok) throw new PgError('42501', `permission denied for view ${m.name}`);
  }
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
  const cols = baseColumns(o.lsn);
  for (const m of o.mirrors) {
    const rel = `pg_catalog.to_regclass(${p(m.regclass)}::text)`;
    const arr = p(pgTextArray(m.columns));
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
  const base = readBase(row);
  let i = 7;
  for (const m of o.mirrors) {
    const ok = row[i++];
    if (ok === null) throw new PgError('42P01', `relation "${m.name}" does not exist`);
    if (ok !== 'true') throw new PgError('42501', `permission denied for view ${m.name}`);
  }
  const constants = new Map<string, Const>();
  for (const c of o.constants) constants.set(constKey(c.t, c.text), readUpstreamConst(c.t, row[i++] ?? null));
  return { ...base, constants };
}

