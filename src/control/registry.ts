// lakegate's side of the control plane: read mooncake.mirrors, follow its changes (LISTEN
// mooncake_mirrors, plus a poll every second in case a notification is missed), and write back
// state, progress, request answers and the Iceberg JDBC-catalog pointer. Runs on a pg Pool or Client
// the caller owns, connected as lakegate's service role (the owner of schema mooncake).
import pg from 'pg';
import { log } from '../log.js';
import { MIRROR_COLUMNS, mirrorFromRow, type Mirror, type MirrorState } from './mirror.js';

export const MIRRORS_CHANNEL = 'mooncake_mirrors';

export interface RegistryOptions {
  /** catalog_name in the Iceberg JDBC-catalog tables (default 'lakegate') */
  catalogName?: string;
}

export interface WatchOptions {
  /** poll interval in ms (default 1000) */
  pollMs?: number;
  /** also call mooncake.reconcile() on each poll, which notices dropped views/sources when the event
   *  triggers are missing (default true; cheap when there is nothing to do) */
  reconcile?: boolean;
}

export interface MirrorWatch {
  /** reload now and call onChange if something changed */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

export interface Progress {
  /** the mirror is complete up to this WAL position: advance it for every processed commit, not only
   *  for commits that touched the table, so an idle table shows no lag */
  commitLsn?: string;
  /** … and durable in Iceberg up to this one */
  flushLsn?: string;
  rowCount?: number;
  dataFiles?: number;
}

type Db = pg.Pool | pg.Client;

// fields that change every second while replicating; a change in them alone is not reported
const PROGRESS_FIELDS = new Set(['commitLsn', 'flushLsn', 'rowCount', 'dataFiles', 'updatedAt']);

function fingerprint(mirrors: Mirror[]): string {
  return JSON.stringify(mirrors, (k, v) => (PROGRESS_FIELDS.has(k) ? undefined : v));
}

export class MirrorRegistry {
  readonly catalogName: string;

  constructor(
    private readonly db: Db,
    opts: RegistryOptions = {},
  ) {
    this.catalogName = opts.catalogName ?? 'lakegate';
  }

  /** Every mirror, including 'dropping' ones whose files lakegate still has to delete. */
  async listMirrors(): Promise<Mirror[]> {
    const { rows } = await this.db.query(`SELECT ${MIRROR_COLUMNS} FROM mooncake.mirrors ORDER BY id`);
    return rows.map(mirrorFromRow);
  }

  async getMirror(id: number): Promise<Mirror | null> {
    const { rows } = await this.db.query(`SELECT ${MIRROR_COLUMNS} FROM mooncake.mirrors WHERE id = $1`, [id]);
    return rows.length ? mirrorFromRow(rows[0]) : null;
  }

  /**
   * Call onChange with the full list now and whenever a mirror appears, disappears, or changes state
   * or definition (progress-only updates are not reported). NOTIFY makes it immediate; the poll
   * bounds the delay to pollMs if a notification is lost or the LISTEN connection drops.
   */
  async watch(onChange: (mirrors: Mirror[]) => void | Promise<void>, opts: WatchOptions = {}): Promise<MirrorWatch> {
    const pollMs = opts.pollMs ?? 1000;
    const reconcile = opts.reconcile ?? true;
    let last: string | null = null;
    let stopped = false;
    let running: Promise<void> | null = null;
    let again = false;
    let listener: pg.ClientBase | null = null;

    const onNotification = (msg: pg.Notification) => {
      if (msg.channel === MIRRORS_CHANNEL) void refresh();
    };
    const onListenerError = (err: Error) => {
      log.warn({ err: err.message }, 'mooncake registry: LISTEN connection failed; polling until it is back');
      dropListener(err);
    };
    const dropListener = (err?: Error) => {
      const l = listener;
      listener = null;
      if (!l) return;
      l.removeListener('notification', onNotification);
      l.removeListener('error', onListenerError);
      if (this.db instanceof pg.Pool) (l as pg.PoolClient).release(err ?? true);
    };
    const ensureListener = async () => {
      if (listener || stopped) return;
      const l: pg.ClientBase = this.db instanceof pg.Pool ? await this.db.connect() : this.db;
      l.on('notification', onNotification);
      l.on('error', onListenerError);
      listener = l;
      try {
        await l.query(`LISTEN ${MIRRORS_CHANNEL}`);
      } catch (e) {
        dropListener(e as Error);
        throw e;
      }
    };

    const load = async () => {
      if (reconcile) await this.reconcile();
      const mirrors = await this.listMirrors();
      const fp = fingerprint(mirrors);
      if (fp === last || stopped) return;
      last = fp;
      await onChange(mirrors);
    };
    // one load at a time; a request during a load schedules exactly one more
    const refresh = (): Promise<void> => {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        try {
          do {
            again = false;
            await load();
          } while (again && !stopped);
        } finally {
          running = null;
        }
      })();
      return running;
    };

    await ensureListener();
    await refresh();
    const timer = setInterval(() => {
      if (stopped) return;
      ensureListener().catch((e) => log.warn({ err: (e as Error).message }, 'mooncake registry: LISTEN failed'));
      refresh().catch((e) => log.warn({ err: (e as Error).message }, 'mooncake registry: poll failed'));
    }, pollMs);
    timer.unref();

