// `npm run bench -- <name> [options]`: runs one benchmark module from this folder.
// Adding a benchmark = one line in BENCHMARKS below plus bench/<name>.ts exporting `run(args): Promise<boolean>`.
import { interrupted } from './lib/processes.js';

/** What every bench/<name>.ts exports. `run` resolves false when a stated target was missed. */
export interface BenchmarkModule {
  run(args: string[]): Promise<boolean>;
}

const BENCHMARKS: Record<string, [about: string, load: () => Promise<BenchmarkModule>]> = {
  passthrough: ['pgbench -S (simple/extended/prepared): direct Postgres vs lakegate vs PgBouncer', () => import('./passthrough.js')],
  analytics: ['ClickBench-style queries on hits: Postgres vs lakegate mirror vs raw DuckDB on the same Parquet', () => import('./analytics.js')],
  freshness: ['commit → visible in the mirror from another session (p50/p99), strict freshness, under 5k commits/s', () => import('./freshness.js')],
  copy: ['initial copy of a 10M-row table into a mirror vs psql COPY TO STDOUT; RSS', () => import('./copy.js')],
  smallfiles: ['100k single-row commits into a mirrored table: data files per mirror after maintenance', () => import('./smallfiles.js')],
  cdc: ['pgoutput apply rate of a mirror (large and small transactions) vs a raw pgoutput consumer; lag, RSS', () => import('./cdc.js')],
};

function usage(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
  const lines = Object.entries(BENCHMARKS).map(([name, [about]]) => `  ${name.padEnd(width)}  ${about}`);
  return `usage: npm run bench -- <name> [options]\n\nbenchmarks:\n${lines.join('\n')}\n\nOptions are described in bench/README.md.\n`;
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const entry = BENCHMARKS[name];
  if (!entry) {
    process.stderr.write(`unknown benchmark '${name}'\n\n${usage()}`);
    return 2;
  }
  const mod = await entry[1]();
  const ok = await mod.run(args);
  if (!ok) process.stderr.write(`benchmark ${name}: target missed\n`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (interrupted()) process.exit(130); // clean-up already ran; the error is just the killed child
    process.stderr.write(`benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
