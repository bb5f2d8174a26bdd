// What the table side receives: decoded, typed row changes grouped by transaction.
import type { Relation } from '../pgoutput/relation.js';
import type { TupleValue } from '../pgoutput/tuple-data.js';
import type { OldKind } from '../pgoutput/update.js';

/** one row image in the relation's column order; UNCHANGED_TOAST marks a column to take from the old row */
export type Row = TupleValue[];

export type Change =
  | { kind: 'insert'; relation: Relation; xid: number; new: Row }
  /** old: null unless the key changed (oldKind 'key', non-key columns null) or REPLICA IDENTITY FULL ('full') */
  | { kind: 'update'; relation: Relation; xid: number; oldKind: OldKind | null; old: Row | null; new: Row }
  | { kind: 'delete'; relation: Relation; xid: number; oldKind: OldKind; old: Row }
  | { kind: 'truncate'; relations: Relation[]; xid: number; cascade: boolean; restartIdentity: boolean }
  /** a transactional pg_logical_emit_message, in WAL order with the rows (e.g. DDL markers) */
  | { kind: 'message'; xid: number; lsn: bigint; prefix: string; content: Buffer };

// `xid` on a change is the transaction's xid; inside a streamed transaction it is the *subtransaction* xid
// (so that an 'abort' naming a subXid can drop just those changes). Events carry the toplevel xid.
export type CdcEvent =
  /** streamed: a large transaction sent before its commit; its changes are void unless a 'commit' follows */
  | { kind: 'begin'; xid: number; streamed: boolean; finalLsn: bigint; commitTime: bigint }
  | { kind: 'changes'; xid: number; streamed: boolean; changes: Change[] }
  | { kind: 'commit'; xid: number; streamed: boolean; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  /** streamed only: subXid === xid voids the whole transaction, otherwise only that subtransaction's changes */
  | { kind: 'abort'; xid: number; subXid: number }
  /** a (possibly changed) relation schema; sent before the first change that uses it */
  | { kind: 'relation'; xid: number | undefined; relation: Relation }
  | { kind: 'origin'; xid: number; name: string; originLsn: bigint }
  /** a non-transactional logical message */
  | { kind: 'message'; lsn: bigint; prefix: string; content: Buffer }
  /** emitted by ResilientChangeStream after a reconnect: drop every transaction not yet committed */
  | { kind: 'reconnect'; startLsn: bigint; attempt: number };

export type CdcSink = (event: CdcEvent) => void | Promise<void>;
