// An in-process MirrorRegistry: mirrors added and dropped by calls, states and progress kept in maps.
// Used by tests and by embedders that manage mirrors without the mooncake schema.
import type { TableName } from '../cdc/index.js';
import type {
  CatalogEntry,
  MirrorLifecycle,
  MirrorProgress,
  MirrorRecord,
  MirrorRegistry,
  RequestResult,
} from './registry.js';

export class MemoryRegistry implements MirrorRegistry {
  readonly records = new Map<number, MirrorRecord>();
  readonly states = new Map<number, { state: MirrorLifecycle; error: string | null }>();
  readonly progress = new Map<number, MirrorProgress>();
  readonly results = new Map<string, RequestResult>();
  readonly catalog = new Map<string, CatalogEntry>();
  private listeners = new Set<() => void>();
  private nextId = 1;

  add(source: TableName, name?: TableName, location?: string): MirrorRecord {
    const id = this.nextId++;
    const rec: MirrorRecord = { id, source, name: name ?? { schema: source.schema, name: `${source.name}_iceberg` }, state: 'pending', location: location ?? null };
    this.records.set(id, rec);
    this.notify();
    return rec;
  }

  drop(id: number): void {
    this.records.delete(id);
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  async list(): Promise<MirrorRecord[]> {
    return [...this.records.values()].map((r) => ({ ...r, state: this.states.get(r.id)?.state ?? r.state }));
  }

  async watch(onChange: () => void): Promise<() => Promise<void>> {
    this.listeners.add(onChange);
    return async () => {
      this.listeners.delete(onChange);
    };
  }

  async setState(id: number, state: MirrorLifecycle, error: string | null = null): Promise<void> {
    this.states.set(id, { state, error });
  }

  async setProgress(id: number, p: MirrorProgress): Promise<void> {
    this.progress.set(id, p);
  }

  async writeRequestResult(requestId: string | number, r: RequestResult): Promise<void> {
    this.results.set(String(requestId), r);
  }

  async upsertIcebergCatalog(e: CatalogEntry): Promise<void> {
    this.catalog.set(`${e.namespace}.${e.name}`, e);
  }
}
