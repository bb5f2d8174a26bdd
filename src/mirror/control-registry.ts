// Adapter: the control plane's registry client (src/control, table mooncake.mirrors) seen through the
// MirrorRegistry interface the service uses. It also keeps the JDBC-catalog pointer's compare-and-set chain
// (each update names the previous metadata file) per table.
import type pg from 'pg';
import { formatLsn } from '../cdc/index.js';
import { MirrorRegistry as ControlClient, type Mirror } from '../control/index.js';
import type { CatalogEntry, MirrorLifecycle, MirrorProgress, MirrorRecord, MirrorRegistry, RequestResult } from './registry.js';

function record(m: Mirror): MirrorRecord {
  return {
    id: m.id,
    name: { schema: m.schema, name: m.name },
    source: { schema: m.sourceSchema, name: m.sourceName },
    state: m.state,
    location: m.location,
    tableConfig: m.tableConfig,
  };
}

export class ControlRegistry implements MirrorRegistry {
  readonly client: ControlClient;
  private readonly lastProgress = new Map<number, string>();

  constructor(db: pg.Pool | pg.Client, opts: { catalogName?: string } = {}) {
    this.client = new ControlClient(db, opts);
  }

  async list(): Promise<MirrorRecord[]> {
    return (await this.client.listMirrors()).map(record);
  }

  async watch(onChange: () => void): Promise<() => Promise<void>> {
    const w = await this.client.watch(() => onChange());
    return () => w.stop();
  }

  async setState(id: number, state: MirrorLifecycle, error: string | null = null): Promise<void> {
    await this.client.setState(id, state, error);
  }

  async setProgress(id: number, p: MirrorProgress): Promise<void> {
    const v = { commitLsn: formatLsn(p.commitLsn), flushLsn: formatLsn(p.flushLsn), rowCount: p.rowCount, dataFiles: p.dataFiles };
    const key = JSON.stringify(v);
    if (this.lastProgress.get(id) === key) return;
    await this.client.setProgress(id, v);
    this.lastProgress.set(id, key);
  }

  async writeRequestResult(requestId: string | number, r: RequestResult): Promise<void> {
    await this.client.writeRequestResult(Number(requestId), r.ok, r.ok ? null : (r.message ?? 'failed'));
  }

  async upsertIcebergCatalog(e: CatalogEntry): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const cur = await this.client.getIcebergCatalog(e.namespace, e.name);
      const previous = cur?.metadataLocation ?? null;
      if (previous === e.metadataLocation) return;
      if (await this.client.upsertIcebergCatalog(e.namespace, e.name, e.metadataLocation, previous)) return;
    }
  }

  async setLocation(id: number, location: string): Promise<void> {
    await this.client.setLocation(id, location);
  }

  async forget(id: number): Promise<void> {
    await this.client.forget(id);
  }
}
