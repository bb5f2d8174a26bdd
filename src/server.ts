// Starts lakegate from a Config: upstream (configured or embedded), client listeners, shutdown.
import type net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { createListener, SessionRegistry } from './wire/listener.js';
import { BuiltinRouter } from './route/builtin.js';
import { parseUpstreamUrl, withPort, type UpstreamTarget } from './upstream/target.js';
import { startEmbedded, type EmbeddedHandle } from './upstream/embedded.js';
import { mkdirSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { LocalRouter } from './route/local.js';
import { DeferredRouter } from './route/deferred.js';
import { migrate } from './control/index.js';
import { ControlRegistry } from './mirror/control-registry.js';
import { startMirrorService, type MirrorService } from './mirror/index.js';
import { openDuckDB, type SharedDuckDB } from './engine/duckdb.js';
import { EngineRouter, lockDown, mirrorServiceSource } from './engine/index.js';
import { openStorage } from './storage/index.js';
import { pgConfig } from './upstream/target.js';
import { resolvePreferredTls } from './upstream/connect.js';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { log } from './log.js';

export interface Lakegate {
  port: number;
  oraclePort: number | null;
  upstream: UpstreamTarget;
  sessions: SessionRegistry;
  /** the mirror pipeline (null until it is up, or when started with `mirrors: false`) */
  readonly mirrors: MirrorService | null;
  /** resolves when mirrors and the engine serve (at once when disabled) */
  mirrorsReady: Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** answer local statements with this router instead of the engine (tests of the wire layer) */
  router?: LocalRouter;
  /** run mirrors and the engine (default true) */
  mirrors?: boolean;
}

/** Directories DuckDB may open: its own temp and spill dirs, the download cache and a local warehouse. */
function readableDirs(warehouse: string, own: string[]): string[] {
  return warehouse.startsWith('file:') ? [...own, new URL(warehouse).pathname] : own;
}

/** The warehouse root URI: configured, or <data_dir>/warehouse on local disk. */
function warehouseUri(cfg: Config): string {
  if (cfg.warehouse) return cfg.warehouse;
  const dir = resolve(cfg.data_dir, 'warehouse');
  mkdirSync(dir, { recursive: true });
  return pathToFileURL(dir).href.replace(/\/$/, '');
}

/** Control plane, DuckDB, mirror pipeline and the engine that answers mirror queries. */
async function startMirrors(cfg: Config, target: UpstreamTarget) {
  const timeout = cfg['upstream.connect_timeout_ms'];
  const upstream = await resolvePreferredTls(target, timeout);
  const service = new pg.Pool({ ...(pgConfig(upstream) as pg.PoolConfig), max: 4, application_name: 'lakegate', connectionTimeoutMillis: timeout });
  service.on('error', (e) => log.warn({ err: e.message }, 'service connection error'));
  const m = await migrate(service);
  log.info({ version: m.version, applied: m.applied, eventTriggers: m.eventTriggers }, 'control plane ready');
  const dataDir = resolve(cfg.data_dir);
  const duckTmp = join(dataDir, 'duckdb-tmp');
  const spillDir = join(dataDir, 'spill');
  const cacheDir = join(dataDir, 's3-cache');
  const duckOpts: Parameters<typeof openDuckDB>[0] = { threads: cfg['duckdb.threads'], tempDir: duckTmp };
  if (cfg['duckdb.memory_limit']) duckOpts.memoryLimit = cfg['duckdb.memory_limit'];
  const duckdb: SharedDuckDB = await openDuckDB(duckOpts);
  const s3: NonNullable<Parameters<typeof openStorage>[1]>['s3'] = { region: cfg['s3.region'], forcePathStyle: cfg['s3.force_path_style'], cacheDir };
  if (cfg['s3.endpoint']) s3.endpoint = cfg['s3.endpoint'];
  if (cfg['s3.access_key_id']) s3.accessKeyId = cfg['s3.access_key_id'];
  if (cfg['s3.secret_access_key']) s3.secretAccessKey = cfg['s3.secret_access_key'];
  const warehouse = warehouseUri(cfg);
  const storage = openStorage(warehouse, { s3 });
  const svc = await startMirrorService({
    upstream: pgConfig(upstream, { connectionTimeoutMillis: timeout }) as pg.ClientConfig,
    storage,
    storageSettings: { s3, cacheDir, readableDirs: readableDirs(warehouse, [duckTmp, spillDir, cacheDir]) },
    duckdb,
    registry: new ControlRegistry(service),
    options: {
      slot: cfg['mirror.slot'],
      publication: cfg['mirror.publication'],
      flushRows: cfg['mirror.flush_rows'],
      flushAgeMs: cfg['mirror.flush_age_ms'],
      maintenanceIntervalMs: cfg['mirror.maintenance_interval_ms'],
      idleFlushMs: cfg['mirror.idle_flush_ms'],
      maxTailRows: cfg['mirror.max_tail_rows'],
      compactTargetBytes: cfg['mirror.compact_target_bytes'],
      snapshotRetentionMs: cfg['mirror.snapshot_retention_ms'],
      spillDir,
    },
  });
  const router = await EngineRouter.create({
    duckdb,
    mirrors: mirrorServiceSource(svc),
    freshnessTimeoutMs: cfg.freshness === 'strict' ? 10_000 : 0,
  });
  const allowed = readableDirs(warehouse, [duckTmp, spillDir, cacheDir]);
  for (const d of allowed) mkdirSync(d, { recursive: true });
  const c = await duckdb.connect();
  try {
    await lockDown(c, { allowedDirectories: allowed });
  } finally {
    c.closeSync();
  }
  return {
    router,
    svc,
    async close() {
      await svc.stop().catch((e) => log.warn({ err: (e as Error).message }, 'mirror service stop failed'));
      duckdb.close();
      await service.end().catch(() => undefined);
    },
  };
}

function listen(server: net.Server, host: string, port: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new ConfigError(`config: ${key} ${port} on ${host} cannot be used: ${e.code ?? e.message}`)),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function secureContext(cfg: Config): tls.SecureContext | null {
  if (!cfg['tls.cert']) return null;
  try {
    return tls.createSecureContext({ cert: readFileSync(cfg['tls.cert']), key: readFileSync(cfg['tls.key']) });
  } catch (e) {
    throw new ConfigError(`config: tls.cert/tls.key cannot be used: ${(e as Error).message.split('\n')[0]}`);
  }
}

export async function startLakegate(cfg: Config, opts: StartOptions = {}): Promise<Lakegate> {
  const ctxTls = secureContext(cfg);
  let embedded: EmbeddedHandle | null = null;
  let upstream: UpstreamTarget;
  if (cfg['upstream.url']) upstream = parseUpstreamUrl(cfg['upstream.url']);
  else {
    embedded = await startEmbedded(cfg.data_dir, cfg['embedded.port']);
    upstream = { host: '127.0.0.1', port: embedded.port, sslmode: 'disable', user: 'postgres', database: 'postgres' };
  }
  const oracleUpstream = cfg['upstream.oracle_port'] ? withPort(upstream, cfg['upstream.oracle_port']) : upstream;

  const sessions = new SessionRegistry();
  const servers: net.Server[] = [];
  const live: { mirrors: Awaited<ReturnType<typeof startMirrors>> | null } = { mirrors: null };
  let stopped = false;
  const router = new DeferredRouter(opts.router ?? new BuiltinRouter());
  // Mirrors need upstream (migrations, slot). When it is down at start, lakegate still serves and keeps
  // trying in the background; until then mirror queries go upstream, where the mirror view says why.
  const bringUpMirrors = async (): Promise<void> => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const m = await startMirrors(cfg, upstream);
        if (stopped) {
          await m.close();
          return;
        }
        live.mirrors = m;
        router.set(m.router);
        return;
      } catch (e) {
        log.error({ err: (e as Error).message, attempt }, 'mirrors not available yet; retrying');
        if (attempt === 0) firstAttempt();
        await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))).unref());
      }
    }
  };
  let firstAttempt: () => void = () => {};
  const mirrorsReady = opts.mirrors === false || opts.router ? Promise.resolve() : bringUpMirrors();
  try {
    // wait for the first attempt, so that "ready" means mirror queries work — but never for long: an
    // upstream that accepts and never answers must not keep the listeners closed
    await Promise.race([
      mirrorsReady,
      new Promise<void>((r) => (firstAttempt = r)),
      new Promise<void>((r) => setTimeout(r, Math.max(30_000, cfg['upstream.connect_timeout_ms'] * 4)).unref()),
    ]);
    const ctx = { router, secureContext: ctxTls, connectTimeoutMs: cfg['upstream.connect_timeout_ms'], sessions };
    const main = createListener(ctx, upstream, false);
    servers.push(main);
    const port = await listen(main, cfg['listen.host'], cfg['listen.port'], 'listen.port');
    let oraclePort: number | null = null;
    if (cfg['listen.oracle_port'] !== 0) {
      const ora = createListener(ctx, oracleUpstream, true);
      servers.push(ora);
      oraclePort = await listen(ora, cfg['listen.host'], cfg['listen.oracle_port'], 'listen.oracle_port');
    }
    log.info({ host: cfg['listen.host'], port, oraclePort, tls: Boolean(ctxTls) }, 'lakegate listening');
    let closing: Promise<void> | null = null;
    return {
      port,
      oraclePort,
      upstream,
      sessions,
      get mirrors() {
        return live.mirrors?.svc ?? null;
      },
      mirrorsReady,
      close() {
        closing ??= (async () => {
          stopped = true;
          await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))).concat(
            [...sessions.live].map(async (s) => s.shutdown()),
          ));
          await live.mirrors?.close();
          if (embedded) await embedded.stop();
          log.info('lakegate stopped');
        })();
        return closing;
      },
    };
  } catch (e) {
    stopped = true;
    for (const s of servers) s.close();
    await live.mirrors?.close();
    if (embedded) await embedded.stop();
    throw e;
  }
}
