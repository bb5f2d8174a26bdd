// Everything a mirror query needs from upstream when its portal is bound, in one round trip on the client's
// connection: the transaction timestamp (now() is the same value Postgres would use), the settings that shape
// results (TimeZone, DateStyle, IntervalStyle, extra_float_digits, bytea_output — the last two are not reported
// by ParameterStatus), SELECT privilege on each mirror view, the WAL position for read-your-writes, what the
// transaction itself would see differently (checkTransaction), and constants only Postgres can read (dates in DMY
// order, `1 day 2 hours` …).
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
  /** the source table's OID, when the mirror source knows it (for checkTransaction) */
  sourceOid: number | null;
}

/** The client's transaction as the context query found it. */
export interface TxnView {
  /** transaction_isolation */
  isolation: string;
  /** regclass text of the first mirror whose source this transaction has changed */
  changed: string | null;
}

export interface ExecContext {
  now: bigint;
  settings: { TimeZone: string; DateStyle: string; IntervalStyle: string; extra_float_digits: string; bytea_output: string };
  lsn: bigint | null;
  txn: TxnView;
  constants: Map<string, Const>;
}

const oidArray = (oids: (number | null)[]) => `{${oids.map((o) => (o === null ? 'NULL' : String(o))).join(',')}}`;

/**
 * A mirror shows committed data as of the statement's start; Postgres would answer from the transaction's own
 * view. Where those differ the query is refused, never answered differently: inside a REPEATABLE READ or
 * SERIALIZABLE transaction block (its snapshot is older than the statement; a block is known from the
 * ReadyForQuery status, so a pipelined batch that opens one is checked from its first Sync on), and once the
 * transaction has changed a mirror's source (rows, TRUNCATE, ALTER TABLE: sql/008_transaction_view.sql).
 */
export function checkTransaction(txn: TxnView, txStatus: 'I' | 'T' | 'E', mirrors: Pick<MirrorAccess, 'regclass' | 'name'>[]): void {
  if (txStatus !== 'I' && (txn.isolation === 'repeatable read' || txn.isolation === 'serializable')) {
    throw new PgError(
      '0A000',
      `lakegate: mirror queries are not supported in ${txn.isolation.toUpperCase()} transactions`,
      'ERROR',
      'A mirror shows the data committed when the statement starts, not the snapshot this transaction took earlier.',
      'Query the mirror outside the transaction block, or use READ COMMITTED.',
    );
  }
  if (txn.changed !== null) {
    const name = mirrors.find((m) => m.regclass === txn.changed)?.name ?? txn.changed;
    throw new PgError(
      '0A000',
      `lakegate: mirror "${name}" cannot show this transaction's uncommitted changes to its source table`,
      'ERROR',
      'This transaction has written to (or altered) the table the mirror copies, and a mirror shows committed data only.',
      'Query the source table within this transaction, or query the mirror after COMMIT.',
    );
  }
}

/**
 * checkTransaction on its own, for an error met before the context query (inside a transaction an ALTER TABLE of
 * the source already changed the mirror view the statement was prepared against): the refusal names the cause.
 */
export async function recheckTransaction(up: UpstreamChannel, txStatus: 'I' | 'T' | 'E', mirrors: Pick<MirrorAccess, 'regclass' | 'name' | 'sourceOid'>[]): Promise<void> {
  const res = await up.query(`SELECT ${txnColumns('$1').join(', ')}`, [oidArray(mirrors.map((m) => m.sourceOid))]);
  const row = res.rows[0]!;
  const at = row[1] ? Number(row[1]) - 1 : -1;
  checkTransaction({ isolation: row[0]!, changed: at >= 0 ? (mirrors[at]?.regclass ?? null) : null }, txStatus, mirrors);
}

/** the transaction's isolation and changed_source() (sql/008) of the sources passed as `sources` (an oid[] parameter) */
function txnColumns(sources: string): string[] {
  return [`pg_catalog.current_setting('transaction_isolation')`, `mooncake.changed_source(${sources}::oid[])::text`];
}

/** now(), the settings and the WAL position: the leading columns of both context queries */
function baseColumns(lsn: boolean, sources: string): string[] {
  return [
    `(extract(epoch FROM pg_catalog.now()) * 1000000)::int8::text`,
    `pg_catalog.current_setting('TimeZone')`,
    `pg_catalog.current_setting('DateStyle')`,
    `pg_catalog.current_setting('IntervalStyle')`,
    `pg_catalog.current_setting('extra_float_digits')`,
    `pg_catalog.current_setting('bytea_output')`,
    lsn ? `pg_catalog.pg_current_wal_insert_lsn()::text` : 'NULL::text',
    ...txnColumns(sources),
  ];
}

/**
 * `at`: where the two transaction columns are (after the base columns, or after the access column early);
 * `regclasses`: the mirrors in the order their sources were passed
 */
function readBase(row: (string | null)[], at: number, regclasses: string[]): Omit<ExecContext, 'constants'> {
  return {
    now: BigInt(row[0]!),
    settings: { TimeZone: row[1]!, DateStyle: row[2]!, IntervalStyle: row[3]!, extra_float_digits: row[4]!, bytea_output: row[5]! },
    lsn: row[6] ? parseLsn(row[6]) : null,
    txn: { isolation: row[at]!, changed: row[at + 1] ? (regclasses[Number(row[at + 1]) - 1] ?? row[at + 1]!) : null },
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

/**
 * sql/007_query_context.sql: the first seven columns of baseColumns and per mirror its privileges as JSON; then
 * the two transaction columns. `sources`: each mirror's source OID (null: unknown, not checked).
 */
export function earlyContextQuery(regclasses: string[], sources: (number | null)[], lsn: boolean): { sql: string; params: string[] } {
  return {
    sql: `SELECT q.*, ${txnColumns('$3').join(', ')} FROM mooncake.query_context($1::text[], $2::boolean) q`,
    params: [pgTextArray(regclasses), String(lsn), oidArray(sources)],
  };
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
  return { base: readBase(row, 8, regclasses), access };
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
  const cols = baseColumns(o.lsn, p(oidArray(o.mirrors.map((m) => m.sourceOid))));
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
  const base = readBase(row, 7, o.mirrors.map((m) => m.regclass));
  let i = 9;
  for (const m of o.mirrors) {
    const ok = row[i++];
    if (ok === null) throw new PgError('42P01', `relation "${m.name}" does not exist`);
    if (ok !== 'true') throw new PgError('42501', `permission denied for view ${m.name}`);
  }
  const constants = new Map<string, Const>();
  for (const c of o.constants) constants.set(constKey(c.t, c.text), readUpstreamConst(c.t, row[i++] ?? null));
  return { ...base, constants };
}

