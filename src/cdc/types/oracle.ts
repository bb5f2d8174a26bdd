import { PgOid } from './oids.js';

// IvorySQL (Oracle-mode cluster) types with hand-assigned OIDs (pg_type.dat, identical in 5.4 and master).
// pgoutput sends no Type message for them (OID < 10000) and does not resolve the domains, so we carry the
// table: each maps to the vanilla type whose send format it uses. Vanilla PostgreSQL leaves 9500–9540 unused.
export const IvoryOid = {
  oracharchar: 9500, oracharbyte: 9501, oravarcharchar: 9502, oravarcharbyte: 9503,
  oradate: 9508, oratimestamp: 9510, oratimestamptz: 9512, oratimestampltz: 9514,
  yminterval: 9516, dsinterval: 9518, number: 9520, binary_float: 9522, binary_double: 9524,
  blob: 9526, clob: 9527, long: 9528, long_raw: 9529, raw: 9530, nclob: 9531, rowid: 9538, urowid: 9539,
} as const;

/** Oracle base types: OID → [name, vanilla layout OID] */
export const IVORY_BASE_TYPES: ReadonlyMap<number, readonly [string, number]> = new Map([
  [IvoryOid.oracharchar, ['oracharchar', PgOid.text]],
  [IvoryOid.oracharbyte, ['oracharbyte', PgOid.text]],
  [IvoryOid.oravarcharchar, ['oravarcharchar', PgOid.text]],
  [IvoryOid.oravarcharbyte, ['oravarcharbyte', PgOid.text]],
  [IvoryOid.oradate, ['oradate', PgOid.timestamp]], // DATE carries a time of day: never a PG date
  [IvoryOid.oratimestamp, ['oratimestamp', PgOid.timestamp]],
  [IvoryOid.oratimestamptz, ['oratimestamptz', PgOid.timestamptz]], // original offset is not stored
  [IvoryOid.oratimestampltz, ['oratimestampltz', PgOid.timestamptz]],
  [IvoryOid.yminterval, ['yminterval', PgOid.interval]],
  [IvoryOid.dsinterval, ['dsinterval', PgOid.interval]],
  [IvoryOid.number, ['number', PgOid.numeric]],
  [IvoryOid.binary_float, ['binary_float', PgOid.float4]],
  [IvoryOid.binary_double, ['binary_double', PgOid.float8]],
] as const);

/** Oracle domains: OID → [name, base OID] (bytea or text) */
export const IVORY_DOMAINS: ReadonlyMap<number, readonly [string, number]> = new Map([
  [IvoryOid.blob, ['blob', PgOid.bytea]],
  [IvoryOid.clob, ['clob', PgOid.text]],
  [IvoryOid.long, ['long', PgOid.text]],
  [IvoryOid.long_raw, ['long_raw', PgOid.bytea]],
  [IvoryOid.raw, ['raw', PgOid.bytea]],
  [IvoryOid.nclob, ['nclob', PgOid.text]],
] as const);

/** Oracle array types: OID → element OID */
export const IVORY_ARRAYS: ReadonlyMap<number, number> = new Map([
  [9504, IvoryOid.oracharchar], [9505, IvoryOid.oracharbyte], [9506, IvoryOid.oravarcharchar],
  [9507, IvoryOid.oravarcharbyte], [9509, IvoryOid.oradate], [9511, IvoryOid.oratimestamp],
  [9513, IvoryOid.oratimestamptz], [9515, IvoryOid.oratimestampltz], [9517, IvoryOid.yminterval],
  [9519, IvoryOid.dsinterval], [9521, IvoryOid.number], [9523, IvoryOid.binary_float],
  [9525, IvoryOid.binary_double], [9532, IvoryOid.blob], [9533, IvoryOid.clob], [9534, IvoryOid.long],
  [9540, IvoryOid.long_raw], [9536, IvoryOid.raw], [9537, IvoryOid.nclob],
]);

/** Oracle types with no codec: ROWID/UROWID are composites (rowoid oid, rowno bigint) */
export const IVORY_UNSUPPORTED: ReadonlyMap<number, string> = new Map([
  [IvoryOid.rowid, 'rowid'], [IvoryOid.urowid, 'urowid'],
]);
