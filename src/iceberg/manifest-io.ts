// Reading and writing manifest lists and manifests through Storage. Manifests are immutable, so decoded
// ones are cached by URI: planning every few seconds then costs only the new manifests.
import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/storage.js';
import { decodeManifest, encodeManifest, EntryStatus, type ManifestEntry } from './manifest.js';
import { decodeManifestList, encodeManifestList, ManifestContent, type ManifestFile, type ManifestListWriteOptions } from './manifest-list.js';
import type { Schema } from './schema.js';

export class ManifestIO {
  private readonly lists = new Map<string, ManifestFile[]>();
  private readonly manifests = new Map<string, ManifestEntry[]>();

  constructor(
    readonly storage: Storage,
    private readonly cacheSize = 1024,
  ) {}

  private remember<V>(cache: Map<string, V>, key: string, value: V): V {
    cache.set(key, value);
    if (cache.size > this.cacheSize) cache.delete(cache.keys().next().value as string);
    return value;
  }

  async readList(uri: string): Promise<ManifestFile[]> {
    const hit = this.lists.get(uri);
    if (hit) return hit;
    return this.remember(this.lists, uri, decodeManifestList(await this.storage.get(uri)));
  }

  /** Entries of one manifest, with snapshot ids and sequence numbers inherited from its list record. */
  async readEntries(mf: ManifestFile): Promise<ManifestEntry[]> {
    const key = `${mf.manifestPath}@${mf.sequenceNumber}`;
    const hit = this.manifests.get(key);
    if (hit) return hit;
    const { entries } = decodeManifest(await this.storage.get(mf.manifestPath), {
      addedSnapshotId: mf.addedSnapshotId,
      sequenceNumber: mf.sequenceNumber,
    });
    return this.remember(this.manifests, key, entries);
  }

  /** URI for a new manifest of this table. */
  static manifestUri(location: string): string {
    return `${location}/metadata/${randomUUID()}-m0.avro`;
  }

  static manifestListUri(location: string, snapshotId: bigint): string {
    return `${location}/metadata/snap-${snapshotId}-1-${randomUUID()}.avro`;
  }

  /**
   * Write a manifest for snapshot `snapshotId` / sequence `seq` and return its manifest-list record.
   * ADDED entries count as new; min_sequence_number covers live entries only.
   */
  async writeManifest(
    uri: string,
    o: { formatVersion: number; schema: Schema; content: 'data' | 'deletes'; entries: ManifestEntry[]; snapshotId: bigint; seq: number },
  ): Promise<ManifestFile> {
    const bytes = encodeManifest(o);
    await this.storage.put(uri, bytes);
    const mf: ManifestFile = {
      manifestPath: uri,
      manifestLength: bytes.length,
      partitionSpecId: 0,
      content: o.content === 'data' ? ManifestContent.DATA : ManifestContent.DELETES,
      sequenceNumber: o.seq,
      minSequenceNumber: o.seq,
      addedSnapshotId: o.snapshotId,
      addedFilesCount: 0,
      existingFilesCount: 0,
      deletedFilesCount: 0,
      addedRowsCount: 0,
      existingRowsCount: 0,
      deletedRowsCount: 0,
    };
    for (const e of o.entries) {
      const rows = e.dataFile.recordCount;
      if (e.status === EntryStatus.ADDED) {
        mf.addedFilesCount++;
        mf.addedRowsCount += rows;
      } else if (e.status === EntryStatus.EXISTING) {
        mf.existingFilesCount++;
        mf.existingRowsCount += rows;
      } else {
        mf.deletedFilesCount++;
        mf.deletedRowsCount += rows;
      }
      if (e.status !== EntryStatus.DELETED) mf.minSequenceNumber = Math.min(mf.minSequenceNumber, e.sequenceNumber ?? o.seq);
    }
    // the written bytes are what a later read would decode: prime the cache
    const inherited = o.entries.map((e) => ({
      ...e,
      snapshotId: e.snapshotId ?? o.snapshotId,
      sequenceNumber: e.sequenceNumber ?? o.seq,
      fileSequenceNumber: e.fileSequenceNumber ?? o.seq,
    }));
    this.remember(this.manifests, `${uri}@${o.seq}`, inherited);
    return mf;
  }

  async writeList(uri: string, o: ManifestListWriteOptions): Promise<void> {
    await this.storage.put(uri, encodeManifestList(o));
    this.remember(this.lists, uri, [...o.manifests]);
  }
}
