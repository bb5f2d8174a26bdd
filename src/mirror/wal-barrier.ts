// A WAL barrier for strict readers on a quiet database. The LSN a reader waits for is the upstream WAL insert
// position, which can lie past the last flushed record (records of unfinished or unlogged-commit work): the
// walsender cannot send or report anything there until someone flushes the WAL, and on an idle server that
// can take a long time. A logical message written and flushed now lies past that position and is sent as soon
// as it is decoded, so its arrival proves everything before it was received.
import type pg from 'pg';
import { openSession } from '../cdc/index.js';
import { log } from '../log.js';

const log_ = log.child({ mod: 'mirror' });

/** the prefix of barrier messages (the applier ignores messages of other prefixes than mooncake) */
export const BARRIER_PREFIX = 'lakegate.barrier';

const PAUSE_AFTER_FAILURE_MS = 10_000;

export class WalBarrier {
  private client: Promise<pg.Client> | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private sql = '';
  /** after a failure (no privilege, upstream down) barriers pause for a while instead of failing per query */
  private pausedUntil = 0;

  constructor(private readonly upstream: pg.ClientConfig) {}

  /** write one barrier (calls while one is being written share it); errors are logged, not thrown */
  emit(): Promise<void> {
    if (this.closed || Date.now() < this.pausedUntil) return Promise.resolve();
    this.running ??= this.write()
      .catch((e) => {
        this.pausedUntil = Date.now() + PAUSE_AFTER_FAILURE_MS;
        log_.warn({ err: (e as Error).message, pauseMs: PAUSE_AFTER_FAILURE_MS }, 'WAL barrier failed');
        const c = this.client;
        this.client = null;
        void c?.then((x) => x.end()).catch(() => undefined);
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async write(): Promise<void> {
    this.client ??= openSession(this.upstream).then(async (c) => {
      c.on('error', () => undefined);
      const v = Number((await c.query<{ v: string }>('SHOW server_version_num')).rows[0]!.v);
      // PostgreSQL 17 can flush a non-transactional message; before, a transactional one commits synchronously
      this.sql = v >= 170000
        ? `SELECT pg_catalog.pg_logical_emit_message(false, '${BARRIER_PREFIX}', '', true)`
        : `BEGIN; SET LOCAL synchronous_commit = on; SELECT pg_catalog.pg_logical_emit_message(true, '${BARRIER_PREFIX}', ''); COMMIT`;
      return c;
    });
    const c = await this.client;
    if (this.closed) return;
    await c.query(this.sql);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    const c = this.client;
    this.client = null;
    await c?.then((x) => x.end()).catch(() => undefined);
  }
}
