// date / timestamp / timestamptz / time / timetz / interval result encoding vs a real Postgres: every DateStyle and
// IntervalStyle, many time zones (IANA with historical LMT and DST, POSIX strings, fixed offsets), BC dates, far
// future years governed by the zone files' POSIX footer, infinities; binary output vs PG's typsend.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { rng, startResultsHarness, type ResultsHarness } from './helpers/results.js';
import { columnCodec, outputSettingsFrom, parseDateStyle } from '../src/engine/results/index.js';
import { parseTzif } from '../src/engine/results/timezone.js';

let h: ResultsHarness;

before(async () => {
  h = await startResultsHarness();
});

after(() => h?.close());

const DATE_STYLES = ['ISO, MDY', 'ISO, DMY', 'SQL, MDY', 'SQL, DMY', 'SQL, YMD', 'Postgres, MDY', 'Postgres, DMY',
  'Postgres, YMD', 'German', 'German, MDY'];

// ---- date ----

const dateExprPg = `CASE x WHEN 'inf' THEN 'infinity'::date WHEN '-inf' THEN '-infinity'::date ELSE DATE '1970-01-01' + x::int END`;
const dateExprDuck = `CASE x WHEN 'inf' THEN 'infinity'::DATE WHEN '-inf' THEN '-infinity'::DATE ELSE DATE '1970-01-01' + CAST(x AS INTEGER) END`;

test('date: BC, year 0/1 boundary, five-digit years, infinities, every DateStyle', async () => {
  const r = rng(10);
  const values = ['inf', '-inf', '0', '-1', '-719162', '-719163', '-2440588', '-2440587', '2932896', '2932897',
    '11016', '10957', '-25567', '-141427', '-141428'];
  for (let i = 0; i < 800; i++) values.push(String(Math.floor(-2440588 + r() * (100_000_000 + 2440588))));
  for (let i = 0; i < 400; i++) values.push(String(Math.floor(-800_000 + r() * 1_000_000)));
  for (const ds of DATE_STYLES) {
    await h.compareColumn({ values, pgExpr: dateExprPg, duckExpr: dateExprDuck, gucs: { DateStyle: ds }, binary: ds === 'ISO, MDY' });
  }
});

// ---- timestamp ----

const MIN_MICROS = -210866803200000000; // 4713-11-24 BC 00:00 (PG's lower limit)
const MAX_MICROS = 9_000_000_000_000_000_000; // about year 287000 (DuckDB stops at 294247)

function randomMicros(n: number, seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    let v: bigint;
    if (kind === 0) v = BigInt(Math.floor(MIN_MICROS + r() * (MAX_MICROS - MIN_MICROS)));
    else if (kind === 1) v = BigInt(Math.floor(-5e15 + r() * 1e16)); // 1811 … 2128
    else if (kind === 2) v = BigInt(Math.floor(-8e16 + r() * 9e16)) / 1_000_000n * 1_000_000n; // whole seconds
    else v = BigInt(Math.floor(r() * 4e9)) * 1000n + BigInt(Math.floor(r() * 1000)) * 10n; // 1970 … 1974, trailing zeros
    if (r() < 0.1 && -v > BigInt(MIN_MICROS)) v = -v;
    out.push(String(v));
  }
  return out;
}

const tsPg = (t: string) =>
  `CASE x WHEN 'inf' THEN 'infinity'::${t} WHEN '-inf' THEN '-infinity'::${t} ELSE 'epoch'::${t} + (x || ' microseconds')::interval END`;
const tsDuck = (cast: string) =>
  `CASE x WHEN 'inf' THEN 'infinity'::TIMESTAMP WHEN '-inf' THEN '-infinity'::TIMESTAMP ELSE make_timestamp(CAST(x AS BIGINT)) END${cast}`;

