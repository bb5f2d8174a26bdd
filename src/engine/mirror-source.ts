// Where the engine reads a mirror: the table layer (src/table, src/mirror) owns a DuckDB view per mirror that
// shows "Iceberg files − deletes + in-memory tail" at one consistent point; the engine only needs its name (or a
// SELECT), and optionally a way to wait until changes up to an upstream LSN are visible.
import type { MirrorRef } from '../route/catalog.js';

export interface MirrorSource {
  /** The mirrors clients may query (schema and name of each mirror view in upstream). */
  mirrors(): MirrorRef[];
  /**
   * DuckDB relation holding the mirror's rows: a table/view name or a parenthesised SELECT whose columns are
   * named like the mirror view's columns. null when the mirror is not ready (not copied yet, failed).
   */
  relationSql(ref: MirrorRef): string | null;
  /**
   * Optional: a DuckDB SELECT of one row and two VARCHAR columns: a relation (a view name) that shows the same
   * rows as relationSql(ref) at the snapshot it is read in but may be cheaper to scan (no pending deletes to
   * subtract), and a token that changes whenever relationSql(ref)'s column names or types do (the engine
   * caches them by it). The engine reads it in the DuckDB transaction that runs the query.
   */
  choiceSql?(ref: MirrorRef): string | null;
  /**
   * Resolves true once every source transaction committed before `lsn` (upstream's WAL insert position when
   * the query started) is visible in relationSql; false on timeout. Optional: without it reads are not
   * synchronised with upstream writes.
   */
  waitForLsn?(lsn: bigint, timeoutMs: number): Promise<boolean>;
  /**
   * Optional, with waitForLsn: a position such that every source transaction committed before it is visible to a
   * DuckDB transaction begun from now on (what waitForLsn waits for). Lets a reader begin its snapshot before it
   * knows the LSN it needs, and keep it when this covered that LSN.
   */
  visibleLsn?(): bigint;
  /**
   * Optional: the OID of the mirror's source table in upstream. With it a query refuses to read the mirror in a
   * transaction that has changed the source (exec-context.ts checkTransaction); without it that is not checked.
   */
  sourceOid?(ref: MirrorRef): number | null;
  /** Resolves true once relationSql(ref) serves the mirror (its initial copy is in); false on timeout. Optional. */
  waitReady?(ref: MirrorRef, timeoutMs: number): Promise<boolean>;
}

/** A fixed mirror list over DuckDB relations (tests, or a snapshot of the registry). */
export class StaticMirrorSource implements MirrorSource {
  private readonly rel = new Map<string, string>();
  private readonly sources = new Map<string, number>();
  private readonly list: MirrorRef[] = [];

  constructor(entries: Iterable<{ schema: string; name: string; relation: string; sourceOid?: number }> = []) {
    for (const e of entries) this.set(e.schema, e.name, e.relation, e.sourceOid);
  }

  set(schema: string, name: string, relation: string, sourceOid?: number): void {
    const k = `${schema}.${name}`;
    if (!this.rel.has(k)) this.list.push({ schema, name });
    this.rel.set(k, relation);
    if (sourceOid !== undefined) this.sources.set(k, sourceOid);
  }

  sourceOid(ref: MirrorRef): number | null {
    return this.sources.get(`${ref.schema}.${ref.name}`) ?? null;
  }

  mirrors(): MirrorRef[] {
    return [...this.list];
  }

  relationSql(ref: MirrorRef): string | null {
    return this.rel.get(`${ref.schema}.${ref.name}`) ?? null;
  }
}

/** Parses an LSN as Postgres prints it (`16/B374D848`). */
export function parseLsn(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt('0x' + hi) << 32n) | BigInt('0x' + lo);
}
