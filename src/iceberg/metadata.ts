// Table metadata JSON (spec §Table Metadata), kept in its spec shape so fields we do not interpret survive a
// read-modify-write. Snapshot ids are bigint in memory: other writers use random 63-bit ids.
import { randomInt, randomUUID } from 'node:crypto';
import { parseJson, stringifyJson, toBigInt } from './json.js';
import { maxFieldId, validateSchema, type Schema } from './schema.js';

export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete';

export interface Snapshot {
  'snapshot-id': bigint;
  'parent-snapshot-id'?: bigint;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: { operation: SnapshotOperation } & Record<string, string>;
  'schema-id'?: number;
  [extra: string]: unknown;
}

export interface SnapshotRef {
  'snapshot-id': bigint;
  type: 'branch' | 'tag';
  [extra: string]: unknown;
}

export interface TableMetadata {
  'format-version': 2 | 3;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  'current-schema-id': number;
  schemas: Schema[];
  'default-spec-id': number;
  'partition-specs': { 'spec-id': number; fields: unknown[] }[];
  'last-partition-id': number;
  'default-sort-order-id': number;
  'sort-orders': { 'order-id': number; fields: unknown[] }[];
  properties: Record<string, string>;
  /** null when the table has no snapshot (written as -1 in v2, null in v3, as Java does) */
  'current-snapshot-id': bigint | null;
  refs: Record<string, SnapshotRef>;
  snapshots: Snapshot[];
  'snapshot-log': { 'timestamp-ms': number; 'snapshot-id': bigint }[];
  'metadata-log': { 'timestamp-ms': number; 'metadata-file': string }[];
  statistics: { 'snapshot-id': bigint; [k: string]: unknown }[];
  'partition-statistics': { 'snapshot-id': bigint; [k: string]: unknown }[];
  'next-row-id'?: number;
  [extra: string]: unknown;
}

export const MAIN_BRANCH = 'main';

/** Fresh positive snapshot id below 2^53 (safe in JSON for every reader) and unused in this table. */
export function newSnapshotId(meta?: TableMetadata): bigint {
  for (;;) {
    const id = (BigInt(randomInt(1, 2 ** 47)) << 6n) | BigInt(randomInt(0, 64));
    if (!meta?.snapshots.some((s) => s['snapshot-id'] === id)) return id;
  }
}

export interface NewTableOptions {
  location: string;
  schema: Schema;
  properties?: Record<string, string>;
  formatVersion?: 2 | 3;
  tableUuid?: string;
}

export function newTableMetadata(o: NewTableOptions): TableMetadata {
  validateSchema(o.schema);
  const fv = o.formatVersion ?? 2;
  const meta: TableMetadata = {
    'format-version': fv,
    'table-uuid': o.tableUuid ?? randomUUID(),
    location: o.location.replace(/\/+$/, ''),
    'last-sequence-number': 0,
    'last-updated-ms': Date.now(),
    'last-column-id': maxFieldId(o.schema),
    'current-schema-id': o.schema['schema-id'],
    schemas: [o.schema],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }],
    'last-partition-id': 999,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: { 'write.format.default': 'parquet', ...(o.properties ?? {}) },
    'current-snapshot-id': null,
    refs: {},
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    statistics: [],
    'partition-statistics': [],
  };
  if (fv >= 3) meta['next-row-id'] = 0;
  return meta;
}

// ---- parse / serialise ------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const idOrNull = (v: unknown): bigint | null => {
  if (v === null || v === undefined) return null;
  const id = toBigInt(v);
  return id === -1n ? null : id;
};

export function parseTableMetadata(text: string): TableMetadata {
  const m = parseJson(text) as Obj;
  const fv = m['format-version'];
  if (fv !== 2 && fv !== 3) throw new Error(`unsupported Iceberg format-version ${String(fv)} (need 2 or 3)`);
  for (const k of ['table-uuid', 'location', 'schemas', 'current-schema-id', 'last-column-id']) {
    if (m[k] === undefined) throw new Error(`table metadata lacks ${k}`);
  }
  m['current-snapshot-id'] = idOrNull(m['current-snapshot-id']);
  m['last-sequence-number'] = Number(m['last-sequence-number'] ?? 0);
  m['properties'] ??= {};
  m['partition-specs'] ??= [{ 'spec-id': 0, fields: [] }];
  m['sort-orders'] ??= [{ 'order-id': 0, fields: [] }];
  m['snapshot-log'] ??= [];
  m['metadata-log'] ??= [];
  m['statistics'] ??= [];
  m['partition-statistics'] ??= [];
  const snaps = ((m['snapshots'] as Obj[] | undefined) ?? []).map((s) => {
    s['snapshot-id'] = toBigInt(s['snapshot-id']);
    const parent = idOrNull(s['parent-snapshot-id']);
    if (parent === null) delete s['parent-snapshot-id'];
    else s['parent-snapshot-id'] = parent;
    s['sequence-number'] = Number(s['sequence-number'] ?? 0);
    s['timestamp-ms'] = Number(s['timestamp-ms']);
    s['summary'] ??= { operation: 'append' };
    return s;
  });
  m['snapshots'] = snaps;
  for (const e of m['snapshot-log'] as Obj[]) e['snapshot-id'] = toBigInt(e['snapshot-id']);
  for (const e of m['statistics'] as Obj[]) e['snapshot-id'] = toBigInt(e['snapshot-id']);
  for (const e of m['partition-statistics'] as Obj[]) e['snapshot-id'] = toBigInt(e['snapshot-id']);
  const refs = (m['refs'] as Record<string, Obj> | undefined) ?? {};
  for (const r of Object.values(refs)) r['snapshot-id'] = toBigInt(r['snapshot-id']);
  // v2 tables written before refs existed: main follows current-snapshot-id
  if (!refs[MAIN_BRANCH] && m['current-snapshot-id'] !== null) {
    refs[MAIN_BRANCH] = { 'snapshot-id': m['current-snapshot-id'], type: 'branch' };
  }
  m['refs'] = refs;
  return m as TableMetadata;
}

export function serializeTableMetadata(meta: TableMetadata): string {
  const out: Obj = { ...meta };
  if (meta['current-snapshot-id'] === null) out['current-snapshot-id'] = meta['format-version'] >= 3 ? null : -1;
  return stringifyJson(out);
}

// ---- lookups ----------------------------------------------------------------------------------------------

export function currentSchema(meta: TableMetadata): Schema {
  return schemaById(meta, meta['current-schema-id']);
}

export function schemaById(meta: TableMetadata, id: number): Schema {
  const s = meta.schemas.find((x) => x['schema-id'] === id);
  if (!s) throw new Error(`table metadata has no schema ${id}`);
  return s;
}

export function currentSnapshot(meta: TableMetadata): Snapshot | null {
  const id = meta['current-snapshot-id'];
  return id === null ? null : snapshotById(meta, id);
}

export function snapshotById(meta: TableMetadata, id: bigint): Snapshot {
  const s = meta.snapshots.find((x) => x['snapshot-id'] === id);
  if (!s) throw new Error(`table metadata has no snapshot ${id}`);
  return s;
}

/** current snapshot first, then its parents, as far as they are still in the metadata */
export function ancestors(meta: TableMetadata, from: bigint | null = meta['current-snapshot-id']): Snapshot[] {
  const out: Snapshot[] = [];
  const byId = new Map(meta.snapshots.map((s) => [s['snapshot-id'], s]));
  for (let id = from; id !== null && id !== undefined; ) {
    const s = byId.get(id);
    if (!s) break;
    out.push(s);
    id = s['parent-snapshot-id'] ?? null;
  }
  return out;
}
