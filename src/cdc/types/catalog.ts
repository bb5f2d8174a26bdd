// The OID → codec registry. Built-ins and IvorySQL's fixed 95xx OIDs are known up front; dynamic OIDs
// (domains, enums, their arrays, extension types) are learnt from pg_type with load(), because pgoutput's
// Relation message names the column's own type OID — a domain, not its base type.
import type pg from 'pg';
import { arrayDecoder } from './array.js';
import { decodeBool } from './bool.js';
import { decodeBytea } from './bytea.js';
import { decodeChar } from './char.js';
import { decodeDate } from './date.js';
import { decodeFloat4 } from './float4.js';
import { decodeFloat8 } from './float8.js';
import { decodeInt2 } from './int2.js';
import { decodeInt4 } from './int4.js';
import { decodeInt8 } from './int8.js';
import { decodeInterval } from './interval.js';
import { decodeJson } from './json.js';
import { decodeJsonb } from './jsonb.js';
import { decodeNumeric } from './numeric.js';
import { decodeOid } from './oid.js';
import { PG_ARRAY_OIDS, PG_UNSUPPORTED_NAMES, PgOid } from './oids.js';
import { IVORY_ARRAYS, IVORY_BASE_TYPES, IVORY_DOMAINS, IVORY_UNSUPPORTED } from './oracle.js';
import { decodeText } from './text.js';
import { decodeTime } from './time.js';
import { decodeTimestamp } from './timestamp.js';
import { decodeTimestamptz } from './timestamptz.js';
import { decodeTimetz } from './timetz.js';
import { decodeUuid } from './uuid.js';
import type { Decoder } from './values.js';

const BUILTIN_CODECS: ReadonlyArray<readonly [number, string, Decoder]> = [
  [PgOid.bool, 'bool', decodeBool], [PgOid.bytea, 'bytea', decodeBytea], [PgOid.char, 'char', decodeChar],
  [PgOid.name, 'name', decodeText], [PgOid.int8, 'int8', decodeInt8], [PgOid.int2, 'int2', decodeInt2],
  [PgOid.int4, 'int4', decodeInt4], [PgOid.text, 'text', decodeText], [PgOid.oid, 'oid', decodeOid],
  [PgOid.json, 'json', decodeJson], [PgOid.float4, 'float4', decodeFloat4], [PgOid.float8, 'float8', decodeFloat8],
  [PgOid.bpchar, 'bpchar', decodeText], [PgOid.varchar, 'varchar', decodeText], [PgOid.date, 'date', decodeDate],
  [PgOid.time, 'time', decodeTime], [PgOid.timestamp, 'timestamp', decodeTimestamp],
  [PgOid.timestamptz, 'timestamptz', decodeTimestamptz], [PgOid.interval, 'interval', decodeInterval],
  [PgOid.timetz, 'timetz', decodeTimetz], [PgOid.numeric, 'numeric', decodeNumeric], [PgOid.uuid, 'uuid', decodeUuid],
  [PgOid.jsonb, 'jsonb', decodeJsonb],
];

export type TypeEntry =
  | { kind: 'base'; name: string; decode: Decoder }
  /** a type with its own OID but a vanilla type's send format (IvorySQL DATE → timestamp) */
  | { kind: 'alias'; name: string; layoutOid: number }
  | { kind: 'domain'; name: string; baseOid: number; typmod: number }
  | { kind: 'enum'; name: string }
  | { kind: 'array'; name: string; elementOid: number }
  /** no send function: pgoutput falls back to text ('t') and COPY must cast to text */
  | { kind: 'textOnly'; name: string }
  | { kind: 'unsupported'; name: string; reason: string };

/** What a column's values look like once domains and aliases are peeled off. */
export interface ResolvedType {
  oid: number;
  name: string;
  /** built-in OID whose codec and JS shape apply (text for enums and text-only types); for arrays: the element's */
  layoutOid: number;
  /** typmod a domain imposes on its base (e.g. numeric(10,2)); -1 if none */
  domainTypmod: number;
  isArray: boolean;
  /** values always arrive as text (no send function) */
  textOnly: boolean;
  isEnum: boolean;
}

export type TypeSupport = { supported: true; type: ResolvedType } | { supported: false; oid: number; reason: string };

