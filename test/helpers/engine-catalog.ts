// The part of the control plane (sql/) the query engine itself calls in the client's session, for engine tests
// whose "mirrors" are plain views standing in for the real ones (no registry, no event triggers).
import { loadMigrations } from '../../src/control/migrate.js';

const PARTS = ['006_reader', '007_query_context', '008_transaction_view', '009_case_rules'];

export function engineCatalogSql(): string {
  const all = loadMigrations();
  const parts = PARTS.map((name) => {
    const m = all.find((x) => x.name === name);
    if (!m) throw new Error(`sql/${name}.sql is missing`);
    return m.sql;
  });
  return `CREATE SCHEMA IF NOT EXISTS mooncake; GRANT USAGE ON SCHEMA mooncake TO PUBLIC;\n${parts.join('\n')}`;
}
