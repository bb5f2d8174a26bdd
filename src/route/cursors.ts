// Lifetime of the cursors over mirrors a session keeps (engine/cursor.ts answers DECLARE, FETCH, MOVE, CLOSE).
import type { LocalCursor } from './local.js';

/** Cheap test for a statement a session's cursors may have to answer (the parser decides whether it names one). */
export function mayBeCursorCommand(sql: string): boolean {
  return /^\s*(fetch|move|close)\b/i.test(sql);
}

/** The session's transaction ended: its cursors without HOLD are gone, as in Postgres. */
export function closeTransactionCursors(cursors: Map<string, LocalCursor>): void {
  for (const [name, c] of cursors) {
    if (c.hold) continue;
    c.portal.close();
    cursors.delete(name);
  }
}
