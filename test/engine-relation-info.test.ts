// readRelationInfo: what the catalog answer says about ordering and case (units; no database needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRelationInfo } from '../src/engine/relation-info.js';

// one row per column: [relation index, attname, type oid, typmod, collation, datcollate, datctype, provider, relkind]
const row = (coll: string, datctype: string, provider = 'c') => ['1', 'sym', '25', '-1', coll, datctype, datctype, provider, 'v'];
const info = (rows: (string | null)[][]) => readRelationInfo({ rows, fields: [], command: 'SELECT', rowCount: rows.length } as never, ['"public"."t"']);

test('relation info: ASCII case folding is flagged unsafe under Turkish or Azeri ctypes and collations only', () => {
  assert.equal(info([row('', 'en_US.UTF-8')]).turkicCase, false);
  assert.equal(info([row('', 'C.UTF-8')]).turkicCase, false);
  assert.equal(info([row('', 'C')]).asciiCtype, true);
  assert.equal(info([row('', 'tr_TR.UTF-8')]).turkicCase, true);
  assert.equal(info([row('', 'az_AZ')]).turkicCase, true);
  assert.equal(info([row('tr-x-icu', 'en_US.UTF-8')]).turkicCase, true);
  assert.equal(info([row('trk_XX', 'en_US.UTF-8')]).turkicCase, false);
});
