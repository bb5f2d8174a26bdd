// Flow control through the byte pipe, with lakegate as its own process (so its memory is its own):
// a client that stops reading makes lakegate stop reading upstream, a client that keeps sending while
// upstream cannot keep up is paused, and in both cases every byte still arrives once things move again.
// Also: a query sent in the same packet as the startup message is answered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { gateEnv, spawnGate, type SpawnedGate } from './helpers/lakegate.js';
import { RawClient, fe, fields, dataRow } from './clients/raw.js';

let db: TestPostgres;
let gate: SpawnedGate;
let port: number;

before(async () => {
  db = await startPostgres();
  gate = spawnGate(gateEnv({ 'upstream.url': db.url, 'listen.port': 0, 'listen.oracle_port': 0, 'log.level': 'warn' }));
  port = await gate.ready;
});

after(async () => {
  await gate?.close();
  await db?.destroy();
});

const rssBytes = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts backend messages by type on a raw socket without keeping them (results here are hundreds of MB). */
class Counter {
  readonly counts = new Map<string, number>();
  private header = Buffer.alloc(5);
  private headerLen = 0;
  private skip = 0;
  private waiter: (() => void) | null = null;

  constructor(readonly socket: net.Socket) {
    // takes over from RawClient, which would keep (and concatenate) every byte
    socket.removeAllListeners('data');
    socket.on('data', (d: Buffer) => this.feed(d));
  }

  private feed(d: Buffer): void {
    let i = 0;
    while (i < d.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, d.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const n = Math.min(5 - this.headerLen, d.length - i);
      d.copy(this.header, this.headerLen, i, i + n);
      this.headerLen += n;
      i += n;
      if (this.headerLen < 5) break;
      this.headerLen = 0;
      const type = String.fromCharCode(this.header[0]!);
      this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
      this.skip = this.header.readInt32BE(1) - 4;
    }
    this.waiter?.();
  }

  count(type: string): number {
    return this.counts.get(type) ?? 0;
  }

  async until(type: string, n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(type) < n) {
      if (Date.now() > deadline) throw new Error(`timeout: ${this.count(type)} of ${n} '${type}' messages`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          resolve();
        };
      });
    }
  }
}

async function waitEventOf(pid: number): Promise<string | null> {
  const r = await db.sql<{ w: string | null }>('select wait_event as w from pg_stat_activity where pid = $1', [pid]);
  return r.rows[0]?.w ?? null;
}

test('a client that stops reading a large result: lakegate stops reading upstream, memory stays flat, every row arrives later', { timeout: 120000 }, async () => {
  const c = await RawClient.connect(port);
  await c.startup();
  const backend = c.pid;
  // ~200 MB of rows
  const rows = 100000;
  const counter = new Counter(c.socket);
  c.socket.pause();
  const rssBefore = rssBytes(gate.child.pid!);
  c.write(fe.query(`select repeat('x', 2000) from generate_series(1, ${rows})`));
  // Postgres ends up blocked writing to lakegate: lakegate stopped reading (and buffering) upstream
  let waited = '';
  for (let i = 0; i < 50 && waited !== 'ClientWrite'; i++) {
    await sleep(200);
    waited = (await waitEventOf(backend)) ?? '';
  }
  assert.equal(waited, 'ClientWrite', 'the upstream backend waits for lakegate to read');
  await sleep(500);
  const grew = rssBytes(gate.child.pid!) - rssBefore;
  assert.ok(grew < 48 * 1024 * 1024, `lakegate RSS grew by ${Math.round(grew / 1048576)} MiB while the client did not read`);
  c.socket.resume();
  await counter.until('Z', 1, 60000);
  assert.equal(counter.count('D'), rows);
  assert.equal(counter.count('E'), 0);
  c.destroy();
});

