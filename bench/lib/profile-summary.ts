// Summarise a V8 .cpuprofile: self and total time per function, mapped back to the TypeScript source line
// through the .js.map files tsc writes. Usage: node dist/bench/lib/profile-summary.js <file.cpuprofile> [top=40]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const maps = new Map<string, SourceMap | null>();
function sourceMapOf(url: string): SourceMap | null {
  if (!maps.has(url)) {
    let m: SourceMap | null = null;
    try {
      const file = fileURLToPath(url) + '.map';
      if (existsSync(file)) m = new SourceMap(JSON.parse(readFileSync(file, 'utf8')));
    } catch {
      m = null;
    }
    maps.set(url, m);
  }
  return maps.get(url)!;
}

/** "src/table/apply.ts:123 fnName" (or the JS location / a V8 pseudo-frame) */
function where(f: ProfileNode['callFrame'], root: string): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  if (f.url.startsWith('file:')) {
    const m = sourceMapOf(f.url);
    const e = m?.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    if (e?.originalSource) {
      const o = e.originalSource;
      const src = o.startsWith('file:') ? fileURLToPath(o) : resolve(dirname(fileURLToPath(f.url)), o);
      return `${relative(root, src)}:${(e.originalLine ?? 0) + 1} ${name}`;
    }
    return `${relative(root, fileURLToPath(f.url))}:${f.lineNumber + 1} ${name}`;
  }
  return `${f.url}:${f.lineNumber + 1} ${name}`;
}

export function summarise(p: Profile, root: string, top = 40): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0; // a sample's time is the gap to the next one
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + dt);
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const key = where(n.callFrame, root);
    if (!['(idle)', '(program)', '(garbage collector)'].includes(n.callFrame.functionName)) busy += us;
    self.set(key, (self.get(key) ?? 0) + us);
    // every distinct function on the stack gets the sample once (recursion counted once)
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = where(byId.get(cur)!.callFrame, root);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  }
  const wall = (p.endTime - p.startTime) / 1000;
  const fmt = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((us / 1000 / wall) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`profile: ${(wall / 1000).toFixed(1)} s wall, ${(busy / 1e6).toFixed(1)} s in JS/native code (idle, GC, program excluded)`, '', 'self time:'];
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${fmt(us)}  ${k}`);
  lines.push('', 'total time (function and its callees):');
  for (const [k, us] of [...total].sort((a, b) => b[1] - a[1]).filter(([k]) => k !== '(root)').slice(0, top)) lines.push(`${fmt(us)}  ${k}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/lib/profile-summary.js <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  process.stdout.write(summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, root, Number(topArg ?? 40)) + '\n');
}