    return {
      refresh,
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await running?.catch(() => {});
        const l = listener;
        if (l) {
          await l.query(`UNLISTEN ${MIRRORS_CHANNEL}`).catch(() => {});
          dropListener();
        }
      },
    };
  }

  /** Mark mirrors whose source table or view vanished without the event triggers noticing. */
  async reconcile(): Promise<number> {
    const { rows } = await this.db.query('SELECT mooncake.reconcile() AS n');
    return rows[0].n as number;
  }

  /** Waits if a user's transaction holds the mirror's row (an ALTER of its source still open). */
  async setState(id: number, state: MirrorState, error?: string | null): Promise<void> {
    // a drop is final: nothing lakegate reports afterwards (a copy finishing late) may undo it
    await this.db.query(`UPDATE mooncake.mirrors SET state = $2, error = $3, updated_at = now()
       WHERE id = $1 AND (state <> 'dropping' OR $2 = 'dropping')`, [
      id,
      state,
      error ?? null,
    ]);
  }

  /**
   * Fields left undefined keep their value. Never waits: if a user's transaction holds the row (DDL on
   * the source updates it) the update is skipped and false returned; write again on the next tick.
   */
  async setProgress(id: number, p: Progress): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE mooncake.mirrors SET commit_lsn = coalesce($2::pg_lsn, commit_lsn), flush_lsn = coalesce($3::pg_lsn, flush_lsn),
         row_count = coalesce($4::bigint, row_count), data_files = coalesce($5::bigint, data_files), updated_at = now()
       WHERE id = (SELECT id FROM mooncake.mirrors WHERE id = $1 FOR UPDATE SKIP LOCKED)`,
      [id, p.commitLsn ?? null, p.flushLsn ?? null, p.rowCount ?? null, p.dataFiles ?? null],
    );
    return rowCount === 1;
  }

  /** The mirror's Iceberg table root (shown by list_tables as iceberg_warehouse_location). */
  async setLocation(id: number, location: string): Promise<void> {
    await this.db.query('UPDATE mooncake.mirrors SET location = $2, updated_at = now() WHERE id = $1', [id, location]);
  }

  /** Remove a 'dropping' mirror's row once its files are deleted. Returns false if it is not dropping. */
  async forget(id: number): Promise<boolean> {
    const { rowCount } = await this.db.query(`DELETE FROM mooncake.mirrors WHERE id = $1 AND state = 'dropping'`, [id]);
    return rowCount === 1;
  }

  /**
   * Answer a create_snapshot / optimize_table request (its id comes in the logical message). The
   * waiting procedure picks the row up within ~20 ms and raises `error` with `sqlstate` (default XX000)
   * when ok is false. Rows nobody collected (the caller timed out) are removed after an hour.
   */
  async writeRequestResult(id: number, ok: boolean, error?: string | null, sqlstate?: string | null): Promise<void> {
    await this.db.query(
      `WITH gc AS (DELETE FROM mooncake.request_results WHERE finished_at < now() - interval '1 hour')
       INSERT INTO mooncake.request_results (id, ok, error, sqlstate) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET ok = EXCLUDED.ok, error = EXCLUDED.error, sqlstate = EXCLUDED.sqlstate,
         finished_at = now()`,
      [id, ok, error ?? null, sqlstate && /^[0-9A-Z]{5}$/.test(sqlstate) ? sqlstate : null],
    );
  }

  /**
   * Point the JDBC catalog at a new metadata file, atomically, the way Iceberg's JdbcCatalog commits:
   * with `previous` null the table must not exist yet (INSERT); otherwise the row must still point at
   * `previous` (UPDATE … WHERE metadata_location = previous). Returns false when another writer won.
   */
  async upsertIcebergCatalog(namespace: string, name: string, metadataLocation: string, previous: string | null): Promise<boolean> {
    if (previous === null) {
      const { rowCount } = await this.db.query(
        `WITH ns AS (
           INSERT INTO mooncake.iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)
           VALUES ($1, $2, 'exists', 'true') ON CONFLICT DO NOTHING)
         INSERT INTO mooncake.iceberg_tables
           (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type)
         VALUES ($1, $2, $3, $4, NULL, 'TABLE') ON CONFLICT DO NOTHING`,
        [this.catalogName, namespace, name, metadataLocation],
      );
      return rowCount === 1;
    }
    const { rowCount } = await this.db.query(
      `UPDATE mooncake.iceberg_tables SET metadata_location = $4, previous_metadata_location = $5
        WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3 AND metadata_location = $5`,
      [this.catalogName, namespace, name, metadataLocation, previous],
    );
    return rowCount === 1;
  }

  async getIcebergCatalog(namespace: string, name: string): Promise<{ metadataLocation: string | null; previousMetadataLocation: string | null } | null> {
    const { rows } = await this.db.query(
      `SELECT metadata_location, previous_metadata_location FROM mooncake.iceberg_tables
        WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3`,
      [this.catalogName, namespace, name],
    );
    if (!rows.length) return null;
    return { metadataLocation: rows[0].metadata_location, previousMetadataLocation: rows[0].previous_metadata_location };
  }

  async dropIcebergCatalog(namespace: string, name: string): Promise<void> {
    await this.db.query('DELETE FROM mooncake.iceberg_tables WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3', [
      this.catalogName,
      namespace,
      name,
    ]);
  }
}
