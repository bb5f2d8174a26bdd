// Cursors over mirrors: DECLARE … CURSOR FOR <query on a mirror>, then FETCH / MOVE / CLOSE by its name.
//
// psycopg2's named cursors and ODBC-based BI tools read large results this way. The cursor is an engine
// portal (one DuckDB snapshot, read forward in steps) kept in the session's localCursors; the session routes
// FETCH/MOVE/CLOSE naming it here, and closes cursors without HOLD when the transaction ends, as Postgres
// does. Forward reading only: SCROLL and backward steps get Postgres' own refusal for a non-scrollable cursor.
// WITH HOLD is taken outside a transaction block only (inside one, a ROLLBACK would have to close it, and
// the session does not tell COMMIT from ROLLBACK).
import { mayBeCursorCommand } from '../route/cursors.js';
import { parseSql } from '../route/parser.js';
import { PgError, type LocalPortal, type LocalQuery, type ResultSink, type SessionInfo } from '../route/local.js';
import { commandComplete, type FieldDescription } from '../wire/messages/backend.js';
import { FEATURE_NOT_SUPPORTED } from './translate/errors.js';

// CURSOR_OPT_* of Postgres' parsenodes.h
const OPT_BINARY = 0x1;
const OPT_SCROLL = 0x2;
const OPT_HOLD = 0x20;

/** FETCH ALL / MOVE ALL (the parser's FETCH_ALL as it reaches us) */
const ALL = 2147483647;

type Obj = Record<string, unknown>;

type CursorCommand =
  | { kind: 'fetch'; name: string; direction: string; count: number; move: boolean }
  | { kind: 'close'; name: string | null };

/** The FETCH / MOVE / CLOSE in `sql` when it names one of the session's cursors (CLOSE ALL: when it has any). */
export function cursorCommand(sql: string, s: SessionInfo): CursorCommand | null {
  const cursors = s.localCursors;
  if (!cursors || cursors.size === 0 || !mayBeCursorCommand(sql)) return null;
  const parsed = parseSql(sql, s.oracle);
  if (!parsed.ok || parsed.statements.length !== 1) return null;
  const node = parsed.statements[0]!.stmt as unknown as Obj;
  const fetch = node.FetchStmt as Obj | undefined;
  if (fetch) {
    const name = fetch.portalname as string;
    if (!cursors.has(name)) return null;
    return { kind: 'fetch', name, direction: (fetch.direction as string | undefined) ?? 'FETCH_FORWARD', count: (fetch.howMany as number | undefined) ?? 0, move: fetch.ismove === true };
  }
  const close = node.ClosePortalStmt as Obj | undefined;
  if (close) {
    const name = (close.portalname as string | undefined) ?? null;
    return name === null || cursors.has(name) ? { kind: 'close', name } : null;
  }
  return null;
}

/** Answers a FETCH, MOVE or CLOSE of the session's cursors (cursorCommand). */
export function cursorCommandQuery(cmd: CursorCommand, s: SessionInfo): LocalQuery {
  const cursors = s.localCursors!;
  if (cmd.kind === 'close') {
    return simple(null, async () => {
      if (cmd.name !== null) {
        cursors.get(cmd.name)?.portal.close();
        cursors.delete(cmd.name);
      } else {
        // CLOSE ALL: Postgres' own cursors too, on the client's connection
        for (const c of cursors.values()) c.portal.close();
        cursors.clear();
        await s.upstream.query('CLOSE ALL');
      }
      return 'CLOSE CURSOR';
    });
  }
  const described = cursors.get(cmd.name)!;
  const backward = cmd.direction === 'FETCH_BACKWARD' || (cmd.direction === 'FETCH_FORWARD' && cmd.count < 0);
  if (backward) {
    throw new PgError('55000', 'cursor can only scan forward', 'ERROR', undefined, 'Declare it with SCROLL option to enable backward scan.');
  }
  if (cmd.direction !== 'FETCH_FORWARD' || cmd.count === 0) {
    throw new PgError(FEATURE_NOT_SUPPORTED, `${cmd.move ? 'MOVE' : 'FETCH'} ${cmd.direction === 'FETCH_FORWARD' ? '0' : cmd.direction.replace('FETCH_', '')} is not supported on lakegate mirrors (cursors over mirrors read forward)`);
  }
  const verb = cmd.move ? 'MOVE' : 'FETCH';
  return simple(cmd.move ? null : described.fields, async (sink) => {
    // a statement prepared earlier may run after its cursor was closed
    const cur = cursors.get(cmd.name);
    if (!cur) throw new PgError('34000', `cursor "${cmd.name}" does not exist`);
    if (cur.done) return `${verb} 0`;
    let rows = 0;
    // the cursor's portal writes DataRows and, at its end, its own CommandComplete: FETCH reports instead
    const inner: ResultSink = {
      write(m) {
        if (m[0] === 0x44) {
          rows++;
          return cmd.move ? true : sink.write(m);
        }
        return true;
      },
      drain: () => sink.drain(),
    };
    const r = await cur.portal.execute(cmd.count >= ALL ? 0 : cmd.count, inner);
    if (r === 'complete') cur.done = true;
    return `${verb} ${rows}`;
  });
}

