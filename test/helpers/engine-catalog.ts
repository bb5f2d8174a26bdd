// The part of the control plane (sql/) the query engine itself calls in the client's session, for engine tests
// whose "mirrors" are plain views standing in for the real ones (no registry, no event triggers).
import { loadMigrations } from '../../src/control/migrate.js';

export function engineCatalogSql(): string {
  const all = loadMigrations();
  const reader = all.find((m) => m.name === '006_reader');
  const context = all.find((m) => m.name === '007_query_context');
  if (!reader || !context) throw new Error('sql/006_reader.sql or sql/007_query_context.sql is missing');
  return `CREATE SCHEMA IF NOT EXISTS mooncake; GRANT USAGE ON SCHEMA mooncake TO PUBLIC;\n${reader.sql}\n${context.sql}`;
}
