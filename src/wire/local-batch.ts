// Runs extended-protocol messages that lakegate answers itself, with Postgres' rules: every message
// gets its completion message, an error sends ErrorResponse and skips to Sync, Sync ends with
// ReadyForQuery (written by the session).
import { F } from './codes.js';
import {
  bindComplete,
  closeComplete,
  commandComplete,
  errorResponse,
  noData,
  parameterDescription,
  parseComplete,
  rowDescription,
} from './messages/backend.js';
import { decodeBind, decodeExecute, decodeParse, decodeTarget } from './messages/frontend.js';
import { PgError, type LocalPortal, type LocalQuery, type LocalRouter, type ResultSink, type Script, type SessionInfo } from '../route/local.js';

export interface Cancellable {
  cancel?(): void;
}

export interface HeldMessage {
  type: number;
  msg: Buffer;
}

export interface LocalStatement {
  sql: string;
  paramTypes: number[];
  query: Promise<LocalQuery> | null;
}

interface BatchSession extends SessionInfo {
  localStatements: Map<string, LocalStatement>;
  localPortals: Map<string, LocalPortal | null>;
  localFailed: boolean;
}

export function errorMessage(e: unknown): Buffer {
  if (e instanceof PgError) {
    const f = { severity: e.severity, code: e.code, message: e.message } as Parameters<typeof errorResponse>[0];
    if (e.detail) f.detail = e.detail;
    if (e.hint) f.hint = e.hint;
    return errorResponse(f);
  }
  return errorResponse({ severity: 'ERROR', code: 'XX000', message: (e as Error)?.message ?? String(e) });
}

export class LocalBatch {
  constructor(
    private readonly s: BatchSession,
    private readonly router: LocalRouter,
    private readonly setRunning: (q: Cancellable | null) => void,
  ) {}

  async run(msgs: HeldMessage[], sink: ResultSink): Promise<void> {
    for (const m of msgs) {
      if (m.type === F.Sync) {
        this.s.localFailed = false;
        // outside a transaction block, Sync ends the implicit transaction and with it every portal
        if (this.s.txStatus === 'I') {
          for (const p of this.s.localPortals.values()) p?.close();
          this.s.localPortals.clear();
        }
        continue;
      }
      if (this.s.localFailed) continue;
      try {
        await this.one(m, sink);
      } catch (e) {
        sink.write(errorMessage(e));
        this.s.localFailed = true;
      }
    }
  }

  private statement(name: string): Promise<LocalQuery> {
    const st = this.s.localStatements.get(name);
    if (!st) throw new PgError('26000', `prepared statement "${name}" does not exist`);
    st.query ??= this.router.prepare(st.sql, st.paramTypes, this.s);
    return st.query;
  }

  private portal(name: string): LocalPortal {
    const p = this.s.localPortals.get(name);
    if (!p) throw new PgError('34000', `portal "${name}" does not exist`);
    return p;
  }

  private async one(m: HeldMessage, sink: ResultSink): Promise<void> {
    switch (m.type) {
      case F.Parse: {
        const p = decodeParse(m.msg);
        // from the message itself: a later Parse of the same name may already have claimed the map entry
        const st: LocalStatement = { sql: p.sql, paramTypes: p.paramTypes, query: null };
        this.s.localStatements.set(p.name, st);
        try {
          await this.statement(p.name);
        } catch (e) {
          this.s.localStatements.delete(p.name);
          throw e;
        }
        sink.write(parseComplete);
        return;
      }
      case F.Bind: {
        const b = decodeBind(m.msg);
        const q = await this.statement(b.statement);
        this.s.localPortals.get(b.portal)?.close();
        this.s.localPortals.set(b.portal, null);
        const portal = await q.bind(b.params, b.paramFormats, b.resultFormats);
        this.s.localPortals.set(b.portal, portal);
        sink.write(bindComplete);
        return;
      }
      case F.Describe: {
        const t = decodeTarget(m.msg);
        if (t.kind === 'S') {
          const q = await this.statement(t.name);
          sink.write(parameterDescription(q.paramTypes));
          const f = q.fields();
          sink.write(f ? rowDescription(f) : noData);
        } else {
          const f = this.portal(t.name).fields();
          sink.write(f ? rowDescription(f) : noData);
        }
        return;
      }
      case F.Execute: {
        const e = decodeExecute(m.msg);
        const portal = this.portal(e.portal);
        this.setRunning(portal);
        try {
          await portal.execute(e.maxRows, sink);
        } finally {
          this.setRunning(null);
        }
        return;
      }
      case F.Close: {
        const t = decodeTarget(m.msg);
        if (t.kind === 'S') this.s.localStatements.delete(t.name);
        else {
          this.s.localPortals.get(t.name)?.close();
          this.s.localPortals.delete(t.name);
        }
        sink.write(closeComplete);
        return;
      }
      case F.Flush:
        return;
    }
  }
}

/** A simple Query answered locally: RowDescription, rows, CommandComplete (ReadyForQuery by the caller). */
export async function runLocalQuery(
  router: LocalRouter,
  sql: string,
  s: SessionInfo,
  sink: ResultSink,
  setRunning: (q: Cancellable | null) => void,
): Promise<void> {
  try {
    const script = router.script?.(sql, s) ?? null;
    if (script) await runScript(router, script, s, sink, setRunning);
    else await runOne(router, sql, s, sink, setRunning);
  } catch (e) {
    sink.write(errorMessage(e));
  }
}

async function runOne(router: LocalRouter, sql: string, s: SessionInfo, sink: ResultSink, setRunning: (q: Cancellable | null) => void): Promise<void> {
  const q = await router.prepare(sql, [], s, { bindAtOnce: true });
  const portal = await q.bind([], [], []);
  setRunning(portal);
  try {
    const f = portal.fields();
    if (f) sink.write(rowDescription(f));
    await portal.execute(0, sink);
  } finally {
    portal.close();
  }
}

/**
 * Several statements in one Query, as Postgres runs them: in order, each with its own answer, none after the
 * first error. Each is claimed or sent upstream when its turn comes (an earlier SET search_path decides what a
 * later name means); upstream's answer is relayed as sent.
 */
async function runScript(router: LocalRouter, script: Script, s: SessionInfo, sink: ResultSink, setRunning: (q: Cancellable | null) => void): Promise<void> {
  let failed = false;
  if (script.wrap) await s.upstream.query('BEGIN');
  try {
    for (const st of script.statements) {
      if (router.claims(st.text, s)) {
        await runOne(router, st.text, s, sink, setRunning);
        continue;
      }
      // a cancel now is for the statement upstream runs
      setRunning({ cancel: () => s.cancelUpstream?.() });
      const answer = await s.upstream.relay(st.text, st.offset).finally(() => setRunning(null));
      if (!sink.write(answer.bytes)) await sink.drain();
      if (answer.failed) {
        failed = true;
        return;
      }
    }
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    if (script.wrap) {
      // after an error the block is aborted (a mirror statement's failure aborts it too): ROLLBACK ends it
      const end = await s.upstream.relay(failed ? 'ROLLBACK' : 'COMMIT');
      if (end.failed && !failed) sink.write(end.bytes);
    }
  }
}

export { commandComplete };
