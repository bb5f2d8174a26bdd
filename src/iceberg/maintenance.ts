// Snapshot expiry and orphan-file detection (Java ExpireSnapshots / DeleteOrphanFiles, reduced). Both only
// compute; the table commits the trimmed metadata and the caller decides when to delete, because a query
// planned a moment ago may still be reading files that an expiry makes unreachable.
import type { ObjectInfo, Storage } from '../storage/storage.js';
import { EntryStatus } from './manifest.js';
import type { ManifestIO } from './manifest-io.js';
import { ancestors, type TableMetadata } from './metadata.js';

export interface ExpireOptions {
  /** expire snapshots committed before this time (ms since epoch); default: no age limit */
  olderThanMs?: number;
  /** always keep this many most recent snapshots of main's history (default 1, the current one) */
  retainLast?: number;
}

/** Snapshot ids to expire: old enough, not among the last `retainLast` of main, not referenced by a ref. */
export function snapshotsToExpire(meta: TableMetadata, o: ExpireOptions): Set<bigint> {
  const keep = new Set<bigint>();
  for (const s of ancestors(meta).slice(0, Math.max(1, o.retainLast ?? 1))) keep.add(s['snapshot-id']);
  for (const r of Object.values(meta.refs)) keep.add(r['snapshot-id']);
  const out = new Set<bigint>();
  for (const s of meta.snapshots) {
    if (keep.has(s['snapshot-id'])) continue;
    if (o.olderThanMs !== undefined && s['timestamp-ms'] >= o.olderThanMs) continue;
    out.add(s['snapshot-id']);
  }
  return out;
}

/** Metadata without the expired snapshots (and their log / statistics entries). */
export function withoutSnapshots(meta: TableMetadata, expired: Set<bigint>): TableMetadata {
  return {
    ...meta,
    'last-updated-ms': Date.now(),
    snapshots: meta.snapshots.filter((s) => !expired.has(s['snapshot-id'])),
    'snapshot-log': meta['snapshot-log'].filter((e) => !expired.has(e['snapshot-id'])),
    statistics: meta.statistics.filter((e) => !expired.has(e['snapshot-id'])),
    'partition-statistics': meta['partition-statistics'].filter((e) => !expired.has(e['snapshot-id'])),
  };
}

/** Manifest lists, manifests and content files reachable from the given snapshots. */
async function reachable(io: ManifestIO, meta: TableMetadata, ids: Iterable<bigint>, liveOnly: boolean) {
  const lists = new Set<string>();
  const manifests = new Set<string>();
  const files = new Set<string>();
  const want = new Set(ids);
  for (const s of meta.snapshots) {
    if (!want.has(s['snapshot-id'])) continue;
    lists.add(s['manifest-list']);
    for (const mf of await io.readList(s['manifest-list'])) {
      if (manifests.has(mf.manifestPath)) continue;
      manifests.add(mf.manifestPath);
      for (const e of await io.readEntries(mf)) {
        if (!liveOnly || e.status !== EntryStatus.DELETED) files.add(e.dataFile.filePath);
      }
    }
  }
  return { lists, manifests, files };
}

/**
 * Files only the expired snapshots needed: their manifest lists, manifests no retained snapshot lists, and
 * data/delete files live in no retained snapshot.
 */
export async function filesFreedByExpiry(io: ManifestIO, before: TableMetadata, expired: Set<bigint>): Promise<string[]> {
  const retainedIds = before.snapshots.map((s) => s['snapshot-id']).filter((id) => !expired.has(id));
  const kept = await reachable(io, before, retainedIds, true);
  const gone = await reachable(io, before, expired, false);
  const out: string[] = [];
  for (const l of gone.lists) if (!kept.lists.has(l)) out.push(l);
  for (const m of gone.manifests) if (!kept.manifests.has(m)) out.push(m);
  for (const f of gone.files) if (!kept.files.has(f)) out.push(f);
  return out;
}

/**
 * Objects under the table location that no metadata reaches (failed writes, lost commit races, expired
 * leftovers) and that are older than `olderThanMs` — younger ones may belong to a commit in progress.
 */
export async function findOrphanFiles(
  storage: Storage,
  io: ManifestIO,
  meta: TableMetadata,
  metadataFiles: string[],
  olderThanMs: number,
): Promise<ObjectInfo[]> {
  const all = await reachable(io, meta, meta.snapshots.map((s) => s['snapshot-id']), false);
  // compare storage keys, not URI spellings (file:/x vs file:///x from other writers)
  const known = new Set<string>();
  const addKnown = (uri: string) => {
    try {
      known.add(storage.key(uri));
    } catch {
      // outside this storage root: cannot be an orphan here
    }
  };
  for (const u of [...all.lists, ...all.manifests, ...all.files, ...metadataFiles]) addKnown(u);
  for (const e of meta['metadata-log']) addKnown(e['metadata-file']);
  const listed = await storage.list(`${meta.location}/`);
  return listed.filter(
    (o) => !known.has(o.key) && !o.key.endsWith('/metadata/version-hint.text') && o.lastModifiedMs < olderThanMs,
  );
}
