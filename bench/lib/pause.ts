// Freeze a child process (SIGSTOP) and let it go on (SIGCONT). A stopped process does not act on SIGTERM, so
// a pause also registers a clean-up step that continues it before the service's own stop runs.
import { onCleanup, type Service } from './processes.js';

const paused = new Set<number>();

export function pauseProcess(svc: Service): void {
  const pid = svc.child.pid;
  if (pid === undefined) throw new Error(`${svc.name} has no pid`);
  process.kill(pid, 'SIGSTOP');
  if (!paused.has(pid)) onCleanup(() => void resumeProcess(svc));
  paused.add(pid);
}

export function resumeProcess(svc: Service): void {
  const pid = svc.child.pid;
  if (pid === undefined || !paused.has(pid)) return;
  paused.delete(pid);
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // already gone
  }
}
