import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { SCHEMA, envName, type Config, type ConfigKey, type KeySpec } from './schema.js';

/** A configuration problem: the message is one line that names the key. */
export class ConfigError extends Error {}

const ENV_ALLOWED_EXTRA = new Set(['LAKEGATE_CONFIG']);

function flatten(obj: unknown, prefix: string, out: Map<string, unknown>): void {
  if (obj === null || obj === undefined) return;
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    out.set(prefix, obj);
    return;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(path in SCHEMA)) flatten(v, path, out);
    else out.set(path, v);
  }
}

function coerce(key: string, spec: KeySpec, raw: unknown, where: string): string | number | boolean {
  const t = spec.type;
  const bad = (what: string): never => {
    throw new ConfigError(`config: ${key} ${what}, got ${JSON.stringify(raw)} (${where})`);
  };
  switch (t.kind) {
    case 'string':
      if (raw === null || raw === undefined) return '';
      if (typeof raw === 'string' || typeof raw === 'number') return String(raw);
      return bad('must be a string');
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || n < t.min || n > t.max) return bad(`must be an integer from ${t.min} to ${t.max}`);
      return n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'on') return true;
      if (raw === 'false' || raw === '0' || raw === 'off') return false;
      return bad('must be true or false');
    case 'enum':
      if (typeof raw === 'string' && t.values.includes(raw)) return raw;
      return bad(`must be one of ${t.values.join(', ')}`);
  }
}

/**
 * Defaults, then the YAML file (if any), then LAKEGATE_* environment variables.
 * Unknown keys and bad values throw ConfigError with one line naming the key.
 */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  const values = new Map<string, unknown>();
  for (const [k, spec] of Object.entries(SCHEMA)) values.set(k, spec.default);

  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`config: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new ConfigError(`config: ${file} is not valid YAML: ${String((e as Error).message).split('\n')[0]}`);
    }
    const flat = new Map<string, unknown>();
    flatten(doc ?? {}, '', flat);
    for (const [k, v] of flat) {
      const spec = (SCHEMA as Record<string, KeySpec>)[k];
      if (!spec) throw new ConfigError(`config: unknown key '${k}' in ${file}`);
      values.set(k, coerce(k, spec, v, file));
    }
  }

  const byEnv = new Map<string, string>();
  for (const k of Object.keys(SCHEMA)) byEnv.set(envName(k), k);
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('LAKEGATE_') || raw === undefined) continue;
    const k = byEnv.get(name);
    if (!k) {
      if (ENV_ALLOWED_EXTRA.has(name)) continue;
      throw new ConfigError(`config: unknown environment variable ${name}`);
    }
    values.set(k, coerce(k, (SCHEMA as Record<string, KeySpec>)[k]!, raw, name));
  }

  const cfg = Object.fromEntries(values) as Config;
  if (Boolean(cfg['tls.cert']) !== Boolean(cfg['tls.key'])) {
    throw new ConfigError(`config: ${cfg['tls.cert'] ? 'tls.key' : 'tls.cert'} must be set together with ${cfg['tls.cert'] ? 'tls.cert' : 'tls.key'}`);
  }
  return cfg;
}

export type { Config, ConfigKey };