export class UnsupportedTypeError extends Error {
  constructor(readonly oid: number, reason: string) {
    super(reason);
    this.name = 'UnsupportedTypeError';
  }
}

export class TypeCatalog {
  private readonly entries = new Map<number, TypeEntry>();
  private readonly decoders = new Map<number, Decoder>();

  constructor() {
    for (const [oid, name, decode] of BUILTIN_CODECS) this.entries.set(oid, { kind: 'base', name, decode });
    for (const [oid, elementOid] of PG_ARRAY_OIDS) this.entries.set(oid, { kind: 'array', name: `_${this.nameOf(elementOid)}`, elementOid });
    for (const [oid, name] of PG_UNSUPPORTED_NAMES) this.entries.set(oid, { kind: 'unsupported', name, reason: `no binary codec for type ${name}` });
    for (const [oid, [name, layoutOid]] of IVORY_BASE_TYPES) this.entries.set(oid, { kind: 'alias', name, layoutOid });
    for (const [oid, [name, baseOid]] of IVORY_DOMAINS) this.entries.set(oid, { kind: 'domain', name, baseOid, typmod: -1 });
    for (const [oid, elementOid] of IVORY_ARRAYS) this.entries.set(oid, { kind: 'array', name: `_${this.nameOf(elementOid)}`, elementOid });
    for (const [oid, name] of IVORY_UNSUPPORTED) this.entries.set(oid, { kind: 'unsupported', name, reason: `IvorySQL ${name} is a composite type; no codec` });
  }

  has(oid: number): boolean {
    return this.entries.has(oid);
  }

  entry(oid: number): TypeEntry | undefined {
    return this.entries.get(oid);
  }

  define(oid: number, entry: TypeEntry): void {
    this.entries.set(oid, entry);
    this.decoders.clear(); // arrays/domains built on this OID must be rebuilt
  }

  defineDomain(oid: number, baseOid: number, name = `domain_${oid}`, typmod = -1): void {
    this.define(oid, { kind: 'domain', name, baseOid, typmod });
  }

  defineEnum(oid: number, name = `enum_${oid}`): void {
    this.define(oid, { kind: 'enum', name });
  }

  defineArray(oid: number, elementOid: number, name = `_array_${oid}`): void {
    this.define(oid, { kind: 'array', name, elementOid });
  }

  /** OIDs (and the OIDs they depend on) that are not in the catalog yet */
  unknown(oids: Iterable<number>): number[] {
    const out = new Set<number>();
    const visit = (oid: number, depth: number): void => {
      const e = this.entries.get(oid);
      if (!e) { out.add(oid); return; }
      if (depth > 16) return;
      if (e.kind === 'domain') visit(e.baseOid, depth + 1);
      else if (e.kind === 'array') visit(e.elementOid, depth + 1);
      else if (e.kind === 'alias') visit(e.layoutOid, depth + 1);
    };
    for (const oid of oids) visit(oid, 0);
    return [...out];
  }

  /** Learn unknown OIDs (recursively: domain → base, array → element) from pg_type. */
  async load(client: pg.ClientBase, oids: Iterable<number>): Promise<void> {
    for (let round = 0; round < 16; round++) {
      const missing = this.unknown(oids);
      if (missing.length === 0) return;
      const res = await client.query<{
        oid: string; typname: string; nspname: string; typtype: string; typbasetype: string; typtypmod: number;
        typelem: string; typlen: number; has_send: boolean;
      }>(
        `SELECT t.oid::int8 AS oid, t.typname, n.nspname, t.typtype, t.typbasetype::int8 AS typbasetype, t.typtypmod,
                t.typelem::int8 AS typelem, t.typlen, t.typsend <> 0 AS has_send
           FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
          WHERE t.oid = ANY($1::oid[])`,
        [missing],
      );
      const found = new Set<number>();
      for (const r of res.rows) {
        const oid = Number(r.oid);
        found.add(oid);
        const name = `${r.nspname}.${r.typname}`;
        const elem = Number(r.typelem);
        if (r.typtype === 'd') this.define(oid, { kind: 'domain', name, baseOid: Number(r.typbasetype), typmod: r.typtypmod });
        else if (r.typtype === 'e') this.define(oid, { kind: 'enum', name });
        else if (r.typtype === 'b' && elem !== 0 && r.typlen === -1) this.define(oid, { kind: 'array', name, elementOid: elem });
        else if (r.typtype === 'b' && !r.has_send) this.define(oid, { kind: 'textOnly', name });
        else {
          const what = { c: 'composite', r: 'range', m: 'multirange', p: 'pseudo', b: 'base' }[r.typtype] ?? r.typtype;
          this.define(oid, { kind: 'unsupported', name, reason: `no binary codec for ${what} type ${name} (OID ${oid})` });
        }
      }
      for (const oid of missing) {
        if (!found.has(oid)) this.define(oid, { kind: 'unsupported', name: `oid_${oid}`, reason: `type OID ${oid} does not exist in pg_type` });
      }
    }
  }

