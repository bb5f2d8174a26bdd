// Benchmark options: `--name=value` or `--name value` on the command line, else BENCH_<NAME> in the environment,
// else the default. The default's type (number or string) decides how the value is parsed.

export type OptionDefaults = Record<string, number | string>;
export type Options<D extends OptionDefaults> = { [K in keyof D]: D[K] extends number ? number : string };

export function envNameOf(option: string): string {
  return 'BENCH_' + option.toUpperCase().replace(/-/g, '_');
}

export function readOptions<D extends OptionDefaults>(
  args: string[],
  defaults: D,
  env: NodeJS.ProcessEnv = process.env,
): Options<D> {
  const given = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument '${a}' (options look like --duration=5)`);
    const name = m[1]!;
    if (!(name in defaults)) {
      throw new Error(`unknown option --${name}; known: ${Object.keys(defaults).map((k) => '--' + k).join(', ')}`);
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new Error(`option --${name} needs a value`);
    given.set(name, value);
  }
  const out: Record<string, number | string> = {};
  for (const [name, def] of Object.entries(defaults)) {
    const raw = given.get(name) ?? env[envNameOf(name)];
    if (raw === undefined || raw === '') {
      out[name] = def;
    } else if (typeof def === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`option --${name} (${envNameOf(name)}) must be a positive number, got '${raw}'`);
      out[name] = n;
    } else {
      out[name] = raw;
    }
  }
  return out as Options<D>;
}
