// The contract between the wire session and whatever answers statements inside lakegate (the DuckDB
// engine for mirror queries, lakegate's own SHOW commands). The session owns protocol order and
// framing; a LocalQuery owns only results.
import type { FieldDescription } from '../wire/messages/backend.js';
import type { UpstreamChannel } from '../wire/upstream-channel.js';

export type { UpstreamChannel };

/** An error to send as ErrorResponse, with the SQLSTATE Postgres would use. */
export class PgError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly severity: 'ERROR' | 'FATAL' = 'ERROR',
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** What the session knows about its client, as the engine needs it (settings follow ParameterStatus). */
export interface SessionInfo {
  id: number;
  user: string;
  database: string;
  oracle: boolean;
  /** Server-reported settings: TimeZone, DateStyle, IntervalStyle, search_path (PG 18), … */
  params: ReadonlyMap<string, string>;
  /** Transaction status of the last ReadyForQuery: I, T or E. */
  txStatus: 'I' | 'T' | 'E';
  /** Ask upstream on this client's own connection (its role, settings and transaction). */
  upstream: UpstreamChannel;
  /**
   * Cursors over mirrors the session declared (DECLARE … CURSOR), by name: FETCH, MOVE and CLOSE naming one
   * are answered locally. The session closes those without HOLD when its transaction ends, and all at its
   * end. Absent: the session cannot keep cursors (DECLARE over a mirror is refused).
   */
  localCursors?: Map<string, LocalCursor>;
  /**
   * How long the session's last mirror query waited for the mirrors to reach upstream's WAL position (strict
   * freshness), in ms: the wait read-your-writes added to it. null before any mirror query. `SHOW
   * lakegate.freshness_wait` reads it.
   */
  freshnessWaitMs?: number | null;
  /** Cancel what upstream runs for this session now (a CancelRequest to its backend). */
  cancelUpstream?(): void;
}

/** A cursor over mirrors: an engine portal read forward in steps. */
export interface LocalCursor {
  fields: FieldDescription[];
  portal: LocalPortal;
  /** WITH HOLD: outlives the transaction (only declared outside one here) */
  hold: boolean;
  /** every row has been read */
  done: boolean;
}

/** Backend messages of one answer, written in order. `write` returns false when the client is slow. */
export interface ResultSink {
  write(msg: Buffer): boolean;
  /** Resolves when the client has drained (backpressure for large results). */
  drain(): Promise<void>;
}

export interface LocalPortal {
  /** Row shape, or null for statements that return no rows (NoData). */
  fields(): FieldDescription[] | null;
  /** Writes up to maxRows DataRows (0 = all); then CommandComplete unless suspended. */
  execute(maxRows: number, sink: ResultSink): Promise<'complete' | 'suspended'>;
  close(): void;
  /** Interrupt a running execute (CancelRequest → 57014). */
  cancel?(): void;
}

export interface LocalQuery {
  /** Parameter type OIDs for ParameterDescription. */
  readonly paramTypes: number[];
  fields(): FieldDescription[] | null;
  bind(params: (Buffer | null)[], paramFormats: number[], resultFormats: number[]): Promise<LocalPortal>;
}

export interface PrepareOptions {
  /**
   * The caller binds the statement once, at once, without parameters (a simple Query): what the router reads
   * from upstream while preparing (settings, privileges, WAL position) still holds for that bind.
   */
  bindAtOnce?: boolean;
}

export interface LocalRouter {
  /** Cheap byte-level test on Query/Parse SQL (UTF-8 bytes [start, end)). False ⇒ upstream, no parsing. */
  mayBeLocal(buf: Buffer, start: number, end: number): boolean;
  /** Parser-based decision for SQL that passed the precheck. */
  claims(sql: string, session: SessionInfo): boolean;
  /** Prepare a claimed statement; rejects with PgError. */
  prepare(sql: string, paramTypes: number[], session: SessionInfo, options?: PrepareOptions): Promise<LocalQuery>;
  /** CancelRequest for a session that may be running a local query. */
  cancel?(sessionId: number): void;
  /**
   * A claimed simple Query string of several statements, to run one statement at a time (each claimed or sent
   * upstream as it comes); null when the string is one statement. Rejects with PgError when it cannot run so.
   */
  script?(sql: string, session: SessionInfo): Script | null;
}

/** The statements of one simple Query string, run in order; the first error ends it. */
export interface Script {
  /** each statement's text and the number of characters before it in the string (error positions) */
  statements: { text: string; offset: number }[];
  /**
   * Run inside a transaction block lakegate opens and then commits, or rolls back after an error: the string's
   * implicit transaction (one now(), a SET undone by a later error).
   */
  wrap: boolean;
}
