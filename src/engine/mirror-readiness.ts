// A query (or DROP) names a mirror the table layer does not serve yet — typically one created a moment ago
// (new-mirrors.ts). The control plane's registry, read on the client's own connection, says what the name is:
// no relation, not a mirror, a mirror being copied, or a failed one. A mirror being copied is waited for (a
// strict reader sees everything committed before it started, and the mirror's creation is among that).
import { PgError } from '../route/local.js';
import type { MirrorRef } from '../route/catalog.js';
import type { MirrorSource } from './mirror-source.js';
import type { UpstreamChannel } from './upstream-channel.js';

export type RegistryState =
  | { kind: 'missing' }
  | { kind: 'not-mirror' }
  | { kind: 'mirror'; ref: MirrorRef; state: string; error: string | null; createdHere: boolean };

// columnstore_tables is readable by everyone; "table" is quote_ident(schema).quote_ident(name). A mirror
// registered by the current transaction has created_at = now() (its transaction's start).
const LOOKUP = `
SELECT n.nspname, c.relname, t.state, t.error, (t.created_at = pg_catalog.now())::text
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN mooncake.columnstore_tables t ON t.state <> 'dropping' AND pg_catalog.to_regclass(t."table") = c.oid
 WHERE c.oid = pg_catalog.to_regclass($1)`;

/** What `name` (regclassText, resolved with the session's search_path) is in the registry. */
export async function registryState(up: UpstreamChannel, name: string): Promise<RegistryState> {
  const r = await up.query(LOOKUP, [name]);
  const row = r.rows[0];
  if (!row) return { kind: 'missing' };
  const [schema, rel, state, error, createdHere] = row;
  if (state === null) return { kind: 'not-mirror' };
  return { kind: 'mirror', ref: { schema: schema!, name: rel! }, state: state!, error: error ?? null, createdHere: createdHere === 'true' };
}

/**
 * Waits until the table layer serves `name` (a mirror in the registry). Resolves with what the registry says
 * when it is not a mirror (or missing); throws 55000 when it failed, was created in the caller's own open
 * transaction, or is still being copied at the deadline.
 */
export async function awaitMirror(
  up: UpstreamChannel,
  source: MirrorSource,
  name: string,
  inTransaction: boolean,
  timeoutMs: number,
): Promise<RegistryState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await registryState(up, name);
    if (st.kind !== 'mirror' || source.relationSql(st.ref) !== null) return st;
    const label = `"${st.ref.schema}.${st.ref.name}"`;
    if (st.state === 'failed') {
      throw new PgError('55000', `mirror ${label} failed`, 'ERROR', st.error ?? undefined, `Drop it (CALL mooncake.drop_table('${st.ref.schema}.${st.ref.name}')) and create it again.`);
    }
    if (inTransaction && st.createdHere) {
      throw new PgError('55000', `mirror ${label} was created in this transaction`, 'ERROR', 'lakegate copies a new mirror once its creation is committed.', 'Commit, then query the mirror.');
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new PgError('55000', `mirror ${label} is not ready yet`, 'ERROR', `Its initial copy has not finished (state ${st.state}).`, 'Try again shortly; SELECT * FROM mooncake.columnstore_tables shows its progress.');
    }
    const slice = Math.min(left, 250);
    if (source.waitReady) await source.waitReady(st.ref, slice);
    else await new Promise((r) => setTimeout(r, slice));
  }
}
