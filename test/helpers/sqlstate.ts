// Asserting on the Postgres error a statement fails with.
import assert from 'node:assert/strict';
import type pg from 'pg';

/** Asserts that `p` rejects with SQLSTATE `code` (and a message matching `message`); returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<pg.DatabaseError> {
  let caught: pg.DatabaseError | undefined;
  await assert.rejects(p, (e: pg.DatabaseError) => {
    caught = e;
    assert.equal(e.code, code, `expected SQLSTATE ${code}, got ${e.code}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return true;
  });
  return caught!;
}
