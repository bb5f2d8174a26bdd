// Client programs (psql, java, python) run to completion from a test without blocking the event loop, which may be
// serving lakegate in this same process.
import { spawn } from 'node:child_process';
import { repoRoot } from './lakegate.js';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in the repository root (killed after timeoutMs), feeding `input` on stdin. */
export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; onStart?: (pid: number) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: repoRoot(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
    if (child.pid) opts.onStart?.(child.pid);
  });
}
