// Waiting for a condition another process brings about (an upstream backend to go, a statement to start).
import assert from 'node:assert/strict';

/** Polls `check` every 25 ms until it holds; fails the test after `ms`, naming `what` it waited for. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
