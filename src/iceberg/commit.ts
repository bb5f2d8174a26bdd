// File-system-catalog commit protocol (spec §File System Tables, Java HadoopTableOperations): table state is
// metadata/v<N>.metadata.json; a commit creates v<N+1> with putIfAbsent (link(2) locally, If-None-Match on S3),
// so exactly one of two racing writers wins; version-hint.text is a best-effort pointer readers roll forward from.
import { AlreadyExistsError, NotFoundError, type Storage } from '../storage/storage.js';
import { parseTableMetadata, serializeTableMetadata, type TableMetadata } from './metadata.js';

export const VERSION_HINT = 'version-hint.text';

/** Another writer created the version this commit wanted, or the table moved on in a way the op forbids. */
export class CommitConflictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommitConflictError';
  }
}

export function metadataFileUri(location: string, version: number): string {
  return `${location}/metadata/v${version}.metadata.json`;
}

export function versionFromMetadataUri(uri: string): number | null {
  const m = /\/v(\d+)\.metadata\.json$/.exec(uri);
  return m ? Number(m[1]) : null;
}

async function readHint(storage: Storage, location: string): Promise<number | null> {
  try {
    const n = Number((await storage.get(`${location}/metadata/${VERSION_HINT}`)).toString('utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

/**
 * The newest committed version: start at the hint (or the highest v<N> listed when there is none) and roll
 * forward while v<N+1> exists — the hint is written after the commit and may lag. null: no table here.
 */
export async function findCurrentVersion(storage: Storage, location: string): Promise<number | null> {
  let v = await readHint(storage, location);
  if (v === null || !(await storage.head(metadataFileUri(location, v)))) {
    const listed = await storage.list(`${location}/metadata/`);
    const versions = listed.map((o) => versionFromMetadataUri(o.uri)).filter((x): x is number => x !== null);
    if (versions.length === 0) return null;
    v = Math.max(...versions);
  }
  while (await storage.head(metadataFileUri(location, v + 1))) v++;
  return v;
}

export async function readMetadataVersion(storage: Storage, location: string, version: number): Promise<TableMetadata> {
  return parseTableMetadata((await storage.get(metadataFileUri(location, version))).toString('utf8'));
}

/** Atomically create v<version>; throws CommitConflictError when it already exists. Then move the hint. */
export async function writeMetadataVersion(
  storage: Storage,
  location: string,
  version: number,
  meta: TableMetadata,
): Promise<string> {
  const uri = metadataFileUri(location, version);
  try {
    await storage.putIfAbsent(uri, Buffer.from(serializeTableMetadata(meta)));
  } catch (e) {
    if (e instanceof AlreadyExistsError) throw new CommitConflictError(`${uri} was created by another writer`, { cause: e });
    throw e;
  }
  // best effort: readers roll forward from a stale hint
  await storage.put(`${location}/metadata/${VERSION_HINT}`, Buffer.from(String(version))).catch(() => undefined);
  return uri;
}
