// Unit checks for the pieces of the byte path that must survive any chunking of the stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendScanner } from '../src/wire/scanner.js';
import { Precheck } from '../src/route/precheck.js';
import { commandComplete, dataRow, readyForQuery, rowDescription } from '../src/wire/messages/backend.js';
import { Writer } from '../src/wire/messages/writer.js';

function paramStatus(k: string, v: string): Buffer {
  return new Writer().begin(0x53).cstring(k).cstring(v).end().finish();
}
function keyData(pid: number, secret: Buffer): Buffer {
  return new Writer().begin(0x4b).int32(pid).bytes(secret).end().finish();
}

const stream = Buffer.concat([
  paramStatus('TimeZone', 'UTC'),
  keyData(4242, Buffer.from('0123456789abcdef0123456789abcdef', 'hex')),
  readyForQuery(0x49),
  rowDescription([{ name: 'x', typeOid: 23, typeSize: 4 }]),
  dataRow([Buffer.from('1')]),
  dataRow([Buffer.alloc(70000, 0x61)]),
  commandComplete('SELECT 2'),
  readyForQuery(0x54),
  paramStatus('DateStyle', 'ISO, DMY'),
  readyForQuery(0x45),
]);

function scanInPieces(sizes: (i: number) => number) {
  const events: string[] = [];
  const ends: number[] = [];
  let offset = 0;
  const s = new BackendScanner({
    readyForQuery: (st, end) => {
      events.push('Z' + String.fromCharCode(st));
      ends.push(offset + end);
      return true;
    },
    parameterStatus: (k, v) => events.push(`${k}=${v}`),
    backendKeyData: (pid, secret) => events.push(`K${pid}:${secret.toString('hex')}`),
  });
  let i = 0;
  while (offset < stream.length) {
    const n = Math.max(1, Math.min(sizes(i++), stream.length - offset));
    assert.equal(s.scan(stream.subarray(offset, offset + n)), n);
    offset += n;
  }
  assert.ok(s.atBoundary);
  return { events, ends };
}

test('backend scanner sees the same messages however the stream is cut', () => {
  const whole = scanInPieces(() => stream.length);
  assert.deepEqual(whole.events, [
    'TimeZone=UTC',
    'K4242:0123456789abcdef0123456789abcdef',
    'ZI',
    'ZT',
    'DateStyle=ISO, DMY',
    'ZE',
  ]);
  for (const cut of [1, 2, 3, 5, 7, 4096]) assert.deepEqual(scanInPieces(() => cut), whole, `cut ${cut}`);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 97) + 1;
  assert.deepEqual(scanInPieces(rnd), whole);
});

test('backend scanner stops right after a ReadyForQuery when asked', () => {
  let count = 0;
  const s = new BackendScanner({ readyForQuery: () => ++count !== 2, parameterStatus() {}, backendKeyData() {} });
  const stop = s.scan(stream);
  const zt = stream.indexOf(readyForQuery(0x54));
  assert.equal(stop, zt + 6);
  assert.ok(s.atBoundary);
  assert.equal(s.scan(stream.subarray(stop)), stream.length - stop);
  assert.equal(count, 3);
});

test('precheck: case-insensitive word search on raw UTF-8 bytes', () => {
  const p = new Precheck(['trades_iceberg', 'mooncake', 'Tägliche_Zahlen']);
  const t = (sql: string) => {
    const b = Buffer.from(' ' + sql + '\0');
    return p.test(b, 1, b.length - 1);
  };
  assert.equal(t('select * from trades'), false);
  assert.equal(t('SELECT avg(price) FROM TRADES_ICEBERG'), true);
  assert.equal(t('select * from "public"."trades_iceberg" t'), true);
  assert.equal(t('CALL MoonCake.create_table($1, $2)'), true);
  assert.equal(t('select * from tägliche_zahlen'), true);
  assert.equal(new Precheck([]).test(Buffer.from('select 1'), 0, 8), false);
});

test('Precheck agrees with lower-casing the latin1 reading of the bytes, on random SQL-ish bytes', () => {
  const words = ['trades_iceberg', 'mooncake', 'Tägliche_Zahlen', 'ÀÉÎ', 'x'];
  const p = new Precheck(words.slice(0, 4));
  const needles = words.slice(0, 4).map((w) => Buffer.from(w, 'utf8').toString('latin1').toLowerCase());
  const alphabet = Buffer.from('aAeEkKmMnNoOcCsStTxX_ .ÄäÀàÉéÎî\u00d7\u00f7', 'utf8');
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (let i = 0; i < 3000; i++) {
    const parts: Buffer[] = [];
    for (let j = rnd(12); j > 0; j--) {
      if (rnd(5) === 0) {
        const w = Buffer.from(words[rnd(words.length)]!, 'utf8');
        // random case flips of ASCII letters inside a word
        parts.push(Buffer.from(w.map((b) => (b >= 0x61 && b <= 0x7a && rnd(2) ? b - 32 : b))));
      } else parts.push(Buffer.from([alphabet[rnd(alphabet.length)]!]));
    }
    const b = Buffer.concat(parts);
    const s = b.toString('latin1').toLowerCase();
    const want = needles.some((n) => s.includes(n));
    assert.equal(p.test(Buffer.concat([Buffer.from('Q'), b, Buffer.from([0])]), 1, b.length + 1), want, JSON.stringify(b.toString('latin1')));
  }
});

test('Precheck skipping search: word sets of mixed lengths, words cut by the range ends, words longer than 255 bytes', () => {
  const long = 'l'.repeat(300) + '_iceberg';
  const sets = [['x'], ['ab', 'trades_iceberg'], ['mooncake', 'lakegate', 'orders_iceberg', 'Tägliche_Zahlen'], [long, long.slice(1) + 'z'], ['aaa', 'aab']];
  const alphabet = Buffer.from('abgklmnostxzAKLMZ_ .Ää\u00d7', 'utf8');
  let seed = 11;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (const words of sets) {
    const p = new Precheck(words);
    const needles = words.map((w) => Buffer.from(w, 'utf8').toString('latin1').toLowerCase());
    for (let i = 0; i < 2000; i++) {
      const parts: Buffer[] = [];
      for (let j = rnd(16); j > 0; j--) {
        if (rnd(4) === 0) {
          const w = Buffer.from(words[rnd(words.length)]!, 'utf8');
          // a whole word or a piece of one, with random case flips of ASCII letters
          const from = rnd(3) === 0 ? rnd(w.length) : 0;
          const to = rnd(3) === 0 ? from + rnd(w.length - from + 1) : w.length;
          parts.push(Buffer.from(w.subarray(from, to).map((b) => (b >= 0x61 && b <= 0x7a && rnd(2) ? b - 32 : b))));
        } else parts.push(Buffer.from([alphabet[rnd(alphabet.length)]!]));
      }
      const all = Buffer.concat(parts);
      // the tested range leaves out bytes at both ends: a word crossing them must not count
      const start = rnd(Math.min(all.length, 10) + 1);
      const end = all.length - rnd(Math.min(all.length - start, 10) + 1);
      const s = all.subarray(start, end).toString('latin1').toLowerCase();
      const want = needles.some((n) => s.includes(n));
      assert.equal(p.test(all, start, end), want, JSON.stringify([words[0], all.toString('latin1'), start, end]));
    }
  }
});
