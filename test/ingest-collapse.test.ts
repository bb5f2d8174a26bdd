// The collapser's insert-only run (rows kept as a list until the first update or delete) gives the same net
// effect as the per-key path: for keyed and key-less mirrors, for runs that stay insert-only, runs that turn
// into updates/deletes part way, and TRUNCATEs in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinCatalog, PgOid, type Change, type Relation, type TupleValue } from '../src/cdc/index.js';
import { Collapser, type Effect } from '../src/table/collapse.js';
import { mirrorColumn } from '../src/table/column-types.js';
import { MirrorTable } from '../src/table/mirror-table.js';

const relation = {} as Relation;
const table = (key: number[]) =>
  new MirrorTable({
    id: 1,
    name: 'public.m',
    source: { schema: 'public', name: 't' },
    relationOid: 1,
    key,
    columns: [
      mirrorColumn(builtinCatalog, { name: 'id', typeOid: PgOid.int8, typmod: -1, isKey: true }),
      mirrorColumn(builtinCatalog, { name: 'v', typeOid: PgOid.text, typmod: -1, isKey: false }),
    ],
  });
const ins = (id: bigint, v: string): Change => ({ kind: 'insert', relation, xid: 1, new: [id, v] });
const upd = (id: bigint, v: string, oldId?: bigint): Change =>
  oldId === undefined
    ? { kind: 'update', relation, xid: 1, oldKind: null, old: null, new: [id, v] }
    : { kind: 'update', relation, xid: 1, oldKind: 'key', old: [oldId, null], new: [id, v] };
const del = (id: bigint): Change => ({ kind: 'delete', relation, xid: 1, oldKind: 'key', old: [id, null] });
const delRow = (id: bigint, v: string): Change => ({ kind: 'delete', relation, xid: 1, oldKind: 'full', old: [id, v] });
const truncate: Change = { kind: 'truncate', relations: [relation], xid: 1, cascade: false, restartIdentity: false };

function run(key: number[], changes: Change[]): Effect {
  const c = new Collapser(table(key));
  for (const ch of changes) c.add(ch);
  return c.take();
}

/** the effect as sorted plain data (the order of rows within an effect carries no meaning) */
function shape(e: Effect): unknown {
  const s = (xs: unknown[]) => xs.map((x) => JSON.stringify(x, (_k, v: TupleValue) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
  if (e.kind === 'keyed') return { truncated: e.truncated, removes: s(e.removes), appends: s(e.appends) };
  return { truncated: e.truncated, removes: s(e.removes), appends: s(e.appends) };
}

test('keyed: insert-only runs and runs that turn into updates and deletes', () => {
  assert.deepEqual(shape(run([0], [ins(1n, 'a'), ins(2n, 'b')])), {
    truncated: false, removes: [], appends: [JSON.stringify({ row: ['1n', 'a'], toastKey: null }), JSON.stringify({ row: ['2n', 'b'], toastKey: null })],
  });
  // inserted then updated, deleted and re-keyed in the same run: nothing existed before, so nothing to remove
  const e = run([0], [ins(1n, 'a'), ins(2n, 'b'), ins(3n, 'c'), upd(1n, 'a2'), del(2n), upd(4n, 'c', 3n), upd(9n, 'x'), ins(2n, 'b2')]);
  assert.deepEqual(shape(e), {
    truncated: false,
    removes: [JSON.stringify(['9n'])],
    appends: [['1n', 'a2'], ['2n', 'b2'], ['4n', 'c'], ['9n', 'x']].map((row) => JSON.stringify({ row, toastKey: null })).sort(),
  });
  // a TRUNCATE in the middle: only what follows it, and nothing before it to remove
  assert.deepEqual(shape(run([0], [ins(1n, 'a'), del(5n), truncate, ins(2n, 'b'), upd(2n, 'b2')])), {
    truncated: true, removes: [], appends: [JSON.stringify({ row: ['2n', 'b2'], toastKey: null })],
  });
  // the collapser starts over after take()
  const c = new Collapser(table([0]));
  c.add(ins(1n, 'a'));
  c.add(del(1n));
  assert.deepEqual(shape(c.take()), { truncated: false, removes: [], appends: [] });
  c.add(ins(1n, 'a'));
  assert.equal(c.empty, false);
  assert.deepEqual(shape(c.take()), { truncated: false, removes: [], appends: [JSON.stringify({ row: ['1n', 'a'], toastKey: null })] });
  assert.equal(c.empty, true);
});

test('key-less: equal rows append twice; a delete later in the run cancels one of them', () => {
  assert.deepEqual(shape(run([], [ins(1n, 'a'), ins(1n, 'a'), ins(2n, 'b')])), {
    truncated: false, removes: [], appends: [JSON.stringify(['1n', 'a']), JSON.stringify(['1n', 'a']), JSON.stringify(['2n', 'b'])].sort(),
  });
  assert.deepEqual(shape(run([], [ins(1n, 'a'), ins(1n, 'a'), ins(2n, 'b'), delRow(1n, 'a'), delRow(3n, 'c')])), {
    truncated: false,
    removes: [JSON.stringify({ row: ['3n', 'c'], count: 1 })],
    appends: [JSON.stringify(['1n', 'a']), JSON.stringify(['2n', 'b'])].sort(),
  });
});
