// The warehouse storage contract: one root URI (file:///abs/dir or s3://bucket/prefix), objects addressed by a
// key relative to the root or by a full URI under it. Iceberg files are immutable once written, which is what
// lets S3 readers cache them locally forever (localPath) and lets the commit rely on putIfAbsent alone.

export interface ObjectInfo {
  /** key relative to the storage root */
  key: string;
  /** full URI (root + '/' + key) */
  uri: string;
  size: number;
  lastModifiedMs: number;
}

export interface Storage {
  /** normalised root URI, no trailing '/' */
  readonly root: string;
  /** full URI of a key or URI under the root */
  uri(ref: string): string;
  /** key relative to the root of a key or URI under the root */
  key(ref: string): string;

  /** write (replace) an object; readers never see a partial object */
  put(ref: string, body: Uint8Array): Promise<void>;
  /** upload a local file (on fs: copy, or nothing if it already is the target) */
  putFile(ref: string, localFile: string): Promise<void>;
  /** create an object only if none exists; throws AlreadyExistsError otherwise (the commit primitive) */
  putIfAbsent(ref: string, body: Uint8Array): Promise<void>;
  /** whole object; throws NotFoundError */
  get(ref: string): Promise<Buffer>;
  /** `length` bytes from `offset`; throws NotFoundError */
  getRange(ref: string, offset: number, length: number): Promise<Buffer>;
  /** size or null when absent */
  head(ref: string): Promise<{ size: number } | null>;
  /** all objects whose key starts with `prefix` (a key or URI prefix), any depth */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** remove an object; absent objects are not an error */
  delete(ref: string): Promise<void>;

  /** a local file path DuckDB can read for this object (fs: the file itself; S3: a download cache entry) */
  localPath(ref: string): Promise<string>;
  /** where to write a file locally before putFile(ref, ...) (fs: the final path; S3: a cache staging path) */
  stagingPath(ref: string): Promise<string>;
  /** local directory for files derived from objects (S3 downloads, decoded deletion vectors) */
  readonly cacheDir: string;
  /** release clients / sockets */
  close(): Promise<void>;
}

export class StorageError extends Error {
  constructor(message: string, readonly uri: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends StorageError {}

/** putIfAbsent found an existing object: another writer won the race. */
export class AlreadyExistsError extends StorageError {}

/** Join key parts with single '/' separators, refusing '..' segments that would escape the root. */
export function joinKey(...parts: string[]): string {
  const segs = parts.join('/').split('/').filter((s) => s !== '' && s !== '.');
  if (segs.includes('..')) throw new Error(`'..' is not allowed in storage keys: ${parts.join('/')}`);
  return segs.join('/');
}

/** Shared ref → key resolution: accepts a key, or a URI that starts with `root/`. */
export function keyUnder(root: string, ref: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    if (ref === root) return '';
    if (!ref.startsWith(root + '/')) throw new StorageError(`URI is outside storage root ${root}`, ref);
    return joinKey(ref.slice(root.length + 1));
  }
  return joinKey(ref);
}
