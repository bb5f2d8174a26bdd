// Where upstream Postgres lives, parsed once from `upstream.url`.
import { ConfigError } from '../config/load.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  /** Unix-domain socket path when host is a directory (libpq convention). */
  socketPath?: string;
  /** Upstream TLS (sslmode): disable → never; prefer → try; require/verify-* → must. */
  sslmode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  /** Connection parameters lakegate itself uses (control plane, CDC, engine reads); clients bring their own. */
  user: string;
  password?: string;
  database: string;
}

const SSLMODES = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']);

export function parseUpstreamUrl(url: string): UpstreamTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`config: upstream.url is not a valid postgres:// URL`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new ConfigError(`config: upstream.url must start with postgres:// or postgresql://, got ${u.protocol}//`);
  }
  const q = u.searchParams;
  let host = q.get('host') ?? decodeURIComponent(u.hostname || 'localhost');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(q.get('port') ?? (u.port || 5432));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`config: upstream.url has an invalid port`);
  const sslmodeRaw = q.get('sslmode') ?? 'disable';
  if (!SSLMODES.has(sslmodeRaw)) throw new ConfigError(`config: upstream.url sslmode must be one of ${[...SSLMODES].join(', ')}`);
  const sslmode = (sslmodeRaw === 'allow' ? 'prefer' : sslmodeRaw) as UpstreamTarget['sslmode'];
  const user = decodeURIComponent(u.username) || q.get('user') || 'postgres';
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || q.get('dbname') || user;
  const password = u.password ? decodeURIComponent(u.password) : (q.get('password') ?? undefined);
  const t: UpstreamTarget = { host, port, sslmode, user, database };
  if (password !== undefined) t.password = password;
  if (host.startsWith('/')) t.socketPath = `${host}/.s.PGSQL.${port}`;
  return t;
}

/** The same server on another port (IvorySQL's Oracle-mode listener). */
export function withPort(t: UpstreamTarget, port: number): UpstreamTarget {
  const copy: UpstreamTarget = { ...t, port };
  if (t.socketPath) copy.socketPath = `${t.host}/.s.PGSQL.${port}`;
  return copy;
}

export function describeTarget(t: UpstreamTarget): string {
  return t.socketPath ?? `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/** node-pg connection settings for lakegate's own connections to upstream. */
export function pgConfig(t: UpstreamTarget, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database,
    // like libpq, no TLS over a Unix socket whatever sslmode says
    ssl: t.sslmode === 'disable' || t.socketPath ? false : t.sslmode === 'prefer' || t.sslmode === 'require' ? { rejectUnauthorized: false } : true,
    ...extra,
  };
}
