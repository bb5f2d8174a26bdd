// Initial copy: binary COPY decoding with bounded buffering, early cancel, chunk-boundary independence,
// and partitioned tables published via the root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCdcSource, type CdcSource } from './helpers/cdc.js';
import {
  BinaryCopyParser, ChangeStream, CopyQuery, TypeCatalog, beginSnapshot, copyTable, createPublication, createSlot,
  openReplicationConnection, openSession, type CdcEvent, type Value,
} from '../src/cdc/index.js';

let source: CdcSource;

before(async () => {
  source = await startCdcSource();
  await source.admin.query(`CREATE TABLE rows50k (id int8 PRIMARY KEY, t text, n numeric, ts timestamptz, f float8, b bool);
    INSERT INTO rows50k SELECT g, 'row ' || g, g / 7.0, '2024-01-01'::timestamptz + g * interval '1 second', g * 0.5, g % 2 = 0
      FROM generate_series(1, 50000) g`);
});
after(() => source?.close());

test('a slow consumer pauses the socket; every row arrives exactly once, in batches of batchRows', async () => {
  const s = await openSession(source.conn);
  try {
    await s.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const copy = await copyTable(s, { schema: 'public', name: 'rows50k' }, { batchRows: 1000 });
    assert.match(copy.sql, /^COPY \(SELECT "id", "t", "n", "ts", "f", "b" FROM ONLY "public"\."rows50k"\) TO STDOUT \(FORMAT binary\)$/);
    assert.deepStrictEqual(copy.columns.map((c) => [c.name, c.isKey]), [['id', true], ['t', false], ['n', false], ['ts', false], ['f', false], ['b', false]]);
    const seen = new Set<bigint>();
    let batches = 0;
    for await (const batch of copy.batches) {
      batches++;
      assert.ok(batch.length <= 1000);
      for (const row of batch) {
        const id = row[0] as bigint;
        assert.ok(!seen.has(id));
        seen.add(id);
        if (id === 7n) {
          assert.deepStrictEqual(row, [7n, 'row 7', '1.00000000000000000000', BigInt(Date.parse('2024-01-01T00:00:07Z')) * 1000n, 3.5, false]);
        }
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await s.query('COMMIT');
    assert.equal(seen.size, 50_000);
    assert.equal(batches, 50);
    assert.equal(copy.stats.rows, 50_000);
    assert.ok(copy.stats.pauses > 0, 'socket was paused while batches waited');
  } finally {
    await s.end();
  }
});

test('breaking out of the batches cancels the COPY and leaves the session usable after ROLLBACK', async () => {
  const s = await openSession(source.conn);
  try {
    await s.query('BEGIN');
    const copy = await copyTable(s, { schema: 'public', name: 'rows50k' }, { batchRows: 100, columns: ['t', 'id'] });
    const t0 = Date.now();
    for await (const batch of copy.batches) {
      assert.deepStrictEqual(typeof batch[0]![0], 'string');
      assert.deepStrictEqual(typeof batch[0]![1], 'bigint');
      break;
    }
    assert.ok(Date.now() - t0 < 5000);
    assert.ok(copy.stats.rows < 50_000);
    await s.query('ROLLBACK');
    const r = await s.query('SELECT count(*)::int AS n FROM rows50k');
    assert.equal(r.rows[0].n, 50_000);
  } finally {
    await s.end();
  }
});

test('the binary COPY parser gives the same rows whatever the chunk boundaries', async () => {
  const s = await openSession(source.conn);
  try {
    await s.query(`CREATE TEMP TABLE mix (a int4, b text, c numeric, d int4[], e bytea, f interval);
      INSERT INTO mix VALUES (1, 'héllo', 1.5, '{1,NULL}', '\\x00ff', '1 day'), (NULL, NULL, NULL, NULL, NULL, NULL),
        (3, repeat('z', 300), 'NaN', '{}', '', '-1 mon')`);
    const chunks: Buffer[] = [];
    const q = new CopyQuery(`COPY mix TO STDOUT (FORMAT binary)`, (c) => chunks.push(Buffer.from(c)));
    s.query(q);
    await q.done;
    const all = Buffer.concat(chunks);
    const catalog = new TypeCatalog();
    const decoders = [23, 25, 1700, 1007, 17, 1186].map((oid) => catalog.decoder(oid));
    const parse = (pieces: Buffer[]): Value[][] => {
      const rows: Value[][] = [];
      const p = new BinaryCopyParser(decoders, (r) => rows.push(r));
      for (const piece of pieces) p.push(piece);
      assert.ok(p.finished);
      return rows;
    };
    const expected = parse([all]);
    assert.equal(expected.length, 3);
    assert.deepStrictEqual(expected[0], [1, 'héllo', '1.5', [1, null], Buffer.from([0, 255]), { months: 0, days: 1, micros: 0n }]);
    assert.deepStrictEqual(expected[1], [null, null, null, null, null, null]);
    for (let size = 1; size <= 64; size++) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < all.length; i += size) pieces.push(all.subarray(i, i + size));
      assert.deepStrictEqual(parse(pieces), expected, `chunk size ${size}`);
    }
    // a truncated stream is not mistaken for a complete one
    const rows: Value[][] = [];
    const partial = new BinaryCopyParser(decoders, (r) => rows.push(r));
    partial.push(all.subarray(0, all.length - 2));
    assert.equal(partial.finished, false);
    assert.equal(rows.length, 3);
  } finally {
    await s.end();
  }
});

test('partitioned table: copy through the root (no ONLY), changes arrive under the root relation', async () => {
  await source.admin.query(`CREATE TABLE parted (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
    CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
    CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us');
    INSERT INTO parted VALUES (1, 'eu'), (2, 'us')`);
  await createPublication(source.admin, 'parted_pub', [{ schema: 'public', name: 'parted' }]);
  const rc = await openReplicationConnection(source.conn);
  const s = await openSession(source.conn);
  const events: CdcEvent[] = [];
  let stream: ChangeStream | undefined;
  try {
    const slot = await createSlot(rc, 'parted_slot');
    await beginSnapshot(s, slot.snapshotName!);
    const copy = await copyTable(s, { schema: 'public', name: 'parted' });
    assert.ok(!/ONLY/.test(copy.sql));
    const rows: Value[][] = [];
    for await (const b of copy.batches) rows.push(...b);
    await s.query('COMMIT');
    assert.deepStrictEqual(rows.sort((a, b) => (a[0] as number) - (b[0] as number)), [[1, 'eu'], [2, 'us']]);

    let resolveDone!: () => void;
    const done = new Promise<void>((r) => { resolveDone = r; });
    stream = new ChangeStream({ connection: source.conn, slot: 'parted_slot', publications: ['parted_pub'], client: rc });
    await stream.start(slot.consistentPoint, (ev) => {
      events.push(ev);
      if (ev.kind === 'commit') resolveDone();
    });
    await source.admin.query(`INSERT INTO parted_us VALUES (3, 'us')`);
    await done;
    const ch = events.flatMap((e) => (e.kind === 'changes' ? e.changes : []));
    assert.equal(ch.length, 1);
    assert.ok(ch[0]!.kind === 'insert');
    assert.equal(ch[0].relation.name, 'parted');
    assert.deepStrictEqual(ch[0].new, [3, 'us']);
  } finally {
    await stream?.stop();
    await s.end().catch(() => {});
    await rc.end().catch(() => {});
  }
});
