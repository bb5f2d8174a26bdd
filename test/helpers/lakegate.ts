// lakegate for tests: in process (`startGate`, through loadConfig exactly like the CLI) or as the real
// CLI in a child process (`spawnGate`, for exit codes, signals and log output). Both clean up after
// themselves; a test only has to call close().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config/load.js';
import { envName, type ConfigKey } from '../../src/config/schema.js';
import { startLakegate, type Lakegate } from '../../src/server.js';
import { setLogLevel } from '../../src/log.js';
import type { LocalRouter } from '../../src/route/local.js';

export type GateOverrides = Partial<Record<ConfigKey, string | number | boolean>>;

/** The repository root (works from test/helpers under tsx and from dist/test/helpers after tsc). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repository root not found');
}

/** Overrides as LAKEGATE_<PATH> variables, the way an operator would set them. */
export function gateEnv(overrides: GateOverrides): Record<string, string> {
  return Object.fromEntries(Object.entries(overrides).map(([k, v]) => [envName(k), String(v)]));
}

export interface Gate {
  port: number;
  oraclePort: number | null;
  cfg: Config;
  lakegate: Lakegate;
  /** node-pg settings for a client of the main port (or the Oracle-mode port) */
  clientConfig(extra?: pg.ClientConfig, oracle?: boolean): pg.ClientConfig;
  /** a connected node-pg client; ended by close() if the test did not */
  client(extra?: pg.ClientConfig, oracle?: boolean): Promise<pg.Client>;
  close(): Promise<void>;
}

/**
 * lakegate in this process. `upstream.url` must be given (tests never use the embedded Postgres);
 * listen ports default to 0 (ephemeral main port, Oracle-mode listener off) and logging to `error`.
 */
export async function startGate(overrides: GateOverrides, opts: { file?: string; router?: LocalRouter } = {}): Promise<Gate> {
  // a data dir of its own (warehouse, DuckDB spill) unless the test names one; removed at close
  const ownDir = overrides['data_dir'] === undefined ? mkdtempSync(join(tmpdir(), 'lakegate-gate-')) : null;
  const all: GateOverrides = { 'listen.port': 0, 'listen.oracle_port': 0, 'log.level': 'error', ...(ownDir ? { data_dir: ownDir } : {}), ...overrides };
  if (!all['upstream.url'] && !opts.file) throw new Error('startGate: upstream.url is required');
  const cfg = loadConfig(opts.file, gateEnv(all));
  setLogLevel(cfg['log.level']);
  const lakegate = await startLakegate(cfg, opts.router ? { router: opts.router } : {});
  const clients = new Set<pg.Client>();
  const clientConfig = (extra: pg.ClientConfig = {}, oracle = false): pg.ClientConfig => {
    const port = oracle ? lakegate.oraclePort : lakegate.port;
    if (port === null) throw new Error('the Oracle-mode listener is off (set listen.oracle_port)');
    return { host: '127.0.0.1', port, user: 'postgres', database: 'postgres', ...extra };
  };
  return {
    port: lakegate.port,
    oraclePort: lakegate.oraclePort,
    cfg,
    lakegate,
    clientConfig,
    async client(extra, oracle) {
      const c = new pg.Client(clientConfig(extra, oracle));
      c.on('error', () => {}); // tests that expect errors look at query results, not at stray events
      await c.connect();
      clients.add(c);
      c.once('end', () => clients.delete(c));
      return c;
    },
    async close() {
      await Promise.all([...clients].map((c) => c.end().catch(() => {})));
      await lakegate.close();
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

export interface SpawnedGate {
  child: ChildProcess;
  /** resolves with the main port once the CLI printed that it is ready; rejects if it exits first */
  ready: Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** stdout lines that are JSON log records */
  logs(): Record<string, unknown>[];
  /** SIGTERM (then SIGKILL after 10 s) unless it already exited; removes the working directory */
  close(): Promise<void>;
}

function mainScript(): { file: string; execArgv: string[] } {
  // under tsx this helper is a .ts file next to src/*.ts; after tsc it lives in dist/ next to dist/src/*.js
  const ts = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(ts ? '../../src/main.ts' : '../../src/main.js', import.meta.url));
  return { file, execArgv: ts ? ['--import', import.meta.resolve('tsx')] : [] };
}

/**
 * The `lakegate` CLI as a child process with these environment variables (LAKEGATE_* from the parent
 * are dropped so the test controls them all). Runs in a fresh temporary directory, so no stray
 * ./config.yaml or ./data is picked up.
 */
/** This process's environment without LAKEGATE_* settings, for a child lakegate that gets only the test's own. */
export function envWithoutLakegate(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LAKEGATE_')));
}

export function spawnGate(env: Record<string, string>, opts: { args?: string[]; cwd?: string } = {}): SpawnedGate {
  const cwd = opts.cwd ?? mkdtempSync(join(tmpdir(), 'lakegate-cli-'));
  const ownCwd = !opts.cwd;
  const base = envWithoutLakegate();
  const { file, execArgv } = mainScript();
  const child = spawn(process.execPath, [...execArgv, file, ...(opts.args ?? [])], {
    cwd,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: string) => {
      out += d;
      const m = /lakegate is ready[^\n]*\n[^\n]*\bport=(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on('data', (d: string) => (err += d));
    void exited.then(({ code, signal }) =>
      reject(new Error(`lakegate exited before it was ready (code ${code}, signal ${signal}): ${err.trim() || out.trim()}`)),
    );
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    exited,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      if (ownCwd) rmSync(cwd, { recursive: true, force: true });
    },
  };
}
