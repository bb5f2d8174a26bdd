// PgBouncer (the Debian `pgbouncer` package) as the reference pooler: session mode, trust auth, one free port.
// PgBouncer refuses to run as root, so as root it is started as `nobody` with world-readable files.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort } from '../../test/helpers/postgres.js';
import { onCleanup, startService, waitForPort, type Service } from './processes.js';

export interface PgbouncerProcess extends Service {
  port: number;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** The pgbouncer binary: `explicit` when given ('none' disables), else a standard location or PATH. */
export function findPgbouncer(explicit = ''): string | null {
  if (explicit === 'none') return null;
  if (explicit) return existsSync(explicit) ? explicit : null;
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

function nobody(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return { uid: 65534, gid: 65534 };
  }
}

export async function startPgbouncer(
  binary: string,
  upstream: { host: string; port: number; user: string },
  poolSize: number,
): Promise<PgbouncerProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lakegate-pgbouncer-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const authFile = join(dir, 'userlist.txt');
  const ini = join(dir, 'pgbouncer.ini');
  // auth_type=trust still requires the user to be listed in auth_file.
  writeFileSync(authFile, `"${upstream.user}" ""\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${upstream.host} port=${upstream.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${authFile}`,
      'pool_mode = session',
      `max_client_conn = ${poolSize + 20}`,
      `default_pool_size = ${poolSize}`,
      // pgbench (libpq) sends extra_float_digits in the startup packet; PgBouncer rejects unknown ones.
      'ignore_startup_parameters = extra_float_digits',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  chmodSync(dir, 0o755);
  chmodSync(authFile, 0o644);
  chmodSync(ini, 0o644);
  const asUser = process.getuid?.() === 0 ? nobody() : {};
  const svc = startService('pgbouncer', binary, [ini], { cwd: dir, ...asUser });
  await waitForPort(svc, port, 10000);
  return { ...svc, port };
}
