// startMirrorService: the public face of mirroring. It owns the shared pieces (DuckDB, storage, registry,
// type catalog) and one Pipeline at a time; when a pipeline reports a fatal inconsistency it is closed and a
// fresh one rebuilt from Iceberg + the slot (the kill -9 recovery path, exercised on purpose).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { TypeCatalog, type Lsn } from '../cdc/index.js';
import type { SharedDuckDB } from '../engine/duckdb.js';
import { log } from '../log.js';
import type { Storage } from '../storage/index.js';
import type { FlushResult } from '../table/flush.js';
import type { CompactionResult } from '../table/maintenance.js';
import { DEFAULT_MIRROR_OPTIONS, type MirrorServiceOptions } from './options.js';
import { Pipeline } from './pipeline.js';
import { MirrorStorages, type StorageSettings } from './storages.js';
import { UnrepresentableValueError } from '../table/unrepresentable.js';
import type { MirrorRegistry } from './registry.js';

const log_ = log.child({ mod: 'mirror' });

export interface MirrorServiceConfig {
  /** upstream Postgres (the source database); replication and ordinary sessions are opened from it */
  upstream: pg.ClientConfig;
  /** the Iceberg warehouse */
  storage: Storage;
  /** for storages named in a mirror's table_config */
  storageSettings?: StorageSettings;
  duckdb: SharedDuckDB;
  registry: MirrorRegistry;
  options?: Partial<MirrorServiceOptions>;
}

export interface MirrorInfo {
  id: number;
  name: string;
  source: string;
  /** the source table's OID in upstream */
  sourceOid: number;
  /** DuckDB view readers select from */
  view: string;
  flushLsn: Lsn;
  tailRows: number;
  pendingDeletes: number;
  baseRows: number;
  dataFiles: number;
  deleteFiles: number;
  location: string;
  /** rows whose unchanged-TOAST columns were taken from the stored row */
  toastFilled: number;
  /** source transactions held during the copy and replayed after it */
  replayedAfterCopy: number;
}

export interface MirrorService {
  readonly duckdb: SharedDuckDB;
  /** live mirrors (copied and being kept current) */
  mirrors(): MirrorInfo[];
  /** `SELECT * FROM <view>` for a live mirror (id or name), or null */
  mirrorSql(mirror: number | string): string | null;
  /** resolves true once every source transaction committed before `lsn` is visible in DuckDB */
  waitForLsn(lsn: Lsn, timeoutMs?: number): Promise<boolean>;
  /** resolves once the mirror is live (copied) */
  waitReady(mirror: number | string, timeoutMs?: number): Promise<void>;
  /** flush one mirror (or all) to Iceberg now */
  flush(mirror?: number | string): Promise<FlushResult[]>;
  /** compaction ('data': small files and files with deletes; 'full': everything) + expiry + orphan removal now */
  maintain(mirror?: number | string, mode?: 'data' | 'full'): Promise<CompactionResult[]>;
  /** the LSN the slot may confirm */
  ackLsn(): Lsn;
  /** every source transaction committed before this LSN is visible to a DuckDB transaction started from now on (0 while recovering) */
  visibleLsn(): Lsn;
  /** pipelines started (1 + recoveries) */
  readonly runs: number;
  stop(): Promise<void>;
}

