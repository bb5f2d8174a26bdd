// pgbench: locate the binary, initialise its tables, run a workload and read TPS and latency from its summary.
import { existsSync, readdirSync } from 'node:fs';
import { runCommand } from './processes.js';

export interface Endpoint {
  host: string;
  port: number;
  user: string;
  database: string;
}

export interface PgbenchResult {
  tps: number;
  latencyMs: number;
  failed: number;
}

/**
 * $PGBENCH, else the newest /usr/lib/postgresql/<major>/bin/pgbench (Debian ships it in postgresql-<major>),
 * else `pgbench` on PATH.
 */
export function findPgbench(): string {
  if (process.env.PGBENCH) return process.env.PGBENCH;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
    for (const m of majors) {
      const p = `${root}/${m}/bin/pgbench`;
      if (existsSync(p)) return p;
    }
  }
  return 'pgbench';
}

function connArgs(e: Endpoint): string[] {
  return ['-h', e.host, '-p', String(e.port), '-U', e.user];
}

// Same connection settings for every target: no TLS negotiation, no stray PG* variables from the shell.
function pgEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  return { ...env, PGSSLMODE: 'disable', PGGSSENCMODE: 'disable', PGAPPNAME: 'lakegate-bench' };
}

export async function pgbenchInit(bin: string, e: Endpoint, scale: number): Promise<void> {
  const r = await runCommand(bin, ['-i', '-q', '-s', String(scale), ...connArgs(e), e.database], { env: pgEnv() });
  if (r.code !== 0) throw new Error(`pgbench -i failed (exit ${r.code}):\n${r.stderr}`);
}

export async function pgbenchRun(bin: string, e: Endpoint, args: string[]): Promise<PgbenchResult> {
  const r = await runCommand(bin, [...args, ...connArgs(e), e.database], { env: pgEnv() });
  const tps = /^tps = ([\d.]+)/m.exec(r.stdout);
  const lat = /^latency average = ([\d.]+) ms/m.exec(r.stdout);
  const failed = /^number of failed transactions: (\d+)/m.exec(r.stdout);
  if (r.code !== 0 || !tps || !lat) {
    throw new Error(`pgbench ${args.join(' ')} against port ${e.port} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { tps: Number(tps[1]), latencyMs: Number(lat[1]), failed: failed ? Number(failed[1]) : 0 };
}
