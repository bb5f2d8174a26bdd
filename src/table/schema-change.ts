// Source schema changes applied in place (ALTER TABLE on the source → Iceberg schema evolution), at their point
// in the stream: the DML before them is already in the open DuckDB transaction, the DML after them arrives in
// the new shape. Old data files keep their field ids: a renamed column keeps its id, a dropped one is only left
// out of the current schema, a widened one is promoted on the same id (the reader casts), and an added column
// gets a fresh id whose value in files written before it is its `initial default` — the value PostgreSQL
// shows for rows that existed at ADD COLUMN (pg_attribute.attmissingval). Iceberg v2 has no initial-default,
// so it is kept as a table property and supplied by read_parquet's per-field default_value (base.ts).
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent as q, type PrimitiveType, type SchemaChange } from '../iceberg/index.js';
import type { MirrorColumn } from './column-types.js';
import type { MirrorState } from './mirror-state.js';

/** Iceberg table property holding {field id: DuckDB SQL expression} of added columns' initial defaults */
export const INITIAL_DEFAULTS_PROPERTY = 'lakegate.initial-defaults';

export type ColumnChange =
  | { op: 'add'; column: MirrorColumn; /** DuckDB SQL expression for rows that existed before, or null */ initial: string | null }
  | { op: 'drop'; name: string }
  | { op: 'rename'; name: string; newName: string }
  | { op: 'retype'; name: string; column: MirrorColumn };

/**
 * Whether a column may change type in place: the same Iceberg type (varchar(n) → text, numeric scale kept and
 * an unconstrained numeric staying text) or an Iceberg promotion (int → long, float → double, decimal wider).
 * Returns null when allowed, else the reason.
 */
export function retypeProblem(a: MirrorColumn, b: MirrorColumn): string | null {
  if (a.isList !== b.isList) return `cannot change ${a.name} between an array and a scalar`;
  if (JSON.stringify(a.iceberg) === JSON.stringify(b.iceberg)) return null;
  const x = a.isList ? (a.iceberg as { element: PrimitiveType }).element : (a.iceberg as PrimitiveType);
  const y = b.isList ? (b.iceberg as { element: PrimitiveType }).element : (b.iceberg as PrimitiveType);
  if (typeof x !== 'string' || typeof y !== 'string') return `cannot change the type of ${a.name}`;
  if (a.isList) return `Iceberg cannot promote the elements of list column ${a.name} (${x} → ${y})`;
  if (x === 'int' && y === 'long') return null;
  if (x === 'float' && y === 'double') return null;
  const da = /^decimal\((\d+),\s*(\d+)\)$/.exec(x);
  const db = /^decimal\((\d+),\s*(\d+)\)$/.exec(y);
  if (da && db && da[2] === db[2] && Number(db[1]) >= Number(da[1])) return null;
  return `Iceberg cannot change column ${a.name} from ${x} to ${y} in place`;
}

/**
 * Apply changes to a mirror inside the apply connection's open DuckDB transaction; returns Iceberg changes.
 *
 * The tables are built again (CREATE TABLE AS, DROP, RENAME) rather than ALTERed: DuckDB refuses to commit an
 * ADD/DROP/SET DATA TYPE of a table the same transaction already wrote ("another transaction has altered this
 * table"), and ADD COLUMN would put the column after _lg_rowid/_lg_lsn, where appenders and positional
 * INSERTs do not expect it.
 */
export async function alterMirrorTables(conn: DuckDBConnection, st: MirrorState, changes: ColumnChange[]): Promise<SchemaChange[]> {
  const t = st.table;
  const spec = t.spec;
  const keyNames = spec.key.map((i) => spec.columns[i]!.name);
  const out: SchemaChange[] = [];
  // each new column as an expression over the old table's columns
  const cols: { column: MirrorColumn; expr: string }[] = spec.columns.map((c) => ({ column: c, expr: q(c.name) }));
  const at = (name: string) => {
    const i = cols.findIndex((c) => c.column.name === name);
    if (i < 0) throw new Error(`mirror ${spec.name} has no column ${name}`);
    return i;
  };
  for (const ch of changes) {
    switch (ch.op) {
      case 'add': {
        // rows already there hold the initial default; rows applied from now on carry their own values
        cols.push({ column: ch.column, expr: ch.initial ?? 'NULL' });
        out.push({ op: 'add-column', name: ch.column.name, type: ch.column.iceberg });
        break;
      }
      case 'drop': {
        if (keyNames.includes(ch.name)) throw new Error(`cannot drop key column ${ch.name} in place`);
        cols.splice(at(ch.name), 1);
        out.push({ op: 'drop-column', name: ch.name });
        break;
      }
      case 'rename': {
        const i = at(ch.name);
        cols[i] = { ...cols[i]!, column: { ...cols[i]!.column, name: ch.newName } };
        const k = keyNames.indexOf(ch.name);
        if (k >= 0) keyNames[k] = ch.newName;
        out.push({ op: 'rename-column', name: ch.name, newName: ch.newName });
        break;
      }
      case 'retype': {
        const i = at(ch.name);
        const old = cols[i]!.column;
        cols[i] = { ...cols[i]!, column: { ...ch.column, name: old.name } };
        if (JSON.stringify(old.iceberg) !== JSON.stringify(ch.column.iceberg)) {
          out.push({ op: 'update-column-type', name: ch.name, type: ch.column.iceberg as PrimitiveType });
        }
        break;
      }
    }
  }
  const select = (list: typeof cols) => list.map((c) => `CAST(${c.expr} AS ${c.column.duckdb}) AS ${q(c.column.name)}`).join(', ');
  const keyCols = keyNames.map((n) => cols[at(n)]!);
  // the view reads the tables: drop it first; the caller creates it again (same transaction)
  await conn.run(`DROP VIEW IF EXISTS ${q(t.view)}`);
  const rebuild = async (table: string, list: typeof cols, extra: string[]) => {
    const next = `${table}_new`;
    await conn.run(`DROP TABLE IF EXISTS ${q(next)}`);
    await conn.run(`CREATE TABLE ${q(next)} AS SELECT ${[select(list), ...extra.map(q)].join(', ')} FROM ${q(table)}`);
    await conn.run(`DROP TABLE ${q(table)}`);
    await conn.run(`ALTER TABLE ${q(next)} RENAME TO ${q(table)}`);
  };
  await rebuild(t.tail, cols, ['_lg_rowid', '_lg_lsn']);
  if (t.keyed) await rebuild(t.delkeys, keyCols, ['_lg_lsn']);
  else await rebuild(t.delrows, cols, ['_lg_cnt', '_lg_lsn']);
  spec.columns.splice(0, spec.columns.length, ...cols.map((c) => c.column));
  spec.key = keyNames.map((n) => spec.columns.findIndex((c) => c.name === n));
  return out;
}
