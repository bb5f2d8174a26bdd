// readRelationInfo: what the catalog answer says about ordering and case (units; no database needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRelationInfo } from '../src/engine/relation-info.js';

// one row per column: [relation index, attname, type oid, typmod, collation, datcollate, datctype, provider, relkind,
// collation provider, collation locale, database locale]
const row = (coll: string, datctype: string, provider = 'c', collProvider: string | null = null, collLocale: string | null = null, dbLocale: string | null = null) =>
  ['1', 'sym', '25', '-1', coll, datctype, datctype, provider, 'v', collProvider, collLocale, dbLocale];
const info = (rows: (string | null)[][]) => readRelationInfo({ rows, fields: [], command: 'SELECT', rowCount: rows.length } as never, ['"public"."t"']);

test('relation info: ASCII case folding is flagged unsafe under Turkish or Azeri ctypes and collations only', () => {
  assert.equal(info([row('', 'en_US.UTF-8')]).turkicCase, false);
  assert.equal(info([row('', 'C.UTF-8')]).turkicCase, false);
  assert.equal(info([row('', 'C')]).caseRules, 'ascii');
  assert.equal(info([row('', 'tr_TR.UTF-8')]).turkicCase, true);
  assert.equal(info([row('', 'az_AZ')]).turkicCase, true);
  assert.equal(info([row('tr-x-icu', 'en_US.UTF-8')]).turkicCase, true);
  assert.equal(info([row('trk_XX', 'en_US.UTF-8')]).turkicCase, false);
  // a collation named otherwise whose locale is Turkish
  assert.equal(info([row('mine', 'en_US.UTF-8', 'c', 'i', 'tr-TR')]).turkicCase, true);
  assert.equal(info([row('', 'C', 'i', null, null, 'az')]).turkicCase, true);
});

test('relation info: case rules from the database provider and locale, and from columns with collations of their own', () => {
  assert.equal(info([row('', 'en_US.UTF-8')]).caseRules, 'libc');
  assert.equal(info([row('', 'C.UTF-8')]).caseRules, 'libc');
  assert.equal(info([row('', 'POSIX')]).caseRules, 'ascii');
  // ICU and builtin databases: datctype does not decide
  assert.equal(info([row('', 'C', 'i', null, null, 'und')]).caseRules, 'unicode');
  assert.equal(info([row('', 'C', 'b', null, null, 'C.UTF-8')]).caseRules, 'unicode');
  assert.equal(info([row('', 'C', 'b', null, null, 'PG_UNICODE_FAST')]).caseRules, 'unicode');
  assert.equal(info([row('', 'en_US.UTF-8', 'b', null, null, 'C')]).caseRules, 'ascii');
  // a column collation with the database's rules changes nothing; other rules make the statement mixed
  assert.equal(info([row('de_DE', 'en_US.UTF-8', 'c', 'c', 'de_DE.UTF-8')]).caseRules, 'libc');
  assert.equal(info([row('C', 'en_US.UTF-8', 'c', 'c', 'C')]).caseRules, 'mixed');
  assert.equal(info([row('und-x-icu', 'en_US.UTF-8', 'c', 'i', 'und')]).caseRules, 'mixed');
  assert.equal(info([row('C', 'C', 'c', 'c', 'C')]).caseRules, 'ascii');
  assert.equal(info([row('ucs_basic', 'C', 'c', 'b', 'C')]).caseRules, 'ascii');
});
