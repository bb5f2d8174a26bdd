// A child process as the kernel sees it: VmRSS (now) and VmHWM (peak resident set since start) from
// /proc/<pid>/status, a sampler for the peak within one phase, and CPU time (all threads) from /proc/<pid>/stat —
// CPU per row is far less disturbed by a busy shared machine than wall time.

export interface ProcMemory {
  rssBytes: number;
  hwmBytes: number;
}

export async function procMemory(pid: number): Promise<ProcMemory> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

/** Samples VmRSS every `everyMs` until stopped; resolves the highest value seen (VmHWM covers all phases). */
export function sampleRss(pid: number, everyMs = 200): { stop(): Promise<number> } {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const m = await procMemory(pid).catch(() => null);
      if (m && m.rssBytes > peak) peak = m.rssBytes;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      const m = await procMemory(pid).catch(() => null);
      return Math.max(peak, m?.rssBytes ?? 0);
    },
  };
}

export const fmtMiB = (bytes: number) => `${Math.round(bytes / 1048576).toLocaleString('en-US')} MiB`;

/** bytes as B / KiB / MiB / GiB, whichever reads best */
export function fmtBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** user + system CPU time of the process, all threads, in ms */
export async function procCpuMs(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name (which may contain spaces) start at state; utime and stime are fields 14, 15
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

// sysconf(_SC_CLK_TCK): 100 on every Linux architecture node runs on
const CLOCK_TICKS = 100;

/** The host's CPU time counters (all CPUs, in ticks) from /proc/stat: total, and the part stolen by the hypervisor. */
export async function hostCpuTicks(): Promise<{ total: number; steal: number }> {
  const { readFile } = await import('node:fs/promises');
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already counted in user)
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { total: f.reduce((s, x) => s + x, 0), steal: f[7] ?? 0 };
}

/** Share of the host's CPU time the hypervisor took between two readings (0..1): time this VM's CPUs waited. */
export function stealShare(a: { total: number; steal: number }, b: { total: number; steal: number }): number {
  const total = b.total - a.total;
  return total > 0 ? (b.steal - a.steal) / total : 0;
}
