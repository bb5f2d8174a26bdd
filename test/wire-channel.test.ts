// The session's own questions to upstream ride the client's connection (same role, settings,
// transaction) and never disturb the client's stream, even when requests are pipelined around them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { startLakegate, type Lakegate } from '../src/server.js';
import { loadConfig } from '../src/config/load.js';
import { PgError, type LocalQuery, type LocalRouter, type SessionInfo } from '../src/route/local.js';
import { commandComplete, dataRow } from '../src/wire/messages/backend.js';
import { Precheck } from '../src/route/precheck.js';

// Answers `/*echo*/ <sql>` locally: one row per column Postgres would return for <sql> (name:typeOid),
// plus the rows of <sql> as upstream returns them to this session.
class EchoRouter implements LocalRouter {
  private pre = new Precheck(['/*echo*/']);
  mayBeLocal(b: Buffer, s: number, e: number) {
    return this.pre.test(b, s, e);
  }
  claims(sql: string) {
    return sql.trimStart().startsWith('/*echo*/');
  }
  async prepare(sql: string, _types: number[], s: SessionInfo): Promise<LocalQuery> {
    const inner = sql.trimStart().slice('/*echo*/'.length);
    const d = await s.upstream.describe(inner);
    if (!d.fields) throw new PgError('0A000', 'no rows');
    const res = await s.upstream.query(inner);
    const rows = [...d.fields.map((f) => `${f.name}:${f.typeOid}`), ...res.rows.map((r) => r.join(','))];
    const fields = [{ name: 'echo', typeOid: 25, typeSize: -1 }];
    const q: LocalQuery = {
      paramTypes: [],
      fields: () => fields,
      async bind() {
        return {
          fields: () => fields,
          async execute(_max, sink) {
            for (const r of rows) sink.write(dataRow([Buffer.from(r)]));
            sink.write(commandComplete(`SELECT ${rows.length}`));
            return 'complete' as const;
          },
          close() {},
        };
      },
    };
    return q;
  }
}

let db: TestPostgres;
let gate: Lakegate;
before(async () => {
  db = await startPostgres();
  const cfg = loadConfig(undefined, {
    LAKEGATE_UPSTREAM_URL: db.url,
    LAKEGATE_LISTEN_PORT: '0',
    LAKEGATE_LISTEN_ORACLE_PORT: '0',
    LAKEGATE_LOG_LEVEL: 'silent',
  });
  gate = await startLakegate(cfg, { router: new EchoRouter() });
});
after(async () => {
  await gate?.close();
  await db?.destroy();
});

async function client() {
  const c = new pg.Client({ host: '127.0.0.1', port: gate.port, user: 'postgres', database: 'postgres' });
  await c.connect();
  return c;
}

test('describe and query run on the client connection, inside its transaction', async () => {
  const c = await client();
  await c.query('begin');
  await c.query('create temp table tt(a int, b numeric(10,2))');
  await c.query("insert into tt values (1, 2.50), (2, null)");
  const r = await c.query('/*echo*/ select a, b, a::text as t from tt order by a');
  assert.deepEqual(r.rows.map((x) => x.echo), ['a:23', 'b:1700', 't:25', '1,2.50,1', '2,,2']);
  // the transaction is still open and intact
  assert.equal((await c.query('select count(*)::int as n from tt')).rows[0].n, 2);
  await c.query('rollback');
  await c.end();
});

test('an upstream error from an internal request reaches the client as that query\'s error', async () => {
  const c = await client();
  await assert.rejects(c.query('/*echo*/ select * from no_such_table'), (e: any) => e.code === '42P01');
  assert.equal((await c.query('select 1 as x')).rows[0].x, 1);
  await c.end();
});

test('pipelined mix of upstream and local queries keeps order', async () => {
  const c = await client();
  const ps: Promise<any>[] = [];
  for (let i = 0; i < 30; i++) {
    if (i % 3 === 1) ps.push(c.query(`/*echo*/ select ${i} as v`));
    else ps.push(c.query({ text: 'select $1::int as v', values: [i] }));
  }
  const rs = await Promise.all(ps);
  rs.forEach((r, i) => {
    if (i % 3 === 1) assert.deepEqual(r.rows.map((x: any) => x.echo), ['v:23', String(i)]);
    else assert.equal(r.rows[0].v, i);
  });
  await c.end();
});
