// Local-filesystem warehouse. URIs are 'file://' + absolute path, not percent-encoded (what Iceberg writers
// and DuckDB's `filename` column use). Writes go to a temp file first; putIfAbsent uses link(2), which fails
// with EEXIST instead of silently replacing like rename(2) would.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  AlreadyExistsError,
  NotFoundError,
  StorageError,
  keyUnder,
  type ObjectInfo,
  type Storage,
} from './storage.js';

/** 'file:///a/b', 'file:/a/b' or '/a/b' → '/a/b' */
export function fileUriToPath(uri: string): string {
  const m = /^file:(\/\/)?(\/.*)$/.exec(uri);
  const p = m ? m[2]! : uri;
  if (!isAbsolute(p)) throw new StorageError('expected an absolute file URI or path', uri);
  return resolve(p);
}

function isErr(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === code;
}

export class FsStorage implements Storage {
  readonly root: string;
  readonly dir: string;
  readonly cacheDir: string;

  constructor(rootUri: string, opts: { cacheDir?: string } = {}) {
    this.dir = fileUriToPath(rootUri);
    this.cacheDir = resolve(opts.cacheDir ?? join(tmpdir(), 'lakegate-cache'));
    this.root = 'file://' + (this.dir === '/' ? '' : this.dir);
  }

  uri(ref: string): string {
    const k = this.key(ref);
    return k === '' ? this.root : `${this.root}/${k}`;
  }

  key(ref: string): string {
    // accept the Hadoop spelling file:/abs as well as file:///abs
    const norm = ref.startsWith('file:/') && !ref.startsWith('file://') ? 'file://' + ref.slice(5) : ref;
    return keyUnder(this.root, norm);
  }

  path(ref: string): string {
    return join(this.dir, this.key(ref));
  }

  private tempBeside(target: string): string {
    return join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
  }

  async put(ref: string, body: Uint8Array): Promise<void> {
    const target = this.path(ref);
    await fsp.mkdir(dirname(target), { recursive: true });
    const tmp = this.tempBeside(target);
    try {
      await fsp.writeFile(tmp, body);
      await fsp.rename(tmp, target);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  }

  async putFile(ref: string, localFile: string): Promise<void> {
    const target = this.path(ref);
    if (resolve(localFile) === target) return;
    await fsp.mkdir(dirname(target), { recursive: true });
    const tmp = this.tempBeside(target);
    try {
      await fsp.copyFile(localFile, tmp);
      await fsp.rename(tmp, target);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  }

  async putIfAbsent(ref: string, body: Uint8Array): Promise<void> {
    const target = this.path(ref);
    await fsp.mkdir(dirname(target), { recursive: true });
    const tmp = this.tempBeside(target);
    try {
      await fsp.writeFile(tmp, body);
      await fsp.link(tmp, target);
    } catch (e) {
      if (isErr(e, 'EEXIST')) throw new AlreadyExistsError('object already exists', this.uri(ref));
      throw e;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  async get(ref: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.path(ref));
    } catch (e) {
      if (isErr(e, 'ENOENT')) throw new NotFoundError('no such object', this.uri(ref), { cause: e });
      throw e;
    }
  }

  async getRange(ref: string, offset: number, length: number): Promise<Buffer> {
    let fh;
    try {
      fh = await fsp.open(this.path(ref), 'r');
    } catch (e) {
      if (isErr(e, 'ENOENT')) throw new NotFoundError('no such object', this.uri(ref), { cause: e });
      throw e;
    }
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  async head(ref: string): Promise<{ size: number } | null> {
    try {
      const st = await fsp.stat(this.path(ref));
      return st.isFile() ? { size: st.size } : null;
    } catch (e) {
      if (isErr(e, 'ENOENT')) return null;
      throw e;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const pre = this.key(prefix);
    // walk only the deepest directory the prefix names
    const cut = pre.lastIndexOf('/');
    const startKey = cut < 0 ? '' : pre.slice(0, cut);
    const out: ObjectInfo[] = [];
    const walk = async (dirKey: string): Promise<void> => {
      let entries;
      try {
        entries = await fsp.readdir(join(this.dir, dirKey), { withFileTypes: true });
      } catch (e) {
        if (isErr(e, 'ENOENT') || isErr(e, 'ENOTDIR')) return;
        throw e;
      }
      for (const ent of entries) {
        const k = dirKey === '' ? ent.name : `${dirKey}/${ent.name}`;
        if (ent.isDirectory()) {
          if (k.startsWith(pre) || pre.startsWith(k + '/')) await walk(k);
        } else if (ent.isFile() && k.startsWith(pre)) {
          const st = await fsp.stat(join(this.dir, k)).catch(() => null);
          if (st) out.push({ key: k, uri: `${this.root}/${k}`, size: st.size, lastModifiedMs: st.mtimeMs });
        }
      }
    };
    await walk(startKey);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(ref: string): Promise<void> {
    await fsp.rm(this.path(ref), { force: true });
  }

  async localPath(ref: string): Promise<string> {
    return this.path(ref);
  }

  async stagingPath(ref: string): Promise<string> {
    const target = this.path(ref);
    await fsp.mkdir(dirname(target), { recursive: true });
    return target;
  }

  async close(): Promise<void> {}
}
