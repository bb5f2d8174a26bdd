// The router sessions use while the engine is not up yet (upstream down at start, migrations pending):
// lakegate's own statements answer at once, everything else goes upstream; `set` switches to the engine.
import type { LocalQuery, LocalRouter, PrepareOptions, Script, SessionInfo } from './local.js';

export class DeferredRouter implements LocalRouter {
  constructor(private target: LocalRouter) {}

  set(target: LocalRouter): void {
    this.target = target;
  }

  mayBeLocal(buf: Buffer, start: number, end: number): boolean {
    return this.target.mayBeLocal(buf, start, end);
  }

  claims(sql: string, s: SessionInfo): boolean {
    return this.target.claims(sql, s);
  }

  prepare(sql: string, paramTypes: number[], s: SessionInfo, options?: PrepareOptions): Promise<LocalQuery> {
    return this.target.prepare(sql, paramTypes, s, options);
  }

  cancel(sessionId: number): void {
    this.target.cancel?.(sessionId);
  }

  script(sql: string, s: SessionInfo): Script | null {
    return this.target.script?.(sql, s) ?? null;
  }
}
