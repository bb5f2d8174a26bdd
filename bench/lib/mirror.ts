// A mirror observed from outside lakegate, the way an operator sees it: `mooncake.create_table` and
// `mooncake.columnstore_tables` on upstream, and reads through lakegate's port. With `freshness: strict` (the
// default) a mirror query waits until every transaction committed before it is applied, so a read that returns
// marks the moment lakegate has caught up with upstream — to within a few ms, unlike columnstore_tables.commit_lsn,
// which lakegate writes about once a second.
import pg from 'pg';

export interface MirrorStatus {
  state: string;
  error: string | null;
  rowCount: number | null;
  dataFiles: number | null;
  commitLsn: string | null;
  flushLsn: string | null;
  location: string | null;
}

const qlit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** lakegate installs the control plane (schema mooncake) after it starts listening: wait for it. */
export async function waitForControlPlane(c: pg.Client, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.query<{ ok: boolean }>(
      `SELECT to_regclass('mooncake.schema_migrations') IS NOT NULL AND to_regclass('mooncake.columnstore_tables') IS NOT NULL AS ok`);
    if (r.rows[0]!.ok) return;
    if (Date.now() > deadline) throw new Error(`lakegate did not install the mooncake schema within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** `CALL mooncake.create_table(mirror, source)`; lakegate copies the source in the background. */
export async function createMirror(c: pg.Client, mirror: string, source: string): Promise<void> {
  await c.query(`CALL mooncake.create_table(${qlit(mirror)}, ${qlit(source)})`);
}

/** The mirror's row in mooncake.columnstore_tables (`mirror` as schema.name), or null. */
export async function mirrorStatus(c: pg.Client, mirror: string): Promise<MirrorStatus | null> {
  const r = await c.query<{ state: string; error: string | null; row_count: string | null; data_files: number | null;
    commit_lsn: string | null; flush_lsn: string | null; iceberg_warehouse_location: string | null }>(
    `SELECT state, error, row_count::text, data_files, commit_lsn::text, flush_lsn::text, iceberg_warehouse_location
       FROM mooncake.columnstore_tables WHERE "table" = $1`, [mirror]);
  const x = r.rows[0];
  if (!x) return null;
  return {
    state: x.state,
    error: x.error,
    rowCount: x.row_count === null ? null : Number(x.row_count),
    dataFiles: x.data_files,
    commitLsn: x.commit_lsn,
    flushLsn: x.flush_lsn,
    location: x.iceberg_warehouse_location,
  };
}

/** Poll columnstore_tables until the mirror is `ready` (throws if it turns `failed`). */
export async function waitForMirrorReady(c: pg.Client, mirror: string, timeoutMs: number, pollMs = 100): Promise<MirrorStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await mirrorStatus(c, mirror);
    if (s?.state === 'ready') return s;
    if (s?.state === 'failed') throw new Error(`mirror ${mirror} failed: ${s.error}`);
    if (Date.now() > deadline) throw new Error(`mirror ${mirror} not ready after ${timeoutMs} ms (state ${s?.state ?? 'missing'})`);
    await sleep(pollMs);
  }
}

/** A client session on lakegate's port (user postgres, database postgres). */
export async function lakegateClient(port: number): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', application_name: 'lakegate-bench' });
  await c.connect();
  return c;
}

/**
 * `SELECT count(*)` of a mirror through lakegate; under strict freshness it returns once lakegate has applied
 * everything upstream committed before the query. lakegate gives up waiting after 10 s (55000); the read is
 * then simply repeated until `timeoutMs`. Resolves the count and when the read returned.
 */
export async function freshCount(gate: pg.Client, mirror: string, timeoutMs: number): Promise<{ rows: number; at: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await gate.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${mirror}`);
      return { rows: Number(r.rows[0]!.n), at: performance.now() };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code !== '55000' || !/caught up/.test(err.message ?? '') || Date.now() > deadline) throw e;
    }
  }
}

/**
 * A transactional logical message in its own transaction, right after a load: its LSN is past every change of
 * the load, and a pgoutput consumer receives it just before that transaction's COMMIT. Returns the LSN as text.
 */
export async function emitMarker(c: pg.Client): Promise<string> {
  const r = await c.query<{ lsn: string }>(`SELECT pg_logical_emit_message(true, 'lakegate.bench', 'end')::text AS lsn`);
  return r.rows[0]!.lsn;
}

/** How far the walsender serving `slot` has sent (pg_stat_replication.sent_lsn), or null when none is active. */
export async function walsenderSentLsn(c: pg.Client, slot: string): Promise<string | null> {
  const r = await c.query<{ lsn: string }>(
    `SELECT s.sent_lsn::text AS lsn FROM pg_stat_replication s JOIN pg_replication_slots r ON r.active_pid = s.pid
      WHERE r.slot_name = $1`, [slot]);
  return r.rows[0]?.lsn ?? null;
}

/** pg_wal_lsn_diff(a, b) in bytes, computed locally. */
export function lsnDiff(a: string, b: string): number {
  const v = (s: string) => {
    const [hi, lo] = s.split('/');
    return BigInt('0x' + hi) * 2n ** 32n + BigInt('0x' + lo);
  };
  return Number(v(a) - v(b));
}

/** Drop a replication slot, retrying while its walsender is still letting go of it. */
export async function dropSlot(c: pg.Client, slot: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await c.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return;
    } catch (e) {
      if (i >= 50 || !/is active/.test((e as Error).message)) throw e;
      await sleep(100);
    }
  }
}
