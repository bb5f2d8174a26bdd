// psql as the reference COPY client: `COPY … TO STDOUT` with its output going straight to /dev/null, so the figure
// is what Postgres + a C client can stream, with nothing parsed on the receiving side.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { onCleanup } from './processes.js';
import type { Endpoint } from './pgbench.js';

/** $PSQL, else the newest /usr/lib/postgresql/<major>/bin/psql, else `psql` on PATH. */
export function findPsql(): string {
  if (process.env.PSQL) return process.env.PSQL;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
    for (const m of majors) {
      const p = `${root}/${m}/bin/psql`;
      if (existsSync(p)) return p;
    }
  }
  return 'psql';
}

/** Run one COPY … TO STDOUT through psql, output discarded; resolves the wall time in ms. */
export function psqlCopyOut(psql: string, e: Endpoint, copySql: string): Promise<number> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', e.host, '-p', String(e.port), '-U', e.user, '-d', e.database, '-c', copySql], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...env, PGSSLMODE: 'disable', PGGSSENCMODE: 'disable', PGAPPNAME: 'lakegate-bench' },
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-8192)));
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    onCleanup(kill);
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`psql -c "${copySql}" failed (exit ${code}): ${stderr}`));
    });
  });
}