test('a client that pipelines queries without reading answers: lakegate stops reading the client, then everything is answered', { timeout: 120000 }, async () => {
  const c = await RawClient.connect(port);
  await c.startup();
  const counter = new Counter(c.socket);
  c.socket.pause();
  // each query is ~8 KB of SQL and gets ~8 KB back; the client writes until its socket stops taking more
  const pad = 'x'.repeat(8000);
  const q = fe.query(`select '${pad}' as pad`);
  const rssBefore = rssBytes(gate.child.pid!);
  let sent = 0;
  const stalled = async () => {
    for (;;) {
      if (!c.socket.write(q)) {
        const drained = await Promise.race([new Promise((r) => c.socket.once('drain', () => r(true))), sleep(2000).then(() => false)]);
        if (!drained) return;
      }
      sent++;
      if (sent > 100000) throw new Error('the client was never held back');
    }
  };
  await stalled();
  const grew = rssBytes(gate.child.pid!) - rssBefore;
  assert.ok(sent > 100, `sent ${sent} queries before being held back`);
  assert.ok(grew < 48 * 1024 * 1024, `lakegate RSS grew by ${Math.round(grew / 1048576)} MiB while holding back ${sent} queries`);
  c.socket.resume();
  // the query blocked in the client's own buffer counts too
  await counter.until('Z', sent + 1, 60000);
  assert.equal(counter.count('E'), 0);
  assert.equal(counter.count('D'), sent + 1);
  c.destroy();
});

test('a query in the same packet as the startup message is answered after authentication', async () => {
  const c = await RawClient.connect(port);
  c.write(fe.startup({ user: 'postgres', database: 'postgres' }), fe.query('select 41 + 1 as n'));
  const msgs = await c.readUntil('Z');
  assert.ok(msgs.some((m) => m.type === 'R'), 'AuthenticationOk');
  const answer = await c.readUntil('Z');
  const row = answer.find((m) => m.type === 'D');
  assert.ok(row, `a DataRow in ${answer.map((m) => m.type).join('')}`);
  assert.equal(row.body.toString('utf8', 6), '42');
  c.destroy();
});

test('messages cut at every kind of boundary across reads, and messages larger than the read buffer, arrive whole', { timeout: 120000 }, async () => {
  const c = await RawClient.connect(port);
  await c.startup();
  // 200 KB of SQL (inspected: Query and Parse are buffered until complete) and a 150 KB parameter (Bind: streamed)
  const big = 'y'.repeat(200_000);
  const param = 'z'.repeat(150_000);
  const messages = [
    fe.query(`select length('${big}') as n`),
    fe.parse('', `select length($1::text) as n, '${big.slice(0, 70_000)}' <> '' as t`),
    fe.bind('', '', [param]),
    fe.describe('P', ''),
    fe.execute(),
    fe.sync(),
    fe.query('select 1 as n'),
    fe.parse('s1', 'select $1::int + 1 as n'),
    fe.bind('', 's1', ['41']),
    fe.execute(),
    fe.sync(),
  ];
  const stream = Buffer.concat(messages);
  // cuts inside every header (after the type byte, inside the length, right after it), one byte before
  // every message end, and every 40,000 bytes; each piece is its own write after a pause, so lakegate
  // reads it on its own
  const cuts = new Set<number>();
  let start = 0;
  for (const m of messages) {
    for (const k of [1, 3, 5, m.length - 1]) if (k > 0 && k < m.length) cuts.add(start + k);
    start += m.length;
  }
  for (let k = 40_000; k < stream.length; k += 40_000) cuts.add(k);
  let at = 0;
  for (const cut of [...[...cuts].sort((a, b) => a - b), stream.length]) {
    c.write(stream.subarray(at, cut));
    at = cut;
    await sleep(2);
  }
  const values = async () => {
    const msgs = await c.readUntil('Z', 30000);
    const err = msgs.find((m) => m.type === 'E');
    assert.equal(err, undefined, err ? fields(err.body).M : '');
    return msgs.filter((m) => m.type === 'D').map((m) => dataRow(m.body));
  };
  assert.deepEqual(await values(), [['200000']]);
  assert.deepEqual(await values(), [['150000', 't']]);
  assert.deepEqual(await values(), [['1']]);
  assert.deepEqual(await values(), [['42']]);
  c.destroy();
});

test('a client that closes its socket without Terminate ends its upstream backend', { timeout: 60000 }, async () => {
  const c = await RawClient.connect(port);
  await c.startup();
  const backend = c.pid;
  c.write(fe.query('select 1'));
  await c.readUntil('Z');
  c.end();
  await c.closedPromise;
  let alive = true;
  for (let i = 0; i < 50 && alive; i++) {
    await sleep(100);
    alive = (await db.sql('select 1 from pg_stat_activity where pid = $1', [backend])).rowCount === 1;
  }
  assert.equal(alive, false, 'the upstream backend is gone');
});
