// config.yaml at the repository root documents every configuration key: it must list exactly the keys of
// src/config/schema.ts, each with its default value and its doc line as the comment above it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, parseDocument, type Pair, type YAMLMap } from 'yaml';
import { SCHEMA, type KeySpec } from '../src/config/schema.js';
import { loadConfig } from '../src/config/load.js';

// Works from test/ (tsx) and dist/test/ (compiled): the repository root is the nearest folder with package.json.
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${import.meta.url}`);
    dir = up;
  }
  return dir;
}

const FILE = join(repoRoot(), 'config.yaml');
const schema = SCHEMA as Record<string, KeySpec>;

interface Entry {
  value: unknown;
  comment: string;
}

/** Leaf keys of the YAML document as dotted paths, with the comment written above each. */
function entries(map: YAMLMap, prefix: string, out: Map<string, Entry>): void {
  (map.items as Pair[]).forEach((pair, i) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const path = prefix ? `${prefix}.${key}` : key;
    if (isMap(pair.value)) entries(pair.value, path, out);
    else {
      // yaml attaches the comment above a map's first key to the map itself.
      const comment = (isScalar(pair.key) ? pair.key.commentBefore : undefined) ?? (i === 0 ? map.commentBefore : undefined) ?? '';
      out.set(path, { value: isScalar(pair.value) ? pair.value.value : pair.value, comment });
    }
  });
}

function read(): Map<string, Entry> {
  const doc = parseDocument(readFileSync(FILE, 'utf8'));
  assert.deepEqual(doc.errors, [], 'config.yaml must be valid YAML');
  assert.ok(isMap(doc.contents), 'config.yaml must be a mapping');
  const out = new Map<string, Entry>();
  entries(doc.contents, '', out);
  return out;
}

test('config.yaml lists exactly the schema keys', () => {
  const listed = [...read().keys()].sort();
  const expected = Object.keys(schema).sort();
  const missing = expected.filter((k) => !listed.includes(k));
  const extra = listed.filter((k) => !expected.includes(k));
  assert.deepEqual(
    { missing, extra },
    { missing: [], extra: [] },
    `config.yaml is out of step with src/config/schema.ts; add: ${missing
      .map((k) => `${k} = ${JSON.stringify(schema[k]!.default)}  # ${schema[k]!.doc}`)
      .join('; ')}`,
  );
});

test('config.yaml shows each default and its doc line', () => {
  const got = read();
  for (const [key, spec] of Object.entries(schema)) {
    const e = got.get(key);
    assert.ok(e, `${key} missing`);
    assert.strictEqual(e.value, spec.default, `${key}: config.yaml says ${JSON.stringify(e.value)}, schema default is ${JSON.stringify(spec.default)}`);
    assert.ok(e.comment.includes(spec.doc), `${key}: the comment above it should contain the schema doc "${spec.doc}", got "${e.comment.trim()}"`);
  }
});

test('loading config.yaml gives exactly the defaults', () => {
  const cfg = loadConfig(FILE, {});
  const defaults = Object.fromEntries(Object.entries(schema).map(([k, s]) => [k, s.default]));
  assert.deepEqual({ ...cfg }, defaults);
});