test('timestamp: microsecond trimming, BC, every DateStyle, infinities', async () => {
  const values = ['inf', '-inf', '0', '1', '-1', '10', '100000', '-62135596800000000', '-62135596800000001',
    String(MIN_MICROS), '946684800000000', ...randomMicros(1200, 11)];
  for (const ds of DATE_STYLES) {
    await h.compareColumn({ values, pgExpr: tsPg('timestamp'), duckExpr: tsDuck(''), gucs: { DateStyle: ds }, binary: ds === 'ISO, MDY' });
  }
});

// ---- timestamptz ----

/** Instants around each transition of a zone (from its TZif file), a dense scan of years, and far-future ones. */
function zoneInstants(zone: string | null, seed: number): string[] {
  const r = rng(seed);
  const out = new Set<string>();
  if (zone) {
    const { ats } = parseTzif(readFileSync(join(h.tzDir, zone)));
    const picked = ats.length > 120 ? ats.filter((_, i) => i % Math.ceil(ats.length / 120) === 0 || i < 10) : ats;
    for (const at of picked) for (const d of [-1, 0, 1, 1800]) out.add(String(BigInt(at + d) * 1_000_000n));
  }
  // every ~40 days from 1800 to 2100, at varying times of day
  for (let t = -5364662400; t < 4102444800; t += 86400 * 40 + Math.floor(r() * 86400)) out.add(String(BigInt(t) * 1_000_000n + 123456n));
  // POSIX-footer era: DST switches in 2040 … 2400 and far beyond
  for (const y of [2038, 2040, 2100, 2399, 2400, 10000, 99999, 250000]) {
    const base = Date.UTC(Math.min(y, 275000), 0, 1) / 1000;
    for (let k = 0; k < 16; k++) out.add(String(BigInt(Math.floor(base + r() * 366 * 86400)) * 1_000_000n));
  }
  for (const v of randomMicros(200, seed + 1)) out.add(v);
  out.add('inf');
  out.add('-inf');
  out.add(String(MIN_MICROS));
  return [...out];
}

const ZONES: [string, string | null][] = [
  ['UTC', 'UTC'],
  ['America/New_York', 'America/New_York'],
  ['Asia/Kolkata', 'Asia/Kolkata'],
  ['Europe/Amsterdam', 'Europe/Amsterdam'],
  ['Australia/Lord_Howe', 'Australia/Lord_Howe'],
  ['America/St_Johns', 'America/St_Johns'],
  ['Africa/Casablanca', 'Africa/Casablanca'],
  ['Pacific/Chatham', 'Pacific/Chatham'],
  ['Europe/Dublin', 'Europe/Dublin'],
  ['America/Sao_Paulo', 'America/Sao_Paulo'],
  ['Antarctica/Troll', 'Antarctica/Troll'],
  ['Asia/Tehran', 'Asia/Tehran'],
  ['America/Santiago', 'America/Santiago'],
  ['Europe/Moscow', 'Europe/Moscow'],
  ['america/new_york', 'America/New_York'],
  ['EST5EDT', 'EST5EDT'],
  ['Etc/GMT+5', 'Etc/GMT+5'],
  ['GMT', null],
  ['5.5', null],
  ['-3.75', null],
  ['+05:30', null],
  ['XYZ3ABC', null],
  ['CET-1CEST,M3.5.0,M10.5.0/3', null],
  ['<-03>3<-02>,M3.5.0/-2,M10.5.0/-1', null],
  ['AAA-10BBB,M10.1.0,M4.1.0/3', null],
];

test('timestamptz ISO: offsets incl. LMT seconds, DST transitions, POSIX footers and POSIX/offset zones', async () => {
  let n = 0;
  for (const [i, [zone, file]] of ZONES.entries()) {
    const values = zoneInstants(file, 100 + i);
    n += await h.compareColumn({
      values, pgExpr: tsPg('timestamptz'), duckExpr: tsDuck('::TIMESTAMPTZ'),
      gucs: { TimeZone: zone, DateStyle: 'ISO, MDY' }, binary: i < 2,
    });
  }
  assert.ok(n > 10000);
});

