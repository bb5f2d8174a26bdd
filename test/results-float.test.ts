// float4/float8 result encoding vs a real Postgres: thousands of random doubles and floats (all exponent ranges,
// subnormals, specials) rendered by PG under several extra_float_digits settings and by our codecs from DuckDB's
// values, compared byte for byte; binary send output compared with PG's binary results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rng, startResultsHarness, type ResultsHarness } from './helpers/results.js';
import { float4Text, float8Text, formatG } from '../src/engine/results/index.js';

let h: ResultsHarness;

before(async () => {
  h = await startResultsHarness();
});

after(() => h?.close());

function randomDoubles(n: number, seed: number): string[] {
  const r = rng(seed);
  const dv = new DataView(new ArrayBuffer(8));
  const out: string[] = [];
  while (out.length < n) {
    const kind = out.length % 4;
    let x: number;
    if (kind === 0) {
      dv.setUint32(0, (r() * 2 ** 32) >>> 0);
      dv.setUint32(4, (r() * 2 ** 32) >>> 0);
      x = dv.getFloat64(0);
    } else if (kind === 1) {
      // short decimals (prices, measurements)
      x = Number((r() * 10 ** Math.floor(r() * 12 - 4)).toFixed(Math.floor(r() * 6)));
    } else if (kind === 2) {
      // around the fixed/exponent switch points 1e-5 … 1e-4 and 1e14 … 1e16
      x = (r() < 0.5 ? 1e-5 : 1e14) * (1 + r() * 99);
    } else {
      x = Math.round(r() * 2 ** 53) * 2 ** Math.floor(r() * 40 - 20);
    }
    if (!Number.isFinite(x)) continue;
    if (r() < 0.5) x = -x;
    out.push(String(x));
  }
  return out;
}

function randomFloats(n: number, seed: number): string[] {
  const r = rng(seed);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const out: string[] = [];
  while (out.length < n) {
    const kind = out.length % 3;
    if (kind === 0) u[0] = (r() * 2 ** 32) >>> 0;
    else if (kind === 1) f[0] = Number((r() * 10 ** Math.floor(r() * 10 - 3)).toFixed(Math.floor(r() * 5)));
    else f[0] = (r() < 0.5 ? 1e-5 : 1e5) * (1 + r() * 99);
    const x = f[0]!;
    if (!Number.isFinite(x)) continue;
    // the double text of a float32 value is exact, so strtof/DuckDB read back exactly this float
    out.push(String(r() < 0.3 ? -x : x));
  }
  return out;
}

const specials = ['NaN', 'Infinity', '-Infinity', '0', '-0', '1', '-1', '0.1', '1e-05', '0.0001', '1e15', '1e14',
  '123456', '1234567', '1e22', '1e23', '5e-324', '2.2250738585072014e-308', '1.7976931348623157e308',
  '9007199254740993', '0.30000000000000004', '3.4028234663852886e38', '1.401298464324817e-45',
  '1.1754943508222875e-38', '16777216', '16777217', '2.5', '0.125', '1234567890123.125', '100000', '999999.5',
  // powers of ten: where a short decimal can sit exactly on a rounding bound (PG never prints a bound)
  ...Array.from({ length: 80 }, (_, k) => `1e${k - 40}`), ...Array.from({ length: 60 }, (_, k) => `1e${k * 5 - 300}`),
  ...Array.from({ length: 40 }, (_, k) => `9.5e${k - 20}`)];

test('float8 text: random doubles, every extra_float_digits regime, and binary send', async () => {
  const values = [...specials, ...randomDoubles(4000, 1)];
  let n = 0;
  n += await h.compareColumn({ values, pgExpr: 'x::float8', duckExpr: 'x::DOUBLE', gucs: { extra_float_digits: '1' }, binary: true });
  n += await h.compareColumn({ values, pgExpr: 'x::float8', duckExpr: 'x::DOUBLE', gucs: { extra_float_digits: '3' } });
  for (const edf of ['0', '-1', '-4', '-15']) {
    n += await h.compareColumn({ values: values.slice(0, 1500), pgExpr: 'x::float8', duckExpr: 'x::DOUBLE', gucs: { extra_float_digits: edf } });
  }
  assert.ok(n > 10000);
});

const float4Specials = specials.filter((v) => {
  const x = Number(v);
  return Number.isNaN(x) || !Number.isFinite(x) || x === 0 || (Math.abs(x) < 3.5e38 && Math.abs(x) > 1e-45);
});

test('float4 text: float32 shortest round-trip (not the double repr) and %g modes', async () => {
  const values = [...float4Specials, ...randomFloats(4000, 2)];
  await h.compareColumn({ values, pgExpr: 'x::float4', duckExpr: 'x::FLOAT', gucs: { extra_float_digits: '1' }, binary: true });
  for (const edf of ['0', '-2', '-6', '-15', '2']) {
    await h.compareColumn({ values: values.slice(0, 1500), pgExpr: 'x::float4', duckExpr: 'x::FLOAT', gucs: { extra_float_digits: edf } });
  }
});

test('every float32 exponent: powers of two and their neighbours', async () => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const values: string[] = [];
  for (let e = 0; e < 255; e++) {
    for (const m of [0, 1, 2, 0x7fffff, 0x400000, 0x3fffff]) {
      u[0] = (e << 23) | m;
      values.push(String(f[0]));
    }
  }
  await h.compareColumn({ values, pgExpr: 'x::float4', duckExpr: 'x::FLOAT', gucs: { extra_float_digits: '1' } });
});

test('DOUBLE and FLOAT shown as numeric convert like float8::numeric / float4::numeric', async () => {
  const values = [...specials.filter((s) => !/inf/i.test(s)), ...randomDoubles(500, 3)].filter((s) => {
    const x = Number(s);
    return Math.abs(x) < 1e300 && (x === 0 || Math.abs(x) > 1e-300);
  });
  await h.compareColumn({ values, pgExpr: 'x::float8::numeric', duckExpr: 'x::DOUBLE', hint: 'numeric', gucs: {}, binary: true });
  const floats = randomFloats(500, 4);
  await h.compareColumn({ values: floats, pgExpr: 'x::float4::numeric', duckExpr: 'x::FLOAT', hint: 'numeric', gucs: {} });
});

test('unit: layouts that have bitten others', () => {
  assert.equal(float8Text(-0, 1), '-0');
  assert.equal(float8Text(1e15, 1), '1e+15');
  assert.equal(float8Text(123456789012345, 1), '123456789012345');
  assert.equal(float8Text(1.5e-7, 1), '1.5e-07');
  assert.equal(float8Text(1e100, 1), '1e+100');
  assert.equal(float4Text(Math.fround(0.1), 1), '0.1');
  assert.equal(float4Text(Math.fround(16777216), 1), '1.6777216e+07');
  assert.equal(float4Text(Math.fround(3.4028234663852886e38), 1), '3.4028235e+38');
  assert.equal(formatG(2.5, 1), '2');
  assert.equal(formatG(3.5, 1), '4');
  assert.equal(formatG(1234567890123.125, 15), '1234567890123.12');
  assert.equal(formatG(100000, 6), '100000');
  assert.equal(formatG(1e6, 6), '1e+06');
});
