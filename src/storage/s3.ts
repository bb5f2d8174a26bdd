// S3 (or S3-compatible) warehouse through @aws-sdk/client-s3. DuckDB here has no httpfs, so localPath()
// downloads an object once into a local cache keyed by its URI; Iceberg files never change after they are
// written, so a cached copy never goes stale (do not use localPath for version-hint.text).
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  AbortMultipartUploadCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  AlreadyExistsError,
  NotFoundError,
  StorageError,
  joinKey,
  keyUnder,
  type ObjectInfo,
  type Storage,
} from './storage.js';

export interface S3Options {
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  forcePathStyle?: boolean;
  /** local directory for localPath() downloads and upload staging (default: <tmpdir>/lakegate-s3-cache) */
  cacheDir?: string;
  /** files above this size are uploaded in parts (default 64 MiB) */
  multipartThreshold?: number;
  partSize?: number;
}

const MiB = 1024 * 1024;

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string } | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatus(e) === 404;
}

/** 's3://bucket/prefix' → { bucket, prefix } */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new StorageError('expected s3://bucket/prefix', uri);
  return { bucket: m[1]!, prefix: joinKey(m[2]!) };
}

export class S3Storage implements Storage {
  readonly root: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  readonly cacheDir: string;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly downloads = new Map<string, Promise<string>>();

  constructor(rootUri: string, opts: S3Options = {}) {
    const { bucket, prefix } = parseS3Uri(rootUri);
    this.bucket = bucket;
    this.prefix = prefix;
    this.root = prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`;
    const cfg: S3ClientConfig = {
      region: opts.region ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? false,
      // SDK-default flexible checksums store streamed PutObject bodies with aws-chunked framing on some
      // S3-compatible servers (iceberg.md §12); only send checksums where the API requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (opts.endpoint) cfg.endpoint = opts.endpoint;
    if (opts.accessKeyId && opts.secretAccessKey) {
      cfg.credentials = {
        accessKeyId: opts.accessKeyId,
        secretAccessKey: opts.secretAccessKey,
        ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}),
      };
    }
    this.client = new S3Client(cfg);
    this.cacheDir = resolve(opts.cacheDir ?? join(tmpdir(), 'lakegate-s3-cache'));
    this.multipartThreshold = opts.multipartThreshold ?? 64 * MiB;
    this.partSize = Math.max(opts.partSize ?? 16 * MiB, 5 * MiB);
  }

  uri(ref: string): string {
    const k = this.key(ref);
    return k === '' ? this.root : `${this.root}/${k}`;
  }

  key(ref: string): string {
    return keyUnder(this.root, ref.startsWith('s3a://') ? 's3://' + ref.slice(6) : ref);
  }

  /** the S3 object key (prefix + key) */
  private objectKey(ref: string): string {
    const k = this.key(ref);
    return this.prefix === '' ? k : k === '' ? this.prefix : `${this.prefix}/${k}`;
  }

  private cachePath(ref: string): string {
    return join(this.cacheDir, this.bucket, ...this.objectKey(ref).split('/'));
  }

  async put(ref: string, body: Uint8Array): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(ref), Body: body }));
  }

  async putFile(ref: string, localFile: string): Promise<void> {
    const size = (await fsp.stat(localFile)).size;
    if (size <= this.multipartThreshold) {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(ref),
          Body: createReadStream(localFile),
          ContentLength: size,
        }),
      );
    } else {
      await this.multipartUpload(ref, localFile, size);
    }
    // a file staged by stagingPath() becomes the cache entry: no download when DuckDB reads it back
    const staged = resolve(localFile);
    if (staged.startsWith(join(this.cacheDir, '.staging') + '/')) {
      const target = this.cachePath(ref);
      await fsp.mkdir(dirname(target), { recursive: true });
      await fsp.rename(staged, target);
    }
  }

  private async multipartUpload(ref: string, localFile: string, size: number): Promise<void> {
    const Key = this.objectKey(ref);
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
    if (!UploadId) throw new StorageError('CreateMultipartUpload returned no UploadId', this.uri(ref));
    const fh = await fsp.open(localFile, 'r');
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let off = 0, n = 1; off < size; off += this.partSize, n++) {
        const len = Math.min(this.partSize, size - off);
        const buf = Buffer.alloc(len);
        await fh.read(buf, 0, len, off);
        const r = await this.client.send(
          new UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber: n, Body: buf }),
        );
        parts.push({ ETag: r.ETag ?? '', PartNumber: n });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (e) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
        .catch(() => undefined);
      throw e;
    } finally {
      await fh.close();
    }
  }

  async putIfAbsent(ref: string, body: Uint8Array): Promise<void> {
    // Conditional PUT (If-None-Match: *) is the real guard (AWS since 2024-08, MinIO). Some S3 emulators
    // ignore the header (s3rver), so look first as well: that narrows the race to the PUT round trip there.
    if (await this.head(ref)) throw new AlreadyExistsError('object already exists', this.uri(ref));
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.objectKey(ref), Body: body, IfNoneMatch: '*' }),
      );
    } catch (e) {
      const st = httpStatus(e);
      if (st === 412 || st === 409) throw new AlreadyExistsError('object already exists', this.uri(ref), { cause: e });
      throw e;
    }
  }

  private async getObject(ref: string, range?: string): Promise<Buffer> {
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(ref), ...(range ? { Range: range } : {}) }),
      );
      if (!r.Body) return Buffer.alloc(0);
      return Buffer.from(await r.Body.transformToByteArray());
    } catch (e) {
      if (isNotFound(e)) throw new NotFoundError('no such object', this.uri(ref), { cause: e });
      throw e;
    }
  }

  get(ref: string): Promise<Buffer> {
    return this.getObject(ref);
  }

  async getRange(ref: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    return this.getObject(ref, `bytes=${offset}-${offset + length - 1}`);
  }

  async head(ref: string): Promise<{ size: number } | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(ref) }));
      return { size: r.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const objPrefix = this.objectKey(prefix);
    const rootPrefix = this.prefix === '' ? '' : this.prefix + '/';
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objPrefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key || !o.Key.startsWith(rootPrefix)) continue;
        const key = o.Key.slice(rootPrefix.length);
        out.push({ key, uri: `${this.root}/${key}`, size: o.Size ?? 0, lastModifiedMs: o.LastModified?.getTime() ?? 0 });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(ref: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(ref) }));
    await fsp.rm(this.cachePath(ref), { force: true });
  }

  localPath(ref: string): Promise<string> {
    const target = this.cachePath(ref);
    const pending = this.downloads.get(target);
    if (pending) return pending;
    const p = this.download(ref, target).finally(() => this.downloads.delete(target));
    this.downloads.set(target, p);
    return p;
  }

  private async download(ref: string, target: string): Promise<string> {
    if (await fsp.stat(target).then((s) => s.isFile(), () => false)) return target;
    const tmp = await this.stagingPath(ref);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(ref) }));
      if (!r.Body) throw new StorageError('GetObject returned no body', this.uri(ref));
      await pipeline(r.Body as Readable, createWriteStream(tmp));
      await fsp.mkdir(dirname(target), { recursive: true });
      await fsp.rename(tmp, target);
      return target;
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      if (isNotFound(e)) throw new NotFoundError('no such object', this.uri(ref), { cause: e });
      throw e;
    }
  }

  async stagingPath(ref: string): Promise<string> {
    const dir = join(this.cacheDir, '.staging');
    await fsp.mkdir(dir, { recursive: true });
    return join(dir, `${randomBytes(6).toString('hex')}-${basename(this.objectKey(ref))}`);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
