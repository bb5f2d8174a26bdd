// Lifetime of the cursors over mirrors a session keeps (engine/cursor.ts answers DECLARE, FETCH, MOVE, CLOSE).
import type { LocalCursor } from './local.js';

/** The session's transaction ended: its cursors without HOLD are gone, as in Postgres. */
export function closeTransactionCursors(cursors: Map<string, LocalCursor>): void {
  for (const [name, c] of cursors) {
    if (c.hold) continue;
    c.portal.close();
    cursors.delete(name);
  }
}
