// A mirror's definition: which source columns, which row identity, which Iceberg schema. It is derived from
// the source table at copy time and stored in the Iceberg table's properties (lakegate.mirror), so a restart
// rebuilds the same DuckDB tables without asking the source (and notices when the source has changed).
import type pg from 'pg';
import { qualifiedName, quoteIdent, type RelationColumn, type TableName, type TypeCatalog } from '../cdc/index.js';
import { buildSchema, type FieldSpec, type Schema, type SchemaChange } from '../iceberg/index.js';
import { mirrorColumn } from '../table/column-types.js';
import type { MirrorSpec } from '../table/mirror-table.js';

export const MIRROR_PROPERTY = 'lakegate.mirror';

interface StoredSpec {
  id: number;
  name: string;
  source: TableName;
  relationOid: number;
  columns: { name: string; typeOid: number; typmod: number }[];
  key: string[];
}

export function specProperties(spec: MirrorSpec): Record<string, string> {
  const s: StoredSpec = {
    id: spec.id,
    name: spec.name,
    source: spec.source,
    relationOid: spec.relationOid,
    columns: spec.columns.map((c) => ({ name: c.name, typeOid: c.typeOid, typmod: c.typmod })),
    key: spec.key.map((i) => spec.columns[i]!.name),
  };
  return { [MIRROR_PROPERTY]: JSON.stringify(s) };
}

/** The stored spec, or null when the table was not written by a mirror. Loads dynamic type OIDs first. */
export async function specFromProperties(props: Record<string, string>, catalog: TypeCatalog, session: pg.ClientBase): Promise<MirrorSpec | null> {
  const raw = props[MIRROR_PROPERTY];
  if (!raw) return null;
  const s = JSON.parse(raw) as StoredSpec;
  await catalog.load(session, s.columns.map((c) => c.typeOid));
  const columns = s.columns.map((c) => mirrorColumn(catalog, { ...c, isKey: false }));
  return { id: s.id, name: s.name, source: s.source, relationOid: s.relationOid, columns, key: s.key.map((k) => columns.findIndex((c) => c.name === k)) };
}

/** Iceberg schema of a mirror: its columns, key columns required and marked as identifier fields. */
export function icebergSchema(spec: MirrorSpec): Schema {
  const keyNames = new Set(spec.key.map((i) => spec.columns[i]!.name));
  const fields: FieldSpec[] = spec.columns.map((c) => ({ name: c.name, type: c.iceberg, required: keyNames.has(c.name) }));
  return buildSchema(fields, { identifierFields: [...keyNames] });
}

/**
 * Changes turning `current` into the schema of `spec`: same-named columns of the same type keep their field
 * ids, the rest are dropped and added (a resync rewrites every data file anyway). Identifier fields are
 * cleared first and set again only when every key column kept its (required) field.
 */
export function schemaChangesFor(current: Schema, spec: MirrorSpec): SchemaChange[] | null {
  const target = icebergSchema(spec);
  const same = (a: unknown, b: unknown) => JSON.stringify(stripIds(a)) === JSON.stringify(stripIds(b));
  const keep = new Set<string>();
  const changes: SchemaChange[] = [];
  for (const f of current.fields) {
    const t = target.fields.find((x) => x.name === f.name);
    if (t && same(t.type, f.type)) keep.add(f.name);
  }
  if (keep.size === current.fields.length && keep.size === target.fields.length && sameOrder(current, target)) {
    const sameIds = JSON.stringify(current['identifier-field-ids'] ?? []) === JSON.stringify(remapIds(target, current));
    if (sameIds) return null;
  }
  changes.push({ op: 'set-identifier-fields', names: [] });
  for (const f of current.fields) if (!keep.has(f.name)) changes.push({ op: 'drop-column', name: f.name });
  const added = new Set<string>();
  for (const f of spec.columns) {
    if (keep.has(f.name)) continue;
    changes.push({ op: 'add-column', name: f.name, type: f.iceberg });
    added.add(f.name);
  }
  const keyNames = spec.key.map((i) => spec.columns[i]!.name);
  const keptRequired = keyNames.every((k) => !added.has(k) && current.fields.find((f) => f.name === k)?.required);
  if (keyNames.length > 0 && keptRequired) changes.push({ op: 'set-identifier-fields', names: keyNames });
  return changes;
}

