// Replication slots. createSlot runs on a walsender connection and exports a snapshot: a COPY run in that
// snapshot plus streaming from consistentPoint is gap-free and duplicate-free. The snapshot lives only while
// the creating connection stays open and idle, so the caller keeps `conn` until every copier has run
// SET TRANSACTION SNAPSHOT (and may then reuse it for START_REPLICATION).
import type pg from 'pg';
import { parseLsn, type Lsn } from './lsn.js';
import { quoteIdent } from './connection.js';

export interface CreatedSlot {
  slotName: string;
  consistentPoint: Lsn;
  /** null with snapshot 'nothing' */
  snapshotName: string | null;
  outputPlugin: string;
}

export interface CreateSlotOptions {
  temporary?: boolean;
  /** 'export' (default): for copies on other connections; 'use': for a copy on this connection; 'nothing' */
  snapshot?: 'export' | 'use' | 'nothing';
}

async function serverVersionNum(conn: pg.Client): Promise<number> {
  const r = await conn.query<{ server_version_num: string }>('SHOW server_version_num');
  return Number(r.rows[0]!.server_version_num);
}

/** CREATE_REPLICATION_SLOT name LOGICAL pgoutput (SNAPSHOT 'export') on a replication connection */
export async function createSlot(conn: pg.Client, name: string, opts: CreateSlotOptions = {}): Promise<CreatedSlot> {
  const snapshot = opts.snapshot ?? 'export';
  const temporary = opts.temporary ? ' TEMPORARY' : '';
  const version = await serverVersionNum(conn);
  const clause = version >= 150000
    ? `(SNAPSHOT '${snapshot}')`
    : { export: 'EXPORT_SNAPSHOT', use: 'USE_SNAPSHOT', nothing: 'NOEXPORT_SNAPSHOT' }[snapshot];
  const r = await conn.query<{ slot_name: string; consistent_point: string; snapshot_name: string | null; output_plugin: string }>(
    `CREATE_REPLICATION_SLOT ${quoteIdent(name)}${temporary} LOGICAL pgoutput ${clause}`,
  );
  const row = r.rows[0]!;
  return {
    slotName: row.slot_name,
    consistentPoint: parseLsn(row.consistent_point),
    snapshotName: row.snapshot_name ?? null,
    outputPlugin: row.output_plugin,
  };
}

export interface SystemIdentity {
  systemId: string;
  timeline: number;
  xlogPos: Lsn;
  dbName: string | null;
}

/** IDENTIFY_SYSTEM on a replication connection */
export async function identifySystem(conn: pg.Client): Promise<SystemIdentity> {
  const r = await conn.query<{ systemid: string; timeline: string; xlogpos: string; dbname: string | null }>('IDENTIFY_SYSTEM');
  const row = r.rows[0]!;
  return { systemId: row.systemid, timeline: Number(row.timeline), xlogPos: parseLsn(row.xlogpos), dbName: row.dbname };
}

export interface SlotState {
  slotName: string;
  plugin: string | null;
  active: boolean;
  activePid: number | null;
  restartLsn: Lsn | null;
  confirmedFlushLsn: Lsn | null;
}

/** pg_replication_slots row (ordinary connection); null if the slot does not exist */
export async function slotState(client: pg.ClientBase, name: string): Promise<SlotState | null> {
  const r = await client.query<{ slot_name: string; plugin: string | null; active: boolean; active_pid: number | null;
    restart_lsn: string | null; confirmed_flush_lsn: string | null }>(
    `SELECT slot_name, plugin, active, active_pid, restart_lsn::text, confirmed_flush_lsn::text
       FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`, [name]);
  const row = r.rows[0];
  if (!row) return null;
  return {
    slotName: row.slot_name,
    plugin: row.plugin,
    active: row.active,
    activePid: row.active_pid,
    restartLsn: row.restart_lsn ? parseLsn(row.restart_lsn) : null,
    confirmedFlushLsn: row.confirmed_flush_lsn ? parseLsn(row.confirmed_flush_lsn) : null,
  };
}

/** drop a slot from an ordinary connection; terminates its walsender first if `force` */
export async function dropSlot(client: pg.ClientBase, name: string, opts: { force?: boolean } = {}): Promise<boolean> {
  if (opts.force) {
    await client.query(
      `SELECT pg_catalog.pg_terminate_backend(active_pid) FROM pg_catalog.pg_replication_slots
        WHERE slot_name = $1 AND active_pid IS NOT NULL`, [name]);
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await client.query(
        `SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots WHERE slot_name = $1`, [name]);
      return (r.rowCount ?? 0) > 0;
    } catch (e) {
      // a just-terminated walsender may still hold the slot for a moment
      if (!opts.force || attempt >= 50 || (e as { code?: string }).code !== '55006') throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
