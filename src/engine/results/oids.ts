// Postgres built-in type identities used in RowDescription (pg_type.dat OIDs, typlen, array types), the IvorySQL
// Oracle-mode types (fixed 95xx OIDs, ivorysql.md §3), and parsing of type names as the translator writes them
// (`numeric(10,2)`, `varchar(20)`, `int4[]`, `timestamp with time zone`) into OID + typmod.

export interface PgTypeInfo {
  name: string;
  oid: number;
  arrayOid: number;
  /** pg_type.typlen: fixed size in bytes, -1 for varlena */
  typlen: number;
}

const T = (name: string, oid: number, arrayOid: number, typlen: number): PgTypeInfo => ({ name, oid, arrayOid, typlen });

export const PG = {
  bool: T('bool', 16, 1000, 1),
  bytea: T('bytea', 17, 1001, -1),
  char: T('char', 18, 1002, 1),
  name: T('name', 19, 1003, 64),
  int8: T('int8', 20, 1016, 8),
  int2: T('int2', 21, 1005, 2),
  int4: T('int4', 23, 1007, 4),
  text: T('text', 25, 1009, -1),
  oid: T('oid', 26, 1028, 4),
  json: T('json', 114, 199, -1),
  float4: T('float4', 700, 1021, 4),
  float8: T('float8', 701, 1022, 8),
  unknown: T('unknown', 705, 0, -2),
  bpchar: T('bpchar', 1042, 1014, -1),
  varchar: T('varchar', 1043, 1015, -1),
  date: T('date', 1082, 1182, 4),
  time: T('time', 1083, 1183, 8),
  timestamp: T('timestamp', 1114, 1115, 8),
  timestamptz: T('timestamptz', 1184, 1185, 8),
  interval: T('interval', 1186, 1187, 16),
  timetz: T('timetz', 1266, 1270, 12),
  bit: T('bit', 1560, 1561, -1),
  varbit: T('varbit', 1562, 1563, -1),
  numeric: T('numeric', 1700, 1231, -1),
  record: T('record', 2249, 2287, -1),
  uuid: T('uuid', 2950, 2951, 16),
  jsonb: T('jsonb', 3802, 3807, -1),
  // IvorySQL Oracle-compatible base types (same OIDs in 5.4 and master)
  oracharchar: T('oracharchar', 9500, 9504, -1),
  oracharbyte: T('oracharbyte', 9501, 9505, -1),
  oravarcharchar: T('oravarcharchar', 9502, 9506, -1),
  oravarcharbyte: T('oravarcharbyte', 9503, 9507, -1),
  oradate: T('oradate', 9508, 9509, 8),
  oratimestamp: T('oratimestamp', 9510, 9511, 8),
  oratimestamptz: T('oratimestamptz', 9512, 9513, 8),
  oratimestampltz: T('oratimestampltz', 9514, 9515, 8),
  yminterval: T('yminterval', 9516, 9517, 16),
  dsinterval: T('dsinterval', 9518, 9519, 16),
  number: T('number', 9520, 9521, -1),
  binary_float: T('binary_float', 9522, 9523, 4),
  binary_double: T('binary_double', 9524, 9525, 8),
} as const;

export type PgTypeName = keyof typeof PG;

const byOid = new Map<number, PgTypeName>();
const byArrayOid = new Map<number, PgTypeName>();
for (const [k, v] of Object.entries(PG) as [PgTypeName, PgTypeInfo][]) {
  byOid.set(v.oid, k);
  if (v.arrayOid) byArrayOid.set(v.arrayOid, k);
}

/** Type name for an OID, or for the element of an array OID. */
export function typeNameOfOid(oid: number): { name: PgTypeName; array: boolean } | null {
  const n = byOid.get(oid);
  if (n) return { name: n, array: false };
  const e = byArrayOid.get(oid);
  return e ? { name: e, array: true } : null;
}

/** A resolved "intended PG type": base type, typmod and array dimensionality. */
export interface PgTypeRef {
  name: PgTypeName;
  typmod: number;
  /** 0 for scalars; arrays of any dimension share one OID, but nested DuckDB lists need to know */
  arrayDims: number;
}

const ALIASES: Record<string, PgTypeName> = {
  bool: 'bool',
  boolean: 'bool',
  bytea: 'bytea',
  '"char"': 'char',
  name: 'name',
  int8: 'int8',
  bigint: 'int8',
  int2: 'int2',
  smallint: 'int2',
  int4: 'int4',
  int: 'int4',
  integer: 'int4',
  text: 'text',
  oid: 'oid',
  json: 'json',
  jsonb: 'jsonb',
  float4: 'float4',
  real: 'float4',
  float8: 'float8',
  'double precision': 'float8',
  float: 'float8',
  bpchar: 'bpchar',
  char: 'bpchar',
  character: 'bpchar',
  varchar: 'varchar',
  'character varying': 'varchar',
  date: 'date',
  time: 'time',
  'time without time zone': 'time',
  timetz: 'timetz',
  'time with time zone': 'timetz',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  interval: 'interval',
  bit: 'bit',
  varbit: 'varbit',
  'bit varying': 'varbit',
  numeric: 'numeric',
  decimal: 'numeric',
  uuid: 'uuid',
  record: 'record',
  unknown: 'unknown',
  // IvorySQL spellings (format_type in PG mode and Oracle mode)
  number: 'number',
  oradate: 'oradate',
  oratimestamp: 'oratimestamp',
  oratimestamptz: 'oratimestamptz',
  oratimestampltz: 'oratimestampltz',
  yminterval: 'yminterval',
  dsinterval: 'dsinterval',
  binary_float: 'binary_float',
  binary_double: 'binary_double',
  oravarcharbyte: 'oravarcharbyte',
  oravarcharchar: 'oravarcharchar',
  oracharbyte: 'oracharbyte',
  oracharchar: 'oracharchar',
  varchar2: 'oravarcharbyte',
};

