// Lifetime of the cursors over mirrors a session keeps (engine/cursor.ts answers DECLARE, FETCH, MOVE, CLOSE).
import type { LocalCursor } from './local.js';

/** Cheap test for a statement a session's cursors may have to answer (the parser decides whether it names one). */
export function mayBeCursorCommand(sql: string): boolean {
  return /^\s*(fetch|move|close)\b/i.test(sql);
}

/** `DISCARD ALL` alone in a Query: Postgres closes every cursor of the session with it. */
export function isDiscardAll(sql: string): boolean {
  return /^\s*discard\s+all\s*;?\s*$/i.test(sql);
}

/** Every cursor goes (DISCARD ALL, the session ends). */
export function closeAllCursors(cursors: Map<string, LocalCursor>): void {
  for (const c of cursors.values()) c.portal.close();
  cursors.clear();
}

/** The session's transaction ended: its cursors without HOLD are gone, as in Postgres. */
export function closeTransactionCursors(cursors: Map<string, LocalCursor>): void {
  for (const [name, c] of cursors) {
    if (c.hold) continue;
    c.portal.close();
    cursors.delete(name);
  }
}