/**
 * DECLARE name … CURSOR FOR query, `query` being the engine's prepared query over mirrors. Its portal is bound
 * when the DECLARE runs (the snapshot is taken then, as Postgres' cursor sees the data as of DECLARE).
 */
export function declareCursor(stmt: Obj, s: SessionInfo, query: LocalQuery): LocalQuery {
  const cursors = s.localCursors;
  if (!cursors) throw new PgError(FEATURE_NOT_SUPPORTED, 'cursors over mirrors are not supported on this connection of lakegate');
  const name = stmt.portalname as string;
  const options = (stmt.options as number | undefined) ?? 0;
  const hold = (options & OPT_HOLD) !== 0;
  if (options & OPT_SCROLL) throw new PgError(FEATURE_NOT_SUPPORTED, 'SCROLL cursors are not supported on lakegate mirrors (cursors over mirrors read forward)');
  if (!hold && s.txStatus === 'I') throw new PgError('25P01', 'DECLARE CURSOR can only be used in transaction blocks');
  if (hold && s.txStatus !== 'I') {
    throw new PgError(FEATURE_NOT_SUPPORTED, 'WITH HOLD cursors over mirrors declared inside a transaction block are not supported on lakegate (declare it outside one)');
  }
  return simple(null, async () => {
    if (cursors.has(name)) throw new PgError('42P03', `cursor "${name}" already exists`);
    // a cursor of Postgres' own by that name
    const theirs = await s.upstream.query('SELECT 1 FROM pg_catalog.pg_cursors WHERE name = $1', [name]);
    if (theirs.rows.length > 0) throw new PgError('42P03', `cursor "${name}" already exists`);
    const binary = (options & OPT_BINARY) !== 0;
    const portal = await query.bind([], [], binary ? [1] : []);
    const fields = (query.fields() ?? []).map((f) => ({ ...f, format: binary ? 1 : 0 }));
    cursors.set(name, { fields, portal, hold, done: false });
    return 'DECLARE CURSOR';
  });
}

/**
 * The text of a DECLARE's query: what follows its FOR, checked by parsing it alone and comparing the trees
 * (source positions aside). Null when that does not reproduce the statement's query.
 */
export function declaredQueryText(sql: string, stmt: Obj, oracle: boolean): string | null {
  const want = strip(stmt.query);
  const re = /\bfor\b/gi;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    const rest = sql.slice(m.index + 3).replace(/;\s*$/, '');
    const p = parseSql(rest, oracle);
    if (!p.ok || p.statements.length !== 1) continue;
    if (JSON.stringify(strip(p.statements[0]!.stmt)) === JSON.stringify(want)) return rest;
  }
  return null;
}

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v as Obj)) if (k !== 'location' && k !== 'stmt_location' && k !== 'stmt_len') out[k] = strip(x);
    return out;
  }
  return v;
}

/** A statement without parameters whose execution is `run` (returning its command tag). */
function simple(fields: FieldDescription[] | null, run: (sink: ResultSink) => Promise<string>): LocalQuery {
  return {
    paramTypes: [],
    fields: () => fields,
    async bind(params) {
      if (params.length !== 0) throw new PgError('08P01', `bind message supplies ${params.length} parameters, but prepared statement "" requires 0`);
      let ran = false;
      const portal: LocalPortal = {
        fields: () => fields,
        async execute(_maxRows, sink) {
          if (ran) throw new PgError('55000', 'portal has already run');
          ran = true;
          sink.write(commandComplete(await run(sink)));
          return 'complete';
        },
        close() {},
      };
      return portal;
    },
  };
}
