// ALTER TABLE on a mirrored source, at its point in the stream (the control plane's alter_table message):
// which columns were added, dropped, renamed or retyped, and what an added column holds for existing rows.
//
// The message carries the new columns with attnums; the mirror knows its old columns by name and order.
// Survivors keep their names; PostgreSQL adds columns at the end only, so an unmatched column followed by a
// survivor is a rename. At the end the two readings (rename vs drop + add) are told apart by pg_attribute:
// a dropped attribute between the previous survivor and the new column makes it ambiguous → fresh copy.
// The catalog is read when the change point is applied, possibly after later DDL; every case where that could
// mislead (column dropped or table rewritten since) ends in a fresh copy, never in wrong values.
import type { DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import type { TypeCatalog } from '../cdc/index.js';
import { quoteLiteral } from '../iceberg/index.js';
import { log } from '../log.js';
import { mirrorColumn, type MirrorColumn } from '../table/column-types.js';
import { alterMirrorTables, INITIAL_DEFAULTS_PROPERTY, retypeProblem, type ColumnChange } from '../table/schema-change.js';
import { ApplyStaging } from '../table/apply.js';
import { rebuildTailFilter } from '../table/tail-filter.js';
import type { LiveMirror } from './applier.js';
import { specProperties } from './mirror-spec.js';

const log_ = log.child({ mod: 'schema' });

export interface SourceColumn {
  attnum?: number;
  name: string;
  type_oid: number;
  typmod: number;
}

export type EvolveResult = { kind: 'done' } | { kind: 'failed'; reason: string } | { kind: 'resync'; reason: string };

interface AttInfo {
  attnum: number;
  attname: string;
  dropped: boolean;
  hasmissing: boolean;
  missing: string | null;
  hasdef: boolean;
}

async function attributes(upstream: pg.ClientConfig, oid: number, catalog: TypeCatalog, oids: number[]): Promise<AttInfo[]> {
  const c = new pg.Client(upstream);
  await c.connect();
  try {
    await catalog.load(c, oids);
    const r = await c.query<AttInfo>(
      `SELECT a.attnum::int AS attnum, a.attname::text AS attname, a.attisdropped AS dropped, a.atthasmissing AS hasmissing,
              CASE WHEN a.atthasmissing THEN (a.attmissingval::text::text[])[1] END AS missing,
              EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) AS hasdef
         FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 ORDER BY a.attnum`,
      [oid],
    );
    return r.rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** old columns → new: the list of changes, or why it cannot be done in place */
export function planColumnChanges(
  old: MirrorColumn[],
  next: (MirrorColumn & { attnum: number })[],
  atts: AttInfo[],
): { changes: ColumnChange[] } | EvolveResult {
  const oldNames = new Set(old.map((c) => c.name));
  const newNames = new Set(next.map((c) => c.name));
  const changes: ColumnChange[] = [];
  const adds: (MirrorColumn & { attnum: number })[] = [];
  const renames: ColumnChange[] = [];
  let i = 0;
  let j = 0;
  let prevAttnum = 0;
  while (i < old.length || j < next.length) {
    const a = old[i];
    const b = next[j];
    if (a && b && a.name === b.name) {
      if (a.typeOid !== b.typeOid || a.typmod !== b.typmod) {
        const problem = retypeProblem(a, b);
        if (problem) return { kind: 'failed', reason: `${problem}; the mirror cannot follow this ALTER TABLE` };
        changes.push({ op: 'retype', name: a.name, column: b });
      }
      prevAttnum = b.attnum;
      i++;
      j++;
    } else if (a && !newNames.has(a.name)) {
      if (b && !oldNames.has(b.name)) {
        const survivorAfter = next.slice(j + 1).some((c) => oldNames.has(c.name));
        const droppedBetween = atts.some((x) => x.dropped && x.attnum > prevAttnum && x.attnum < b.attnum);
        if (!survivorAfter && droppedBetween) return { kind: 'resync', reason: `cannot tell whether ${a.name} was renamed to ${b.name}` };
        if (a.typeOid !== b.typeOid || a.typmod !== b.typmod) {
          const problem = retypeProblem(a, b);
          if (problem) return { kind: 'failed', reason: `${problem}; the mirror cannot follow this ALTER TABLE` };
        }
        // renames go after drops so a column may take a dropped one's name
        renames.push({ op: 'rename', name: a.name, newName: b.name });
        if (a.typeOid !== b.typeOid || a.typmod !== b.typmod) renames.push({ op: 'retype', name: b.name, column: b });
        prevAttnum = b.attnum;
        i++;
        j++;
      } else {
        changes.push({ op: 'drop', name: a.name });
        i++;
      }
    } else if (b && !oldNames.has(b.name) && !a) {
      adds.push(b);
      j++;
    } else {
      return { kind: 'resync', reason: 'columns were reordered or swapped names' };
    }
  }
  changes.push(...renames);
  for (const b of adds) {
    const att = atts.find((x) => x.attnum === b.attnum);
    if (!att || att.dropped || att.attname !== b.name) return { kind: 'resync', reason: `column ${b.name} changed again since it was added` };
    let initial: string | null = null;
    if (att.hasmissing) {
      if (b.isList) return { kind: 'resync', reason: `added array column ${b.name} has a default` };
      initial = att.missing === null ? null : `CAST(${quoteLiteral(att.missing)} AS ${b.duckdb})`;
    } else if (att.hasdef) {
      // a volatile default (or a rewrite since) gave existing rows values the WAL never carried
      return { kind: 'resync', reason: `existing rows got values for ${b.name} outside the WAL (volatile default or table rewrite)` };
    }
    const { attnum: _, ...column } = b;
    changes.push({ op: 'add', column, initial });
  }
  return { changes };
}

/** apply an alter_table change point to a live mirror (inside the apply connection's open transaction) */
export async function evolveMirror(
  conn: DuckDBConnection,
  live: LiveMirror,
  cols: SourceColumn[],
  deps: { upstream: pg.ClientConfig; catalog: TypeCatalog },
): Promise<EvolveResult> {
  const st = live.st;
  const t = st.table;
  let atts: AttInfo[];
  let next: (MirrorColumn & { attnum: number })[];
  try {
    atts = await attributes(deps.upstream, live.relationOid, deps.catalog, cols.map((c) => Number(c.type_oid)));
    next = cols.map((c) => ({
      attnum: Number(c.attnum),
      ...mirrorColumn(deps.catalog, { name: c.name, typeOid: Number(c.type_oid), typmod: Number(c.typmod), isKey: false } as never),
    }));
  } catch (e) {
    return { kind: 'failed', reason: `cannot mirror the changed columns: ${(e as Error).message}` };
  }
  const plan = planColumnChanges(t.spec.columns, next, atts);
  if (!('changes' in plan)) return plan;
  const keyNames = new Set(t.spec.key.map((k) => t.spec.columns[k]!.name));
  for (const ch of plan.changes) {
    if (ch.op === 'drop' && keyNames.has(ch.name)) return { kind: 'resync', reason: `key column ${ch.name} was dropped` };
    if (ch.op === 'retype' && keyNames.has(ch.name)) return { kind: 'resync', reason: `key column ${ch.name} changed type` };
  }
  const added = plan.changes.filter((c): c is Extract<ColumnChange, { op: 'add' }> => c.op === 'add');
  const iceberg = await alterMirrorTables(conn, st, plan.changes);
  // Iceberg: new schema (fresh ids for added columns), the spec and the added columns' initial defaults
  const schema = iceberg.length > 0 ? await st.iceberg.updateSchema(iceberg) : st.iceberg.schema;
  const defaults = { ...(st.base.defaults ?? {}) };
  for (const a of added) {
    const f = schema.fields.find((x) => x.name === a.column.name);
    if (f && a.initial !== null) defaults[f.id] = a.initial;
  }
  await st.iceberg.setProperties({ ...specProperties(t.spec), [INITIAL_DEFAULTS_PROPERTY]: JSON.stringify(defaults) });
  st.base = { ...st.base, schema, defaults };
  // staging tables follow the new shape; the view is created again in the same DuckDB transaction
  await live.staging.drop(conn);
  live.staging = new ApplyStaging(t);
  await live.staging.create(conn);
  if (live.staging.filterable) st.tailKeys = await rebuildTailFilter(conn, t, st.tailRows);
  await conn.run(t.viewSql(st.base, { truncated: st.truncateLsn !== null }));
  log_.info({ mirror: t.spec.name, changes: plan.changes.map((c) => `${c.op} ${'name' in c ? c.name : c.column.name}`) }, 'source schema change applied in place');
  return { kind: 'done' };
}
