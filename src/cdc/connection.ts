// Connections the CDC side opens: walsender ("replication: 'database'") and ordinary copy/catalog sessions.
// Every session is pinned to UTF-8 and ISO/UTC so that the few values that can still arrive as text
// (types without a send function) do not depend on server or role defaults.
import pg from 'pg';

export const PINNED_SESSION_SETTINGS: Readonly<Record<string, string>> = {
  client_encoding: 'UTF8',
  TimeZone: 'UTC',
  DateStyle: 'ISO',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
};

function pinnedOptions(extra: string | undefined): string {
  const pinned = Object.entries(PINNED_SESSION_SETTINGS).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  return extra ? `${pinned} ${extra}` : pinned;
}

/** an ordinary session (copy, catalog, publications) */
export function sessionConfig(base: pg.ClientConfig): pg.ClientConfig {
  return { ...base, options: pinnedOptions(base.options) };
}

/** a logical walsender session: accepts replication commands and plain SQL while not streaming */
export function replicationConfig(base: pg.ClientConfig): pg.ClientConfig {
  return { ...sessionConfig(base), replication: 'database' } as pg.ClientConfig;
}

export async function openSession(base: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(sessionConfig(base));
  await c.connect();
  return c;
}

export async function openReplicationConnection(base: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(replicationConfig(base));
  await c.connect();
  return c;
}

export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteLiteral(text: string): string {
  return "'" + text.replace(/'/g, "''") + "'";
}
