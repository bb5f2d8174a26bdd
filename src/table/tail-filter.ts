// A Bloom filter over the keys that entered a keyed mirror's tail since it was last rebuilt. A run of removes
// whose keys are all "certainly not in the tail" skips the tail probe (an anti join + DELETE … USING over the
// whole tail) and goes straight to lg_delkeys — which is what a huge UPDATE of flushed rows looks like, and
// what made such transactions quadratic. Keys deleted from the tail stay in the filter (false positives only
// cost a probe); a flush swap rebuilds it from the keys appended since its cut (what is left in the tail).
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Value } from '../cdc/index.js';
import { quoteIdent as q } from '../iceberg/index.js';
import type { MirrorTable } from './mirror-table.js';

const K = 4;
const MIN_BITS = 1 << 20;

function fnv1a(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

class Bloom {
  readonly bits: Uint32Array;
  readonly mask: number;
  count = 0;

  constructor(n: number) {
    this.bits = new Uint32Array(n / 32);
    this.mask = n - 1;
  }

  /** ~16 bits per key keeps false positives well under 1 % with 4 hashes */
  get full(): boolean {
    return this.count > (this.mask + 1) / 16;
  }
}

/** a scalable Bloom filter: when the newest layer is full a 4× larger one is added (no re-reading of keys) */
export class TailKeyFilter {
  private layers: Bloom[];

  constructor(bits = MIN_BITS) {
    let n = MIN_BITS;
    while (n < bits) n *= 2;
    this.layers = [new Bloom(n)];
  }

  add(key: string): void {
    let top = this.layers[this.layers.length - 1]!;
    if (top.full) this.layers.push((top = new Bloom((top.mask + 1) * 4)));
    const h1 = fnv1a(key, 0x811c9dc5);
    const h2 = fnv1a(key, 0x9747b28c) | 1;
    for (let i = 0; i < K; i++) {
      const b = (h1 + Math.imul(i, h2)) & top.mask;
      top.bits[b >>> 5]! |= 1 << (b & 31);
    }
    top.count++;
  }

  mayContain(key: string): boolean {
    const h1 = fnv1a(key, 0x811c9dc5);
    const h2 = fnv1a(key, 0x9747b28c) | 1;
    outer: for (const l of this.layers) {
      for (let i = 0; i < K; i++) {
        const b = (h1 + Math.imul(i, h2)) & l.mask;
        if ((l.bits[b >>> 5]! & (1 << (b & 31))) === 0) continue outer;
      }
      return true;
    }
    return false;
  }
}

/** key types whose DuckDB values read back with the same canonical form as decoded CDC values */
export function filterable(t: MirrorTable): boolean {
  return t.keyed && t.keyColumns.every((c) => !c.isList && (c.scalar === 'int' || c.scalar === 'long' || c.scalar === 'string' || c.scalar === 'uuid'));
}

/**
 * One string per key value, equal for the decoded CDC value and the value DuckDB reads back (int8 and oid
 * arrive as bigint and number, BIGINT reads back as bigint: numbers are written the same either way).
 */
export function keyString(values: readonly Value[]): string {
  let out = '';
  for (const v of values) out += (typeof v === 'string' ? `s${v.length}:${v}` : `n${String(v)}`) + '\u0001';
  return out;
}

/** keyString of the key columns `cols` of a row, without building the key array */
export function rowKeyString(row: readonly unknown[], cols: readonly number[]): string {
  let out = '';
  for (const c of cols) {
    const v = row[c];
    out += (typeof v === 'string' ? `s${v.length}:${v}` : `n${String(v)}`) + '\u0001';
  }
  return out;
}

/** A filter holding every key now in the tail (read on `conn`, so an open transaction's rows count). */
export async function rebuildTailFilter(conn: DuckDBConnection, t: MirrorTable, expected: number): Promise<TailKeyFilter> {
  const f = new TailKeyFilter(expected * 16);
  if (expected === 0) return f;
  const cols = t.keyColumns.map((c) => (c.scalar === 'uuid' ? `${q(c.name)}::VARCHAR` : q(c.name))).join(', ');
  const res = await conn.stream(`SELECT ${cols} FROM ${q(t.tail)}`);
  for (;;) {
    const chunk = await res.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    for (const row of chunk.getRows()) f.add(keyString(row as Value[]));
  }
  return f;
}
