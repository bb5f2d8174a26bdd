// ChangeAssembler: pgoutput messages → typed CdcEvents, with row changes batched per transaction.
//
// Relation messages define how to decode later tuples, so we keep the latest one per relation OID. Inside a
// streamed transaction a Relation message only holds for that transaction until it commits (PostgreSQL's own
// apply worker spools them with the changes), so streamed relations live in a per-xid overlay that is merged
// at Stream Commit and dropped at Stream Abort.
import type { XLogData } from '../protocol/xlog-data.js';
import { PgoutputDecoder, type PgoutputMessage } from '../pgoutput/decoder.js';
import type { Relation } from '../pgoutput/relation.js';
import type { ColumnDecoder } from '../pgoutput/tuple-data.js';
import { TypeCatalog, UnsupportedTypeError } from '../types/catalog.js';
import type { Decoder } from '../types/values.js';
import type { CdcEvent, CdcSink, Change } from './change.js';

export interface ChangeAssemblerOptions {
  catalog?: TypeCatalog;
  /** called with OIDs missing from the catalog when a Relation arrives (e.g. catalog.load on a session) */
  resolveTypes?: (oids: number[]) => Promise<void>;
  /** flush a 'changes' batch at this many changes; default 4096 */
  maxBatchRows?: number;
  /** …or at this many bytes of pgoutput payload; default 4 MiB */
  maxBatchBytes?: number;
  /** values of unsupported types: 'throw' (default) stops the stream; 'raw' passes the binary bytes as a Buffer */
  unsupportedValues?: 'throw' | 'raw';
}

interface RelationState {
  relation: Relation;
  decode: ColumnDecoder;
}

type Step = void | Promise<void>;

function then(step: Step, next: () => Step): Step {
  return step ? step.then(next) : next();
}

export class ChangeAssembler {
  readonly catalog: TypeCatalog;
  private readonly decoder: PgoutputDecoder;
  private readonly relations = new Map<number, RelationState>();
  private readonly streamRelations = new Map<number, Map<number, RelationState>>();
  private readonly maxRows: number;
  private readonly maxBytes: number;
  private txnXid: number | undefined;
  private pending: Change[] = [];
  private pendingXid = 0;
  private pendingStreamed = false;
  private pendingBytes = 0;
  private found: RelationState | undefined;
  /** rows decoded (insert/update/delete changes) */
  rows = 0;

  constructor(private readonly sink: CdcSink, private readonly opts: ChangeAssemblerOptions = {}) {
    this.catalog = opts.catalog ?? new TypeCatalog();
    this.maxRows = opts.maxBatchRows ?? 4096;
    this.maxBytes = opts.maxBatchBytes ?? 4 << 20;
    this.decoder = new PgoutputDecoder({ columns: (oid) => this.columnsOf(oid) });
  }

  /** the current schema of a relation as last announced (outside streamed transactions) */
  relation(oid: number): Relation | undefined {
    return this.relations.get(oid)?.relation;
  }

  handle(x: XLogData): Step {
    const m = this.decoder.decode(x.payload);
    return this.apply(m, x.payload.length);
  }