test('timestamptz SQL / Postgres / German: zone abbreviations (EST, LMT, IST, +0530, nameless POSIX)', async () => {
  for (const [i, [zone, file]] of ZONES.entries()) {
    const values = zoneInstants(file, 200 + i).slice(0, 400);
    for (const ds of ['SQL, MDY', 'Postgres, DMY', 'German']) {
      await h.compareColumn({ values, pgExpr: tsPg('timestamptz'), duckExpr: tsDuck('::TIMESTAMPTZ'), gucs: { TimeZone: zone, DateStyle: ds } });
    }
  }
});

// ---- time / timetz ----

function hms(us: number): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(Math.floor(us / 3.6e9))}:${p(Math.floor(us / 6e7) % 60)}:${p(Math.floor(us / 1e6) % 60)}.${p(us % 1e6, 6)}`;
}

test('time and timetz text and binary', async () => {
  const r = rng(30);
  const times = ['00:00:00', '24:00:00', '23:59:59.999999', '12:00:00.5', '00:00:00.000001', '01:02:03.10'];
  for (let i = 0; i < 600; i++) {
    const us = i % 3 === 0 ? Math.floor(r() * 86400) * 1e6 : Math.floor(r() * 86400e6);
    times.push(hms(us));
  }
  await h.compareColumn({ values: times, pgExpr: 'x::time', duckExpr: 'x::TIME', gucs: {}, binary: true });
  await h.compareColumn({ values: times, pgExpr: 'x::time', duckExpr: 'x::TIME', gucs: { DateStyle: 'German' } });
  const tz = ['00:00:00+00', '24:00:00-15:59', '12:00:00+05:30', '12:00:00-03:30:45', '01:02:03.5+15:59:59'];
  for (let i = 0; i < 400; i++) {
    const off = Math.floor(r() * 15 * 3600) * (r() < 0.5 ? -1 : 1);
    const o = Math.abs(off);
    const offs = `${off < 0 ? '-' : '+'}${String(Math.floor(o / 3600)).padStart(2, '0')}:${String(Math.floor(o / 60) % 60).padStart(2, '0')}` +
      (i % 4 === 0 ? `:${String(o % 60).padStart(2, '0')}` : '');
    tz.push(hms(Math.floor(r() * 86400e6)) + offs);
  }
  await h.compareColumn({ values: tz, pgExpr: 'x::timetz', duckExpr: 'x::TIMETZ', gucs: {}, binary: true });
  await h.compareColumn({ values: tz, pgExpr: 'x::timetz', duckExpr: 'x::TIMETZ', gucs: { DateStyle: 'SQL, DMY' } });
});

// ---- interval ----

test('interval: mixed signs in every IntervalStyle, binary', async () => {
  const r = rng(40);
  const vals = ['0 0 0', '1 0 0', '-1 0 0', '0 1 0', '0 -1 0', '0 0 1000000', '0 0 -1000000', '0 0 -500000',
    '0 0 500000', '14 -3 3723000000', '-14 3 -3723000000', '12 0 0', '-25 0 0', '0 0 86400000000',
    '1 -1 0', '-1 1 0', '0 1 -1', '0 -1 1', '0 0 1', '0 0 -1', '0 0 3600000000', '0 0 60000000',
    '2147483647 2147483647 9223372036854775807', '-2147483648 -2147483648 -9223372036854775807',
    '0 0 -9223372036854775807', '-1 -1 -1', '1 1 1'];
  const pick = (scale: number) => {
    const k = r();
    if (k < 0.3) return 0;
    const v = Math.floor(r() * scale);
    return r() < 0.5 ? -v : v;
  };
  for (let i = 0; i < 600; i++) {
    const us = i % 2 ? pick(1e12) : pick(1e5) * 1_000_000 + (r() < 0.5 ? pick(1e6) : 0);
    vals.push(`${pick(i % 5 ? 30 : 1e6)} ${pick(i % 5 ? 40 : 1e6)} ${us}`);
  }
  // explicit signs on every field: under IntervalStyle sql_standard PG's *input* would otherwise apply a leading
  // '-' to all fields
  const signed = vals.map((v) => v.split(' ').map((n) => (n.startsWith('-') ? n : '+' + n)).join(' '));
  const pgExpr = `(split_part(x, ' ', 1) || ' months ' || split_part(x, ' ', 2) || ' days ' || split_part(x, ' ', 3) || ' microseconds')::interval`;
  const duckExpr = `to_months(CAST(split_part(x, ' ', 1) AS INTEGER)) + to_days(CAST(split_part(x, ' ', 2) AS INTEGER)) + to_microseconds(CAST(split_part(x, ' ', 3) AS BIGINT))`;
  for (const style of ['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601']) {
    await h.compareColumn({ values: signed, pgExpr, duckExpr, gucs: { IntervalStyle: style }, binary: style === 'postgres' });
  }
});

test('hints: TIMESTAMP stored as UTC shown as timestamptz, and typmods in RowDescription', async () => {
  const values = randomMicros(200, 50);
  await h.compareColumn({
    values, pgExpr: `${tsPg('timestamptz')}`, duckExpr: tsDuck(''), hint: 'timestamptz',
    gucs: { TimeZone: 'Europe/Amsterdam' }, binary: true,
  });
  const secs = values.map((v) => String((BigInt(v) / 1_000_000n) * 1_000_000n));
  await h.compareColumn({
    values: secs, pgExpr: `(${tsPg('timestamp')})::timestamp(0)`, duckExpr: tsDuck(''), hint: 'timestamp(0)', gucs: {},
  });
});

test('DateStyle values parse like check_datestyle (compared with what PG reports back)', async () => {
  const inputs = ['euro', 'German', 'sql, dmy', 'postgres', 'us', 'iso, ymd', 'German, MDY', 'Postgres, European',
    'SQL', 'nonEuropean, sql', 'YMD', 'DMY, German', ' ISO , DMY '];
  for (const input of inputs) {
    await h.client.query('RESET ALL');
    await h.client.query(`SET DateStyle = '${input}'`);
    const shown = (await h.client.query({ text: 'SHOW DateStyle', rowMode: 'array' })).rows[0][0];
    const ours = parseDateStyle(input, { dateStyle: 'ISO', dateOrder: 'MDY' });
    assert.equal(`${ours.dateStyle}, ${ours.dateOrder}`, shown, input);
  }
  await h.client.query('RESET ALL');
  await assert.rejects(h.client.query(`SET DateStyle = 'ISO, SQL'`));
  assert.throws(() => parseDateStyle('ISO, SQL', { dateStyle: 'ISO', dateOrder: 'MDY' }));
  assert.throws(() => outputSettingsFrom({ TimeZone: 'Mars/Olympus_Mons' }));
  await assert.rejects(h.client.query(`SET TimeZone = 'Mars/Olympus_Mons'`));
});

test('interval typmods from field/precision qualifiers match RowDescription', async () => {
  const specs = ['interval', 'interval(3)', 'interval year', 'interval month', 'interval year to month', 'interval day',
    'interval day to hour', 'interval day to minute', 'interval day to second', 'interval day to second(2)',
    'interval hour to second(0)', 'interval minute to second', 'interval second(4)', 'interval hour'];
  const res = await h.duck.run(`SELECT INTERVAL 1 DAY`);
  for (const spec of specs) {
    const r = await h.client.query({ text: `SELECT '1 day'::${spec}`, rowMode: 'array' });
    assert.equal(columnCodec(res.columnType(0), spec).typmod, r.fields[0]!.dataTypeModifier, spec);
  }
});