function sameOrder(a: Schema, b: Schema): boolean {
  return a.fields.map((f) => f.name).join('\u0000') === b.fields.map((f) => f.name).join('\u0000');
}

function remapIds(target: Schema, current: Schema): number[] {
  const names = (target['identifier-field-ids'] ?? []).map((id) => target.fields.find((f) => f.id === id)!.name);
  return names.map((n) => current.fields.find((f) => f.name === n)!.id);
}

function stripIds(t: unknown): unknown {
  if (typeof t !== 'object' || t === null) return t;
  if (Array.isArray(t)) return t.map(stripIds);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) if (!k.endsWith('-id') && k !== 'id') out[k] = stripIds(v);
  return out;
}

export interface SourceIdentity {
  relationOid: number;
  relkind: string;
  replicaIdentity: string;
  /** primary key column names, [] without one */
  primaryKey: string[];
}

export async function sourceIdentity(client: pg.ClientBase, t: TableName): Promise<SourceIdentity> {
  const r = await client.query<{ oid: string; relkind: string; relreplident: string; pk: string[] | null }>(
    `SELECT c.oid::int8 AS oid, c.relkind, c.relreplident,
            (SELECT array_agg(a.attname ORDER BY k.ord) FROM pg_catalog.pg_index i
               CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`,
    [t.schema, t.name],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`source table ${qualifiedName(t)} does not exist`);
  return { relationOid: Number(row.oid), relkind: row.relkind, replicaIdentity: row.relreplident, primaryKey: row.pk ?? [] };
}

/**
 * Make updates and deletes of a key-less table carry whole old rows: REPLICA IDENTITY FULL on the table
 * (and, for a partitioned table, on every partition, where the changes are actually decoded).
 */
export async function ensureReplicaIdentity(client: pg.ClientBase, t: TableName, id: SourceIdentity): Promise<boolean> {
  const usable = (id.replicaIdentity === 'd' && id.primaryKey.length > 0) || id.replicaIdentity === 'i' || id.replicaIdentity === 'f';
  if (usable && id.relkind !== 'p') return false;
  const parts = await client.query<{ nspname: string; relname: string; relreplident: string; haspk: boolean }>(
    `SELECT n.nspname, c.relname, c.relreplident,
            EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS haspk
       FROM (SELECT $1::regclass::oid AS relid UNION SELECT relid FROM pg_catalog.pg_partition_tree($1::regclass)) p
       JOIN pg_catalog.pg_class c ON c.oid = p.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')`,
    [qualifiedName(t)],
  ).catch(() => ({ rows: [{ nspname: t.schema, relname: t.name, relreplident: id.replicaIdentity, haspk: id.primaryKey.length > 0 }] }));
  let changed = false;
  for (const p of parts.rows) {
    const ok = (p.relreplident === 'd' && p.haspk) || p.relreplident === 'i' || p.relreplident === 'f';
    if (ok) continue;
    await client.query(`ALTER TABLE ${quoteIdent(p.nspname)}.${quoteIdent(p.relname)} REPLICA IDENTITY FULL`);
    changed = true;
  }
  return changed;
}

/**
 * The mirror's row identity: the replica identity's columns when they identify rows (primary key or a
 * replica-identity index); under REPLICA IDENTITY FULL the primary key if there is one, else none (whole rows).
 */
export function mirrorKey(columns: RelationColumn[], id: SourceIdentity): number[] {
  if (id.replicaIdentity === 'f') {
    return id.primaryKey.map((k) => columns.findIndex((c) => c.name === k)).filter((i) => i >= 0);
  }
  if (id.replicaIdentity === 'n') return [];
  return columns.map((c, i) => (c.isKey ? i : -1)).filter((i) => i >= 0);
}