/**
 * Parses a type as written in SQL or by format_type(): `int4`, `numeric(10,2)`, `character varying(20)`,
 * `timestamp(3) with time zone`, `text[]`, `int4[][]`, `pg_catalog.int8`, `sys.number(10,2)`.
 */
export function parsePgType(spec: string): PgTypeRef {
  let s = spec.trim().toLowerCase().replace(/\s+/g, ' ');
  let arrayDims = 0;
  for (;;) {
    const m = /^(.*?)\s*\[\d*\]$/.exec(s);
    if (!m) break;
    s = m[1]!;
    arrayDims++;
  }
  if (s.endsWith(' array')) {
    s = s.slice(0, -6);
    arrayDims = Math.max(arrayDims, 1);
  }
  s = s.replace(/^(pg_catalog|sys)\./, '');
  // Pull out a modifier list, e.g. "timestamp(3) with time zone" → base "timestamp with time zone", mods [3].
  let mods: number[] = [];
  const mm = /^([^(]*)\(([^)]*)\)(.*)$/.exec(s);
  if (mm) {
    mods = mm[2]!.split(',').map((x) => {
      const n = Number(x.trim());
      if (!Number.isInteger(n)) throw new Error(`bad type modifier in "${spec}"`);
      return n;
    });
    s = (mm[1]!.trim() + ' ' + mm[3]!.trim()).trim();
  }
  if (s === 'interval' || s.startsWith('interval ')) return { name: 'interval', typmod: intervalTypmod(s.slice(8).trim(), mods), arrayDims };
  const name = ALIASES[s];
  if (!name) throw new Error(`unknown type "${spec}"`);
  return { name, typmod: typmodFor(name, mods, s), arrayDims };
}

function typmodFor(name: PgTypeName, mods: number[], base: string): number {
  if (mods.length === 0) {
    // bare char / character means char(1) (PG grammar); bpchar alone has no length
    if (name === 'bpchar' && base !== 'bpchar') return 5;
    if (name === 'oratimestamp' || name === 'oratimestamptz' || name === 'oratimestampltz') return 6;
    return -1;
  }
  switch (name) {
    case 'numeric':
    case 'number': {
      const p = mods[0]!;
      const sc = mods[1] ?? 0;
      return ((p << 16) | (sc & 0x7ff)) + 4;
    }
    case 'varchar':
    case 'bpchar':
    case 'oravarcharbyte':
    case 'oravarcharchar':
    case 'oracharbyte':
    case 'oracharchar':
    case 'bit':
    case 'varbit':
      return mods[0]! + (name === 'bit' || name === 'varbit' ? 0 : 4);
    case 'time':
    case 'timetz':
    case 'timestamp':
    case 'timestamptz':
    case 'oratimestamp':
    case 'oratimestamptz':
    case 'oratimestampltz':
      return mods[0]!;
    default:
      return -1;
  }
}

// interval field masks (datetime.h INTERVAL_MASK of MONTH=1, YEAR=2, DAY=3, HOUR=10, MINUTE=11, SECOND=12)
const IV: Record<string, number> = { year: 4, month: 2, day: 8, hour: 1024, minute: 2048, second: 4096 };
const IV_ORDER = ['year', 'month', 'day', 'hour', 'minute', 'second'];

/** INTERVAL_TYPMOD(precision, range) for `interval [fields] [(p)]`; -1 for plain interval. */
function intervalTypmod(fields: string, mods: number[]): number {
  if (!fields && mods.length === 0) return -1;
  let range = 0x7fff;
  if (fields) {
    const m = /^(year|month|day|hour|minute|second)(?: to (year|month|day|hour|minute|second))?$/.exec(fields);
    if (!m) throw new Error(`bad interval fields "${fields}"`);
    const from = IV_ORDER.indexOf(m[1]!);
    const to = m[2] ? IV_ORDER.indexOf(m[2]) : from;
    // "day to second" covers every field in between
    range = 0;
    for (let i = from; i <= to; i++) range |= IV[IV_ORDER[i]!]!;
  }
  const precision = mods.length ? mods[0]! : 0xffff;
  return ((range & 0x7fff) << 16) | (precision & 0xffff);
}

/** numeric typmod → precision/scale, or null for -1. */
export function numericTypmod(typmod: number): { precision: number; scale: number } | null {
  if (typmod < 4) return null;
  const t = typmod - 4;
  const scale = ((t & 0x7ff) ^ 1024) - 1024;
  return { precision: (t >> 16) & 0xffff, scale };
}
