// Publications (ordinary connection). publish_via_partition_root makes changes to partitions arrive under the
// partitioned table's OID and schema, which is what a mirror of the root needs.
import type pg from 'pg';
import { quoteIdent } from './connection.js';

export interface TableName {
  schema: string;
  name: string;
}

export function qualifiedName(t: TableName): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
}

function tableList(tables: readonly TableName[]): string {
  return tables.map(qualifiedName).join(', ');
}

export async function createPublication(client: pg.ClientBase, name: string, tables: readonly TableName[] = []): Promise<void> {
  const forTables = tables.length ? ` FOR TABLE ${tableList(tables)}` : '';
  await client.query(`CREATE PUBLICATION ${quoteIdent(name)}${forTables} WITH (publish_via_partition_root = true)`);
}

/** create the publication unless it exists (its table list is left alone) */
export async function ensurePublication(client: pg.ClientBase, name: string): Promise<boolean> {
  const r = await client.query('SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1', [name]);
  if (r.rowCount) return false;
  await createPublication(client, name);
  return true;
}

export async function addPublicationTables(client: pg.ClientBase, name: string, tables: readonly TableName[]): Promise<void> {
  if (tables.length) await client.query(`ALTER PUBLICATION ${quoteIdent(name)} ADD TABLE ${tableList(tables)}`);
}

export async function removePublicationTables(client: pg.ClientBase, name: string, tables: readonly TableName[]): Promise<void> {
  if (tables.length) await client.query(`ALTER PUBLICATION ${quoteIdent(name)} DROP TABLE ${tableList(tables)}`);
}

export async function publicationTables(client: pg.ClientBase, name: string): Promise<TableName[]> {
  const r = await client.query<{ schemaname: string; tablename: string }>(
    'SELECT schemaname, tablename FROM pg_catalog.pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2', [name]);
  return r.rows.map((row) => ({ schema: row.schemaname, name: row.tablename }));
}

export async function dropPublication(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(name)}`);
}