export async function startMirrorService(cfg: MirrorServiceConfig): Promise<MirrorService> {
  const options: MirrorServiceOptions = { ...DEFAULT_MIRROR_OPTIONS, spillDir: join(tmpdir(), 'lakegate-spill'), ...cfg.options };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(options.spillDir, { recursive: true });
  const catalog = new TypeCatalog();
  const inProgressFiles = new Set<string>();
  const storages = new MirrorStorages(cfg.storage, cfg.storageSettings);
  let pipeline: Pipeline | null = null;
  let stopped = false;
  let recovering: Promise<void> | null = null;
  let runs = 0;

  const startPipeline = async (): Promise<Pipeline> => {
    runs++;
    return Pipeline.start({
      upstream: cfg.upstream,
      storages,
      duck: cfg.duckdb,
      registry: cfg.registry,
      options,
      catalog,
      inProgressFiles,
      onFatal: (e) => void recover(e),
    });
  };

  const recover = (e: unknown): Promise<void> => {
    if (stopped) return Promise.resolve();
    recovering ??= (async () => {
      log_.error({ err: (e as Error)?.message ?? String(e) }, 'mirror pipeline failed; rebuilding from Iceberg and the slot');
      const old = pipeline;
      pipeline = null;
      await old?.close({ flush: false }).catch(() => undefined);
      // a value one mirror cannot hold fails that mirror; the rebuilt pipeline leaves it out and replays the rest
      if (e instanceof UnrepresentableValueError && e.mirrorId !== null) {
        log_.error({ mirror: e.mirrorId, reason: e.message }, 'mirror failed');
        await cfg.registry.setState(e.mirrorId, 'failed', e.message).catch((err) => log_.error({ err }, 'cannot mark mirror failed'));
      }
      for (let attempt = 0; !stopped; attempt++) {
        try {
          pipeline = await startPipeline();
          break;
        } catch (err) {
          log_.error({ err: (err as Error).message, attempt }, 'mirror pipeline restart failed');
          await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** Math.min(attempt, 6))));
        }
      }
    })().finally(() => {
      recovering = null;
    });
    return recovering;
  };

  pipeline = await startPipeline();
  const unwatch = await cfg.registry.watch(() => {
    void pipeline?.reconcile().catch((e) => log_.warn({ err: (e as Error).message }, 'registry reconcile failed'));
  });

  const current = async (): Promise<Pipeline> => {
    while (!pipeline) {
      if (stopped) throw new Error('mirror service stopped');
      await (recovering ?? new Promise((r) => setTimeout(r, 50)));
    }
    return pipeline;
  };

  const find = (p: Pipeline, ref: number | string) =>
    p.mirrors().find((l) => {
      const s = l.st.table.spec;
      return typeof ref === 'number' ? s.id === ref : s.name === ref || s.name.split('.').slice(1).join('.') === ref;
    }) ?? null;

  return {
    duckdb: cfg.duckdb,
    get runs() {
      return runs;
    },
    mirrors() {
      return (pipeline?.mirrors() ?? []).map(({ st }) => ({
        id: st.id,
        name: st.table.spec.name,
        source: `${st.table.spec.source.schema}.${st.table.spec.source.name}`,
        sourceOid: st.table.spec.relationOid,
        view: st.table.view,
        flushLsn: st.durableLsn,
        tailRows: st.tailRows,
        pendingDeletes: st.pendingDeletes,
        baseRows: st.baseRows,
        dataFiles: st.base.dataFiles.length,
        deleteFiles: st.base.deleteFiles.length,
        location: st.iceberg.location,
        toastFilled: st.toastFilled,
        replayedAfterCopy: st.replayedAfterCopy,
      }));
    },
    mirrorSql(ref) {
      const l = pipeline ? find(pipeline, ref) : null;
      return l ? l.st.table.readerSql() : null;
    },
    async waitForLsn(lsn, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const p = await current();
        if (await p.waitForLsn(lsn, deadline - Date.now())) return true;
      }
      return false;
    },
    async waitReady(ref, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const p = await current();
        if (find(p, ref)) return;
        if (Date.now() > deadline) throw new Error(`mirror ${String(ref)} not ready after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async flush(ref) {
      const p = await current();
      if (ref === undefined) return p.flushAll();
      const l = find(p, ref);
      if (!l) throw new Error(`mirror ${String(ref)} is not live`);
      const r = await p.flush(l.st);
      return r ? [r] : [];
    },
    async maintain(ref, mode = 'data') {
      const p = await current();
      const l = ref === undefined ? undefined : find(p, ref)?.st;
      if (ref !== undefined && !l) throw new Error(`mirror ${String(ref)} is not live`);
      return p.maintainAll(true, l, mode);
    },
    ackLsn() {
      return pipeline?.ackLsn() ?? 0n;
    },
    visibleLsn() {
      return pipeline?.visibleLsn() ?? 0n;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await unwatch().catch(() => undefined);
      await recovering?.catch(() => undefined);
      await pipeline?.close({ flush: options.flushOnStop });
      pipeline = null;
      await storages.close();
    },
  };
}
