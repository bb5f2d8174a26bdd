// Built-in type OIDs (pg_type.dat, fixed across PostgreSQL versions) that the binary codecs cover.
export const PgOid = {
  bool: 16, bytea: 17, char: 18, name: 19, int8: 20, int2: 21, int4: 23, text: 25, oid: 26,
  json: 114, xml: 142, float4: 700, float8: 701, bpchar: 1042, varchar: 1043,
  date: 1082, time: 1083, timestamp: 1114, timestamptz: 1184, interval: 1186, timetz: 1266,
  numeric: 1700, uuid: 2950, jsonb: 3802,
} as const;

/** array type OID → element type OID for the built-ins above */
export const PG_ARRAY_OIDS: ReadonlyMap<number, number> = new Map([
  [1000, PgOid.bool], [1001, PgOid.bytea], [1002, PgOid.char], [1003, PgOid.name], [1016, PgOid.int8],
  [1005, PgOid.int2], [1007, PgOid.int4], [1009, PgOid.text], [1028, PgOid.oid], [199, PgOid.json],
  [1021, PgOid.float4], [1022, PgOid.float8], [1014, PgOid.bpchar], [1015, PgOid.varchar],
  [1182, PgOid.date], [1183, PgOid.time], [1115, PgOid.timestamp], [1185, PgOid.timestamptz],
  [1187, PgOid.interval], [1270, PgOid.timetz], [1231, PgOid.numeric], [2951, PgOid.uuid], [3807, PgOid.jsonb],
]);

/** well-known built-ins we deliberately do not decode, so typeSupport can name them */
export const PG_UNSUPPORTED_NAMES: ReadonlyMap<number, string> = new Map([
  [142, 'xml'], [143, '_xml'], [600, 'point'], [601, 'lseg'], [602, 'path'], [603, 'box'], [604, 'polygon'],
  [628, 'line'], [718, 'circle'], [650, 'cidr'], [869, 'inet'], [774, 'macaddr8'], [829, 'macaddr'],
  [790, 'money'], [1560, 'bit'], [1562, 'varbit'], [3614, 'tsvector'], [3615, 'tsquery'], [3904, 'int4range'],
  [3906, 'numrange'], [3908, 'tsrange'], [3910, 'tstzrange'], [3912, 'daterange'], [3926, 'int8range'],
  [2249, 'record'], [28, 'xid'], [5069, 'xid8'], [3220, 'pg_lsn'], [22, 'int2vector'], [30, 'oidvector'],
]);