  support(oid: number): TypeSupport {
    try {
      return { supported: true, type: this.resolve(oid, 0) };
    } catch (e) {
      if (e instanceof UnsupportedTypeError) return { supported: false, oid, reason: e.message };
      throw e;
    }
  }

  /** The binary decoder for a type OID; throws UnsupportedTypeError with the reason. */
  decoder(oid: number): Decoder {
    let d = this.decoders.get(oid);
    if (!d) {
      d = this.build(oid, 0);
      this.decoders.set(oid, d);
    }
    return d;
  }

  private nameOf(oid: number): string {
    const e = this.entries.get(oid);
    return e ? e.name : `oid_${oid}`;
  }

  private lookup(oid: number, depth: number): TypeEntry {
    if (depth > 16) throw new UnsupportedTypeError(oid, `type OID ${oid}: domain/array nesting too deep`);
    const e = this.entries.get(oid);
    if (!e) throw new UnsupportedTypeError(oid, `type OID ${oid} is not in the catalog; load it from pg_type (TypeCatalog.load)`);
    if (e.kind === 'unsupported') throw new UnsupportedTypeError(oid, e.reason);
    return e;
  }

  private resolve(oid: number, depth: number): ResolvedType {
    const e = this.lookup(oid, depth);
    const plain = { oid, name: e.name, domainTypmod: -1, isArray: false, textOnly: false, isEnum: false };
    switch (e.kind) {
      case 'base': return { ...plain, layoutOid: oid };
      case 'alias': return { ...this.resolve(e.layoutOid, depth + 1), oid, name: e.name };
      case 'enum': return { ...plain, layoutOid: PgOid.text, isEnum: true };
      case 'textOnly': return { ...plain, layoutOid: PgOid.text, textOnly: true };
      case 'domain': {
        const base = this.resolve(e.baseOid, depth + 1);
        return { ...base, oid, name: e.name, domainTypmod: e.typmod >= 0 ? e.typmod : base.domainTypmod };
      }
      case 'array': {
        const el = this.resolve(e.elementOid, depth + 1);
        if (el.isArray) throw new UnsupportedTypeError(oid, `${e.name}: arrays of arrays are not supported`);
        return { ...el, oid, name: e.name, isArray: true };
      }
      case 'unsupported': throw new UnsupportedTypeError(oid, e.reason);
    }
  }

  private build(oid: number, depth: number): Decoder {
    const e = this.lookup(oid, depth);
    switch (e.kind) {
      case 'base': return e.decode;
      case 'alias': return this.build(e.layoutOid, depth + 1);
      case 'domain': return this.build(e.baseOid, depth + 1);
      case 'enum': case 'textOnly': return decodeText; // enum_send sends the label's bytes
      case 'array': return arrayDecoder(this.build(e.elementOid, depth + 1));
      case 'unsupported': throw new UnsupportedTypeError(oid, e.reason);
    }
  }
}

/** A process-wide catalog with built-ins and IvorySQL OIDs only (no dynamic types). */
export const builtinCatalog = new TypeCatalog();

/** The binary decoder for `oid`; dynamic OIDs need a catalog filled by TypeCatalog.load. */
export function decoderFor(oid: number, catalog: TypeCatalog = builtinCatalog): Decoder {
  return catalog.decoder(oid);
}

/** Whether values of `oid` can be decoded, and if not why not. */
export function typeSupport(oid: number, catalog: TypeCatalog = builtinCatalog): TypeSupport {
  return catalog.support(oid);
}
