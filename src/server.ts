// Starts lakegate from a Config: upstream (configured or embedded), client listeners, shutdown.
import type net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { createListener, SessionRegistry } from './wire/listener.js';
import { parseUpstreamUrl, withPort, type UpstreamTarget } from './upstream/target.js';
import { startEmbedded, type EmbeddedHandle } from './upstream/embedded.js';
import { BuiltinRouter } from './route/builtin.js';
import type { LocalRouter } from './route/local.js';
import { ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { log } from './log.js';

export interface Lakegate {
  port: number;
  oraclePort: number | null;
  upstream: UpstreamTarget;
  sessions: SessionRegistry;
  close(): Promise<void>;
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

export async function startLakegate(cfg: Config, opts: { router?: LocalRouter } = {}): Promise<Lakegate> {
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
  const ctx = { router: opts.router ?? new BuiltinRouter(), secureContext: ctxTls, connectTimeoutMs: cfg['upstream.connect_timeout_ms'], sessions };
  const servers: net.Server[] = [];
  try {
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
      close() {
        closing ??= (async () => {
          await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))).concat(
            [...sessions.live].map(async (s) => s.shutdown()),
          ));
          if (embedded) await embedded.stop();
          log.info('lakegate stopped');
        })();
        return closing;
      },
    };
  } catch (e) {
    for (const s of servers) s.close();
    if (embedded) await embedded.stop();
    throw e;
  }
}
