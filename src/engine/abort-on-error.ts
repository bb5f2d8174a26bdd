// In Postgres any error inside a transaction block aborts the block: later statements fail with 25P02 until
// ROLLBACK, and COMMIT answers ROLLBACK. A mirror statement that fails in lakegate (refused, DuckDB runtime
// error, cancel, privilege check) never failed upstream, so lakegate makes a statement fail there on the
// client's connection: the client's transaction ends up exactly where Postgres would leave it.
//
// The statement fails while Postgres parses it (a literal that is no integer), not when it runs: an internal
// request that fails at Execute leaves its prepared statement behind (see the engine README), and the
// server log then reads `invalid input syntax for type integer: "lakegate: …"`, naming the original error.
import { type LocalPortal, type LocalQuery, type PgError, type ResultSink, type SessionInfo } from '../route/local.js';
import { pgErrorOf } from './errors.js';
import { pgLiteral } from './pg-literal.js';

/** Aborts the session's upstream transaction block, if it is in one. Never throws. */
export async function abortTransaction(s: SessionInfo, e: PgError): Promise<void> {
  if (s.txStatus === 'I') return;
  const note = `lakegate: a statement on a mirror failed in this transaction block (${e.code} ${e.message})`;
  await s.upstream.query(`SELECT ${pgLiteral(note)}::pg_catalog.int4`).catch(() => undefined);
}

/** `q` whose failures (at Bind or Execute) abort the session's transaction block. */
export function abortingQuery(q: LocalQuery, s: SessionInfo): LocalQuery {
  return {
    paramTypes: q.paramTypes,
    fields: () => q.fields(),
    async bind(params, paramFormats, resultFormats) {
      try {
        return abortingPortal(await q.bind(params, paramFormats, resultFormats), s);
      } catch (e) {
        const err = pgErrorOf(e);
        await abortTransaction(s, err);
        throw err;
      }
    },
  };
}

function abortingPortal(p: LocalPortal, s: SessionInfo): LocalPortal {
  const out: LocalPortal = {
    fields: () => p.fields(),
    async execute(maxRows: number, sink: ResultSink) {
      try {
        return await p.execute(maxRows, sink);
      } catch (e) {
        const err = pgErrorOf(e);
        await abortTransaction(s, err);
        throw err;
      }
    },
    close: () => p.close(),
  };
  if (p.cancel) out.cancel = () => p.cancel!();
  return out;
}
