// Bind parameters → constants for the translated SQL. Binary values are decoded here (their meaning does not
// depend on settings); text values go through the same path as literals (translate/literal.ts): read locally
// when plain, else converted by Postgres on the client's connection.
import { PgError } from '../route/local.js';
import { numeric } from './results/index.js';
import { floatConst, intervalSql, numericConst, type Const } from './translate/literal.js';
import { typeName, type PgT } from './translate/pg-type.js';
import { str } from './translate/ex.js';

/** A parameter as bound: a ready constant (binary or NULL) or text still to be read as its type. */
export type BoundParam = { t: PgT; value: Const } | { t: PgT; text: string };

const PG_EPOCH_DAYS = 10957;
const PG_EPOCH_MICROS = 946_684_800_000_000n;

export function decodeParams(types: PgT[], params: (Buffer | null)[], formats: number[]): BoundParam[] {
  if (params.length !== types.length) {
    throw new PgError('08P01', `bind message supplies ${params.length} parameters, but prepared statement "" requires ${types.length}`);
  }
  return params.map((p, i) => {
    const t = types[i]!;
    const fmt = formats.length === 0 ? 0 : formats.length === 1 ? formats[0]! : formats[i] ?? 0;
    if (p === null) return { t, value: { sql: 'NULL', scale: null } };
    if (fmt === 0) return { t, text: p.toString('utf8') };
    return { t, value: binary(t, p) };
  });
}

function need(b: Buffer, n: number, t: PgT): void {
  if (b.length !== n) throw new PgError('22P03', `incorrect binary data format in bind parameter of type ${typeName(t)}`);
}

function binary(t: PgT, b: Buffer): Const {
  if (t.arr) throw new PgError('0A000', 'binary array parameters are not supported on lakegate mirrors');
  switch (t.n) {
    case 'bool':
      need(b, 1, t);
      return { sql: b[0] ? 'TRUE' : 'FALSE', scale: null };
    case 'int2':
      need(b, 2, t);
      return { sql: `CAST(${b.readInt16BE(0)} AS SMALLINT)`, scale: 0 };
    case 'int4':
      need(b, 4, t);
      return { sql: `CAST(${b.readInt32BE(0)} AS INTEGER)`, scale: 0 };
    case 'int8':
      need(b, 8, t);
      return { sql: `CAST(${b.readBigInt64BE(0)} AS BIGINT)`, scale: 0 };
    case 'float4':
      need(b, 4, t);
      return floatConst(b.readFloatBE(0), 'float4');
    case 'float8':
      need(b, 8, t);
      return floatConst(b.readDoubleBE(0), 'float8');
    case 'numeric':
      return numericConst(numericRecv(b));
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'json':
    case 'unknown':
      return { sql: str(b.toString('utf8')), scale: null };
    case 'jsonb':
      if (b[0] !== 1) throw new PgError('22P03', 'unsupported jsonb version number');
      return { sql: str(b.toString('utf8', 1)), scale: null };
    case 'date': {
      need(b, 4, t);
      const d = b.readInt32BE(0);
      if (d === 0x7fffffff) return { sql: `CAST('infinity' AS DATE)`, scale: null };
      if (d === -0x80000000) return { sql: `CAST('-infinity' AS DATE)`, scale: null };
      return { sql: `CAST(DATE '1970-01-01' + ${d + PG_EPOCH_DAYS} AS DATE)`, scale: null };
    }
    case 'timestamp':
    case 'timestamptz': {
      need(b, 8, t);
      const us = b.readBigInt64BE(0);
      const ty = t.n === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
      if (us === 0x7fffffffffffffffn) return { sql: `CAST('infinity' AS ${ty})`, scale: null };
      if (us === -0x8000000000000000n) return { sql: `CAST('-infinity' AS ${ty})`, scale: null };
      const fn = t.n === 'timestamp' ? 'make_timestamp' : 'make_timestamptz';
      return { sql: `${fn}(CAST(${us + PG_EPOCH_MICROS} AS BIGINT))`, scale: null };
    }
    case 'interval':
      need(b, 16, t);
      return { sql: intervalSql(b.readInt32BE(12), b.readInt32BE(8), b.readBigInt64BE(0)), scale: null };
    case 'uuid': {
      need(b, 16, t);
      const h = b.toString('hex');
      return { sql: `CAST('${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}' AS UUID)`, scale: null };
    }
    case 'bytea':
      return { sql: `unhex('${b.toString('hex')}')`, scale: null };
    case 'time': {
      need(b, 8, t);
      const us = b.readBigInt64BE(0);
      return { sql: `CAST(TIME '00:00:00' + to_microseconds(CAST(${us} AS BIGINT)) AS TIME)`, scale: null };
    }
  }
  throw new PgError('0A000', `binary ${typeName(t)} parameters are not supported on lakegate mirrors`);
}

/** numeric_recv */
function numericRecv(b: Buffer) {
  const ndigits = b.readInt16BE(0);
  const weight = b.readInt16BE(2);
  const sign = b.readUInt16BE(4);
  const dscale = b.readInt16BE(6);
  if (sign === 0xc000) throw new PgError('0A000', 'numeric NaN parameters are not supported on lakegate mirrors');
  if (sign === 0xd000 || sign === 0xf000) throw new PgError('0A000', 'numeric infinity parameters are not supported on lakegate mirrors');
  let v = 0n;
  for (let i = 0; i < ndigits; i++) v = v * 10000n + BigInt(b.readInt16BE(8 + 2 * i));
  // v is the value · 10000^(ndigits - 1 - weight); bring it to · 10^dscale
  const exp10 = 4 * (ndigits - 1 - weight);
  let unscaled = v;
  if (dscale > exp10) unscaled = v * 10n ** BigInt(dscale - exp10);
  else if (dscale < exp10) unscaled = v / 10n ** BigInt(exp10 - dscale);
  return numeric(sign === 0x4000 ? -unscaled : unscaled, dscale);
}
