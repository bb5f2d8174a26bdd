// Storage factory: pick the implementation from the warehouse root URI's scheme.
import { FsStorage } from './fs.js';
import { S3Storage, type S3Options } from './s3.js';
import { StorageError, type Storage } from './storage.js';

export * from './storage.js';
export { FsStorage, fileUriToPath } from './fs.js';
export { S3Storage, parseS3Uri, type S3Options } from './s3.js';

export interface StorageOptions {
  s3?: S3Options;
  /** local directory for derived files (default: the S3 cacheDir, else <tmpdir>/lakegate-cache) */
  cacheDir?: string;
}

/** `file:///abs/dir` (or a plain absolute path) → FsStorage; `s3://bucket/prefix` → S3Storage. */
export function openStorage(rootUri: string, opts: StorageOptions = {}): Storage {
  const cacheDir = opts.cacheDir ?? opts.s3?.cacheDir;
  if (rootUri.startsWith('file:') || rootUri.startsWith('/')) return new FsStorage(rootUri, cacheDir ? { cacheDir } : {});
  if (rootUri.startsWith('s3://') || rootUri.startsWith('s3a://')) {
    const s3 = { ...opts.s3, ...(cacheDir ? { cacheDir } : {}) };
    return new S3Storage(rootUri.startsWith('s3a://') ? 's3://' + rootUri.slice(6) : rootUri, s3);
  }
  throw new StorageError('unsupported storage URI scheme (expected file:// or s3://)', rootUri);
}
