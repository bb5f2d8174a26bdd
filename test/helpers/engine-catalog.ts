// The part of the control plane (sql/) the query engine itself calls in the client's session, for engine tests
// whose "mirrors" are plain views standing in for the real ones (no registry, no event triggers).
import { loadMigrations } from '../../src/control/migrate.js';

export function engineCatalogSql(): string {
  const reader = loadMigrations().find((m) => m.name === '006_reader');
  if (!reader) throw new Error('sql/006_reader.sql is missing');
  return `CREATE SCHEMA IF NOT EXISTS mooncake; GRANT USAGE ON SCHEMA mooncake TO PUBLIC;\n${reader.sql}`;
}
