// Upstream sessions as Postgres itself sees them (pg_stat_activity), not as they look through lakegate.
import type { TestPostgres } from './postgres.js';

/** How many backends of `db` run with this application_name. */
export async function backends(db: TestPostgres, applicationName: string): Promise<number> {
  const r = await db.sql('select count(*)::int as n from pg_stat_activity where application_name = $1', [applicationName]);
  return r.rows[0].n;
}
