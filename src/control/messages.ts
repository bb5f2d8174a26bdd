// Logical messages the control plane writes into the WAL with pg_logical_emit_message(…, 'mooncake', json).
// pgoutput delivers them when the slot is started with messages 'true' (Message 'M').
//  - transactional (arrive at commit, in order with the transaction's rows): create_table, alter_table,
//    drop_table, partition_attached, partition_detached, partition_dropped
//  - non-transactional (arrive at once, even while the caller's transaction is open): create_snapshot,
//    optimize_table; answer them with MirrorRegistry.writeRequestResult(id, …)
import { columnFromJson, type MirrorColumn } from './mirror.js';

export const MESSAGE_PREFIX = 'mooncake';

interface Base {
  mirrorId: number;
  /** the mirror as schema.name (quoted as needed) */
  mirror: string;
}

export interface TableMessage extends Base {
  kind: 'create_table' | 'alter_table';
  source: string;
  sourceOid: number;
  /** the source's columns after the change */
  columns: MirrorColumn[];
}

export interface DropTableMessage extends Base {
  kind: 'drop_table';
}

export interface PartitionMessage extends Base {
  kind: 'partition_attached' | 'partition_detached' | 'partition_dropped';
  partition: string;
  /** SQL predicate over the root's columns selecting the partition's rows */
  predicate: string;
  /** partition_attached only: created empty by CREATE TABLE … PARTITION OF (false: ATTACH PARTITION
   *  of a table that may already hold rows, which are not in the WAL) */
  created?: boolean;
}

export interface RequestMessage extends Base {
  kind: 'create_snapshot' | 'optimize_table';
  /** answer with writeRequestResult(id, …) */
  id: number;
  /** WAL insert position when the request was made: everything committed before it must be covered */
  lsn: string;
  /** optimize_table only */
  mode?: 'data' | 'full';
}

export type ControlMessage = TableMessage | DropTableMessage | PartitionMessage | RequestMessage;

/** Decode a pgoutput Message; null when the prefix is not ours or the content is not a known message. */
export function parseControlMessage(prefix: string, content: Uint8Array | string): ControlMessage | null {
  if (prefix !== MESSAGE_PREFIX) return null;
  let j: Record<string, any>;
  try {
    j = JSON.parse(typeof content === 'string' ? content : Buffer.from(content).toString('utf8'));
  } catch {
    return null;
  }
  if (!j || typeof j !== 'object' || j.v !== 1) return null;
  const base = { mirrorId: Number(j.mirror_id), mirror: String(j.mirror) };
  switch (j.kind) {
    case 'create_table':
    case 'alter_table':
      return {
        kind: j.kind,
        ...base,
        source: String(j.source),
        sourceOid: Number(j.source_oid),
        columns: ((j.columns ?? []) as Record<string, unknown>[]).map(columnFromJson),
      };
    case 'drop_table':
      return { kind: 'drop_table', ...base };
    case 'partition_attached':
    case 'partition_detached':
    case 'partition_dropped':
      return {
        kind: j.kind,
        ...base,
        partition: String(j.partition),
        predicate: String(j.predicate),
        ...(j.kind === 'partition_attached' ? { created: Boolean(j.created) } : {}),
      };
    case 'create_snapshot':
    case 'optimize_table':
      return {
        kind: j.kind,
        ...base,
        id: Number(j.id),
        lsn: String(j.lsn),
        ...(j.kind === 'optimize_table' ? { mode: j.mode as 'data' | 'full' } : {}),
      };
    default:
      return null;
  }
}
