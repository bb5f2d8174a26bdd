// Preload module: `NODE_OPTIONS=--import=<this file's .js>` with BENCH_CPU_PROF_DIR set records a V8 CPU profile of
// the whole process and writes it as <dir>/lakegate-<pid>.cpuprofile when the process exits (node refuses
// --cpu-prof in NODE_OPTIONS, and startLakegateProcess takes no node flags). Open it in Chrome DevTools or read it
// with bench/lib/profile-summary.ts.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The environment that makes a child node process load this profiler. */
export function cpuProfileEnv(dir: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${fileURLToPath(import.meta.url)}`, BENCH_CPU_PROF_DIR: dir };
}

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir && process.env.NODE_OPTIONS?.includes('cpu-profile')) {
  const session = new Session();
  session.connect();
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.once('exit', () => {
    // an in-thread inspector session answers synchronously, so this completes inside the exit handler
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `lakegate-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
