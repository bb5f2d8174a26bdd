// Integer bitwise operators as Postgres' int2/int4/int8 and/or/xor/not/shl/shr compute them in C: no overflow
// checks, the shift count reduced to the operand's width the way x86 shifts do (1 << 32 = 1 for int4), left
// shifts wrapping around in two's complement, int2 shifted as an int and truncated back.
import { coerce } from './cast.js';
import { ex, flags, type Ex } from './ex.js';
import { notSupported } from './errors.js';
import { INT4, isInt, t as mk, typeName, type PgT } from './pg-type.js';
import type { Tr } from './translator.js';

const WIDTH = { int2: 16, int4: 32, int8: 64 } as const;
type IntName = keyof typeof WIDTH;
const DUCK = { int2: 'SMALLINT', int4: 'INTEGER', int8: 'BIGINT' } as const;

/** The integer type both operands of & | # are brought to (Postgres has these operators per type only). */
function common(tr: Tr, op: string, l: Ex, r: Ex): [Ex, Ex, IntName] {
  const a = l.t.n === 'unknown' && isInt(r.t) ? coerce(tr.env, l, r.t, false) : l;
  const b = r.t.n === 'unknown' && isInt(a.t) ? coerce(tr.env, r, a.t, false) : r;
  if (!isInt(a.t) || !isInt(b.t) || a.t.arr || b.t.arr) return notSupported(`the operator ${op} on ${typeName(a.t)} and ${typeName(b.t)}`);
  const n = (WIDTH[a.t.n as IntName] >= WIDTH[b.t.n as IntName] ? a.t.n : b.t.n) as IntName;
  const to = mk(n) as PgT;
  return [coerce(tr.env, a, to, false), coerce(tr.env, b, to, false), n];
}

/** `a` wrapped to a signed n-bit value (v a HUGEINT) */
function wrap(v: string, n: IntName): string {
  const m = 1n << BigInt(WIDTH[n]);
  const half = m >> 1n;
  const u = `(((${v}) % ${m}::HUGEINT + ${m}::HUGEINT) % ${m}::HUGEINT)`;
  return `CAST(CASE WHEN ${u} >= ${half}::HUGEINT THEN ${u} - ${m}::HUGEINT ELSE ${u} END AS ${DUCK[n]})`;
}

export function bitwise(tr: Tr, op: string, l: Ex, r: Ex): Ex {
  const f = flags(l, r);
  if (op === '<<' || op === '>>') {
    const a = l.t.n === 'unknown' ? coerce(tr.env, l, INT4, false) : l;
    if (!isInt(a.t) || a.t.arr) return notSupported(`the operator ${op} on ${typeName(a.t)}`);
    const c = r.t.n === 'unknown' || r.t.n === 'int2' ? coerce(tr.env, r, INT4, false) : r;
    if (c.t.n !== 'int4' || c.t.arr) return notSupported(`the operator ${op} with a ${typeName(r.t)} shift count`);
    const n = a.t.n as IntName;
    // int2 shifts as a C int (32 bits), then is truncated to 16
    const bits = n === 'int8' ? 64 : 32;
    const s = `(${c.sql} & ${bits - 1})`;
    if (op === '<<') return ex(wrap(`CAST(${a.sql} AS HUGEINT) * (CAST(1 AS HUGEINT) << ${s})`, n), a.t, { scale: 0, ...f });
    const wide = n === 'int8' ? 'BIGINT' : 'INTEGER';
    return ex(`CAST(CAST(${a.sql} AS ${wide}) >> ${s} AS ${DUCK[n]})`, a.t, { scale: 0, ...f });
  }
  const [a, b, n] = common(tr, op, l, r);
  const t = mk(n);
  if (op === '&' || op === '|') return ex(`(${a.sql} ${op} ${b.sql})`, t, { scale: 0, ...f });
  if (op === '#') return ex(`xor(${a.sql}, ${b.sql})`, t, { scale: 0, ...f });
  return notSupported(`the operator ${op}`);
}

/** `~a` */
export function bitNot(tr: Tr, a0: Ex): Ex {
  const a = a0.t.n === 'unknown' ? coerce(tr.env, a0, INT4, false) : a0;
  if (!isInt(a.t) || a.t.arr) return notSupported(`the prefix operator ~ on ${typeName(a.t)}`);
  return ex(`(~ ${a.sql})`, a.t, { scale: 0, ...flags(a) });
}