  private apply(m: PgoutputMessage, size: number): Step {
    switch (m.tag) {
      case 'begin':
        this.txnXid = m.xid;
        return then(this.flush(), () => this.sink({ kind: 'begin', xid: m.xid, streamed: false, finalLsn: m.finalLsn, commitTime: m.commitTime }));
      case 'commit': {
        const xid = this.txnXid ?? 0;
        this.txnXid = undefined;
        return then(this.flush(), () => this.sink({ kind: 'commit', xid, streamed: false, commitLsn: m.commitLsn, endLsn: m.endLsn, commitTime: m.commitTime }));
      }
      case 'origin':
        return then(this.flush(), () => this.sink({ kind: 'origin', xid: this.txnXid ?? 0, name: m.name, originLsn: m.originLsn }));
      case 'relation':
        return this.onRelation(m);
      case 'type':
        return; // names only; kinds come from pg_type via resolveTypes
      case 'insert':
        return this.push({ kind: 'insert', relation: this.found!.relation, xid: m.xid ?? this.txnXid ?? 0, new: m.new }, size);
      case 'update':
        return this.push({ kind: 'update', relation: this.found!.relation, xid: m.xid ?? this.txnXid ?? 0, oldKind: m.oldKind, old: m.old, new: m.new }, size);
      case 'delete':
        return this.push({ kind: 'delete', relation: this.found!.relation, xid: m.xid ?? this.txnXid ?? 0, oldKind: m.oldKind, old: m.old }, size);
      case 'truncate': {
        const relations = m.relationOids.map((oid) => this.lookup(oid).relation);
        return this.push({ kind: 'truncate', relations, xid: m.xid ?? this.txnXid ?? 0, cascade: m.cascade, restartIdentity: m.restartIdentity }, size);
      }
      case 'message':
        if (m.transactional) {
          return this.push({ kind: 'message', xid: m.xid ?? this.txnXid ?? 0, lsn: m.lsn, prefix: m.prefix, content: m.content }, size);
        }
        return then(this.flush(), () => this.sink({ kind: 'message', lsn: m.lsn, prefix: m.prefix, content: m.content }));
      case 'streamStart':
        return then(this.flush(), () => (m.firstSegment
          ? this.sink({ kind: 'begin', xid: m.xid, streamed: true, finalLsn: 0n, commitTime: 0n })
          : undefined));
      case 'streamStop':
        return this.flush();
      case 'streamCommit': {
        const overlay = this.streamRelations.get(m.xid);
        if (overlay) for (const [oid, st] of overlay) this.relations.set(oid, st);
        this.streamRelations.delete(m.xid);
        return then(this.flush(), () => this.sink({ kind: 'commit', xid: m.xid, streamed: true, commitLsn: m.commitLsn, endLsn: m.endLsn, commitTime: m.commitTime }));
      }
      case 'streamAbort':
        if (m.subXid === m.xid) this.streamRelations.delete(m.xid);
        return then(this.flush(), () => this.sink({ kind: 'abort', xid: m.xid, subXid: m.subXid }));
    }
  }

  private push(change: Change, size: number): Step {
    const top = this.decoder.streamXid ?? this.txnXid ?? 0;
    if (this.pending.length && this.pendingXid !== top) {
      const step = this.flush();
      if (step) return step.then(() => this.push(change, size));
    }
    this.pendingXid = top;
    this.pendingStreamed = this.decoder.streamXid !== undefined;
    this.pending.push(change);
    this.pendingBytes += size;
    if (change.kind !== 'truncate' && change.kind !== 'message') this.rows++;
    if (this.pending.length >= this.maxRows || this.pendingBytes >= this.maxBytes) return this.flush();
  }

  private flush(): Step {
    if (!this.pending.length) return;
    const changes = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    return this.sink({ kind: 'changes', xid: this.pendingXid, streamed: this.pendingStreamed, changes });
  }

  private onRelation(rel: Relation): Step {
    const streamXid = this.decoder.streamXid;
    const install = (): Step => {
      const st: RelationState = { relation: rel, decode: this.columnDecoder(rel) };
      if (streamXid !== undefined) {
        let overlay = this.streamRelations.get(streamXid);
        if (!overlay) this.streamRelations.set(streamXid, (overlay = new Map()));
        overlay.set(rel.relationOid, st);
      } else {
        this.relations.set(rel.relationOid, st);
      }
      const event: CdcEvent = { kind: 'relation', xid: streamXid, relation: rel };
      return then(this.flush(), () => this.sink(event));
    };
    const missing = this.catalog.unknown(rel.columns.map((c) => c.typeOid));
    if (missing.length && this.opts.resolveTypes) return this.opts.resolveTypes(missing).then(install);
    return install();
  }

  private lookup(oid: number): RelationState {
    const xid = this.decoder.streamXid;
    const st = (xid !== undefined ? this.streamRelations.get(xid)?.get(oid) : undefined) ?? this.relations.get(oid);
    if (!st) throw new Error(`pgoutput: change for relation OID ${oid} before its Relation message`);
    return st;
  }

  private columnsOf(oid: number): ColumnDecoder {
    this.found = this.lookup(oid);
    return this.found.decode;
  }

  private columnDecoder(rel: Relation): ColumnDecoder {
    const decoders: Decoder[] = rel.columns.map((c) => {
      try {
        return this.catalog.decoder(c.typeOid);
      } catch (e) {
        if (!(e instanceof UnsupportedTypeError)) throw e;
        const where = `${rel.schema}.${rel.name}.${c.name}`;
        if (this.opts.unsupportedValues === 'raw') return (buf: Buffer, s: number, end: number) => Buffer.from(buf.subarray(s, end));
        return () => { throw new UnsupportedTypeError(c.typeOid, `${where}: ${e.message}`); };
      }
    });
    const n = decoders.length;
    return (i, kind, buf, start, end) => {
      if (i >= n) throw new Error(`pgoutput: tuple has more columns than relation ${rel.schema}.${rel.name} (${n})`);
      return kind === 'b' ? decoders[i]!(buf, start, end) : buf.toString('utf8', start, end);
    };
  }
}
