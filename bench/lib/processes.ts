// Child processes a benchmark starts, and the clean-up that stops them (by pid) however the benchmark ends.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
let signalsHooked = false;
let running: Promise<void> | null = null;
let signalled = false;

/** Run `fn` at clean-up time (last registered runs first). */
export function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      signalled = true;
      process.stderr.write(`\n${sig}: stopping benchmark processes\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

/** True once SIGINT/SIGTERM arrived: errors after that are consequences of stopping, not findings. */
export function interrupted(): boolean {
  return signalled;
}

/** Run every clean-up step once; concurrent callers share the same run. */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (e) {
        process.stderr.write(`clean-up step failed: ${String(e)}\n`);
      }
    }
  })().finally(() => {
    running = null;
  });
  return running;
}

/** A long-running child whose output is kept (last 64 KiB) for error messages. */
export interface Service {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startService(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Service {
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-65536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (e) => keep(Buffer.from(`\n[spawn error: ${e.message}]\n`)));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    })();
    return stopping;
  };
  onCleanup(stop);
  return { name, child, output: () => out, stop };
}

/** Resolve once `port` accepts TCP connections; fail if the service exits or time runs out. */
export async function waitForPort(svc: Service, port: number, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (svc.child.exitCode !== null || svc.child.signalCode !== null) {
      throw new Error(`${svc.name} exited (${svc.child.exitCode ?? svc.child.signalCode}) before listening:\n${svc.output()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${svc.name} did not listen on port ${port} within ${timeoutMs} ms:\n${svc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion, collecting its output (the child is registered for clean-up while it runs). */
export function runCommand(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-65536)));
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    onCleanup(kill);
    child.once('error', reject);
    child.once('close', (code) => {
      const i = cleanups.indexOf(kill);
      if (i >= 0) cleanups.splice(i, 1);
      resolve({ code, stdout, stderr });
    });
  });
}
