// lakegate as a separate process, started the way a deployment starts it: `node dist/src/main.js` with
// LAKEGATE_* environment variables, in an empty working directory so no config.yaml is picked up.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/postgres.js';
import { onCleanup, startService, waitForPort, type Service } from './processes.js';

// This file runs as dist/bench/lib/lakegate.js, next to dist/src/main.js.
const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface LakegateProcess extends Service {
  port: number;
  dataDir: string;
}

/**
 * Start lakegate in front of `upstreamUrl`. `env` adds or overrides LAKEGATE_* settings; inherited LAKEGATE_*
 * variables are dropped so the caller's shell cannot change what is measured.
 */
export async function startLakegateProcess(upstreamUrl: string, env: Record<string, string> = {}): Promise<LakegateProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'lakegate-bench-'));
  onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LAKEGATE_')));
  const svc = startService('lakegate', process.execPath, [MAIN], {
    cwd: dataDir,
    env: {
      ...base,
      LAKEGATE_UPSTREAM_URL: upstreamUrl,
      LAKEGATE_LISTEN_HOST: '127.0.0.1',
      LAKEGATE_LISTEN_PORT: String(port),
      LAKEGATE_LISTEN_ORACLE_PORT: '0',
      LAKEGATE_LOG_LEVEL: 'warn',
      LAKEGATE_DATA_DIR: join(dataDir, 'data'),
      ...env,
    },
  });
  await waitForPort(svc, port);
  return { ...svc, port, dataDir };
}
