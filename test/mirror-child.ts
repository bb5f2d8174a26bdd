// A lakegate mirror service in its own process, for crash tests (not a test file). The parent kills it
// with SIGKILL, or sets LAKEGATE_FAILPOINT so it kills itself at an exact point, then starts another one.
//
// env: LG_PG_PORT, LG_WAREHOUSE (dir), LG_OPTIONS (JSON, MirrorServiceOptions)
// stdout: one JSON object per line: {event: 'ready'} then answers to commands
// stdin:  one JSON command per line: {cmd: 'wait', lsn} | {cmd: 'flush'} | {cmd: 'rows', mirror, sql} |
//         {cmd: 'status'} | {cmd: 'stop'}
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../src/control/index.js';
import { openDuckDB } from '../src/engine/duckdb.js';
import { ControlRegistry } from '../src/mirror/control-registry.js';
import { startMirrorService } from '../src/mirror/index.js';
import { openStorage } from '../src/storage/index.js';

// the test runner also executes every file under test/: without the parent's environment, do nothing
if (!process.env.LG_PG_PORT) process.exit(0);

const port = Number(process.env.LG_PG_PORT);
const dir = process.env.LG_WAREHOUSE!;
const options = JSON.parse(process.env.LG_OPTIONS ?? '{}');
const upstream = { host: '127.0.0.1', port, user: 'postgres', database: process.env.LG_DB ?? 'postgres' };

const say = (o: unknown) => process.stdout.write(JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n');

const pool = new pg.Pool({ ...upstream, max: 4 });
await migrate(pool);
const duck = await openDuckDB({ threads: 1, memoryLimit: '256MB', tempDir: join(dir, 'duck-tmp') });
const storage = openStorage(`file://${dir}/wh`);
const svc = await startMirrorService({
  upstream,
  storage,
  duckdb: duck,
  registry: new ControlRegistry(pool),
  options: { spillDir: join(dir, 'spill'), ...options },
});
say({ event: 'ready' });

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  void (async () => {
    const c = JSON.parse(line) as { cmd: string; lsn?: string; mirror?: number; sql?: string; id?: number };
    try {
      switch (c.cmd) {
        case 'wait':
          say({ id: c.id, ok: await svc.waitForLsn(BigInt(c.lsn!), 30_000) });
          break;
        case 'flush':
          say({ id: c.id, ok: true, results: await svc.flush() });
          break;
        case 'status':
          say({ id: c.id, ok: true, mirrors: svc.mirrors(), runs: svc.runs });
          break;
        case 'rows': {
          const view = svc.mirrorSql(c.mirror!);
          if (!view) throw new Error('mirror not live');
          const conn = await duck.connect();
          try {
            const r = await conn.runAndReadAll(c.sql!.replace('$VIEW', `(${view})`));
            say({ id: c.id, ok: true, rows: r.getRowsJS() });
          } finally {
            conn.closeSync();
          }
          break;
        }
        case 'stop':
          await svc.stop();
          duck.close();
          await storage.close();
          await pool.end();
          say({ id: c.id, ok: true });
          process.exit(0);
      }
    } catch (e) {
      say({ id: c.id, ok: false, error: (e as Error).message });
    }
  })();
});
