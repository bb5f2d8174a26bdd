// Applies sql/NNN_name.sql to the upstream database at start: pending files in version order, all in
// one transaction under an advisory lock, each recorded in mooncake.schema_migrations. Two lakegate
// processes starting at once serialise on the lock; the second finds nothing left to do.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { NoticeMessage } from 'pg-protocol/dist/messages.js';
import { log } from '../log.js';

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrateOptions {
  /** folder holding NNN_name.sql (default: the repository's sql/) */
  dir?: string;
}

export interface MigrateResult {
  /** files applied by this call, e.g. ['001_registry'] */
  applied: string[];
  /** highest version now recorded */
  version: number;
  /** the DDL-capture event triggers exist (they need a superuser to install) */
  eventTriggers: boolean;
}

// pg_advisory_xact_lock(key1, key2): 'lake' as an int32, then 1 for "migrations"
const LOCK_KEY1 = 0x6c616b65;
const LOCK_KEY2 = 1;
const FILE_NAME = /^(\d+)_([A-Za-z0-9_]+)\.sql$/;

/** The repository's sql/ folder, from src/control (tsx) or dist/src/control (compiled). */
export function defaultSqlDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../sql', '../../../sql']) {
    const dir = resolve(here, up);
    if (existsSync(join(dir, '001_registry.sql'))) return dir;
  }
  throw new Error(`lakegate: cannot find the sql/ migrations folder near ${here}`);
}

export function loadMigrations(dir: string = defaultSqlDir()): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir)) {
    const m = FILE_NAME.exec(file);
    if (!m) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    out.push({
      version: Number(m[1]),
      name: `${m[1]}_${m[2]}`,
      file: join(dir, file),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.version === out[i - 1]!.version) {
      throw new Error(`lakegate: two migrations with version ${out[i]!.version}: ${out[i - 1]!.name}, ${out[i]!.name}`);
    }
  }
  return out;
}

type Db = pg.Pool | pg.ClientBase;

/** Bring schema `mooncake` up to date. Safe to call on every start and from several processes at once. */
export async function migrate(db: Db, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = loadMigrations(opts.dir);
  const client = db instanceof pg.Pool ? await db.connect() : db;
  const notices: NoticeMessage[] = [];
  const onNotice = (n: NoticeMessage) => notices.push(n);
  client.on('notice', onNotice);
  const applied: string[] = [];
  let version = 0;
  try {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_KEY1, LOCK_KEY2]);
      // CREATE SCHEMA IF NOT EXISTS checks the database CREATE privilege even when the schema exists
      const { rowCount: hasSchema } = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'mooncake'`);
      if (!hasSchema) await client.query('CREATE SCHEMA mooncake');
      await client.query(`CREATE TABLE IF NOT EXISTS mooncake.schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = new Map<number, string>();
      for (const r of (await client.query('SELECT version, checksum FROM mooncake.schema_migrations')).rows) {
        done.set(r.version as number, r.checksum as string);
      }
      for (const m of migrations) {
        const seen = done.get(m.version);
        if (seen !== undefined) {
          if (seen !== m.checksum) log.warn({ migration: m.name }, 'applied migration file has changed since; not re-applied');
          continue;
        }
        try {
          await client.query(m.sql);
        } catch (e) {
          throw Object.assign(new Error(`migration ${m.name} failed: ${(e as Error).message}`), { cause: e });
        }
        await client.query('INSERT INTO mooncake.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        applied.push(m.name);
      }
      const newer = [...done.keys()].filter((v) => !migrations.some((m) => m.version === v));
      if (newer.length) log.warn({ versions: newer }, 'database has migrations this lakegate does not know (newer version ran here?)');
      version = Math.max(0, ...done.keys(), ...migrations.map((m) => m.version));
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
    const { rowCount: triggers } = await client.query(
      `SELECT 1 FROM pg_event_trigger WHERE evtname IN ('mooncake_ddl_command_end', 'mooncake_sql_drop') AND evtenabled <> 'D'`,
    );
    const eventTriggers = triggers === 2;
    for (const n of notices) {
      // "already exists, skipping" from re-runs is noise; warnings (e.g. no superuser) are not
      if (n.severity === 'WARNING') log.warn({ detail: n.detail, hint: n.hint }, n.message);
      else log.debug({ severity: n.severity }, n.message);
    }
    if (applied.length) log.info({ applied, version }, 'mooncake schema migrated');
    if (!eventTriggers) {
      log.warn('mooncake DDL capture is off (no event triggers): ALTER TABLE on a mirrored table will not update its mirror; run SELECT mooncake.install_event_triggers() as a superuser');
    }
    return { applied, version, eventTriggers };
  } finally {
    client.removeListener('notice', onNotice);
    if (db instanceof pg.Pool) (client as pg.PoolClient).release();
  }
}
