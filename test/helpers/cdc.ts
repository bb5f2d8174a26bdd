// A Postgres for CDC tests to read changes from: the server, node-pg settings for the connections our CDC code opens
// itself (sessions, replication), and an admin session for the DDL and DML the tests drive.
import type pg from 'pg';
import { startPostgres, type TestPostgres } from './postgres.js';

export interface CdcSource {
  pgs: TestPostgres;
  /** superuser `postgres` on database `postgres`, for openSession / openReplicationConnection / ChangeStream */
  conn: pg.ClientConfig;
  /** an open superuser client (ended by close()) */
  admin: pg.Client;
  /** ends the admin client, destroys the server */
  close(): Promise<void>;
}

export async function startCdcSource(): Promise<CdcSource> {
  const pgs = await startPostgres();
  let admin: pg.Client;
  try {
    admin = await pgs.client();
  } catch (e) {
    await pgs.destroy();
    throw e;
  }
  return {
    pgs,
    conn: { host: '127.0.0.1', port: pgs.port, user: 'postgres', database: 'postgres' },
    admin,
    async close() {
      await admin.end().catch(() => {});
      await pgs.destroy();
    },
  };
}
