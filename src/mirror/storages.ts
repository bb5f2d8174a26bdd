// Where a mirror's Iceberg table lives: the warehouse, or the storage its table_config names (pg_mooncake's
// `iceberg.storage_config`: `fs.root_directory`, or an `s3` bucket/prefix with optional endpoint, region and
// keys). A named storage is treated as a warehouse root: the table goes under <root>/<db>/<schema>/<name>,
// like in the default warehouse. S3 settings not given in table_config come from lakegate's `s3.*` config.
//
// DuckDB may only open files under the directories fixed at start (lockdown), so an `fs` root must lie under
// one of them; S3 files are read through the local cache, which always does.
import { resolve, sep } from 'node:path';
import { FsStorage, S3Storage, type S3Options, type Storage } from '../storage/index.js';
import type { MirrorRecord, MirrorTableConfig } from './registry.js';

export interface StorageSettings {
  /** defaults for S3 storages named in table_config (endpoint, region, keys, path style, cache) */
  s3?: S3Options;
  /** local directory for derived files of fs storages (decoded deletion vectors) */
  cacheDir?: string;
  /** directories DuckDB may read; an fs root outside them is refused. Empty/absent: no check */
  readableDirs?: string[];
}

/** table_config names a storage lakegate cannot use; permanent (the mirror fails with this message) */
export class UnsupportedStorageError extends Error {}

export class MirrorStorages {
  private readonly opened = new Map<string, Storage>();

  constructor(
    readonly warehouse: Storage,
    private readonly settings: StorageSettings = {},
  ) {}

  /** The storage of a mirror (opened once per distinct storage_config). */
  of(rec: Pick<MirrorRecord, 'tableConfig'>): Storage {
    const sc = rec.tableConfig?.iceberg?.storage_config;
    if (!sc) return this.warehouse;
    const key = JSON.stringify(sc);
    let s = this.opened.get(key);
    if (!s) {
      s = this.open(sc);
      this.opened.set(key, s);
    }
    return s;
  }

  private open(sc: NonNullable<NonNullable<MirrorTableConfig['iceberg']>['storage_config']>): Storage {
    if ('fs' in sc) {
      const root = resolve(sc.fs.root_directory);
      const dirs = this.settings.readableDirs ?? [];
      if (dirs.length > 0 && !dirs.some((d) => root === resolve(d) || root.startsWith(resolve(d) + sep))) {
        throw new UnsupportedStorageError(
          `table_config.iceberg.storage_config.fs.root_directory ${root} is not supported: it is outside the directories ` +
            `lakegate's DuckDB may read (${dirs.join(', ')}); use a directory under the warehouse`,
        );
      }
      return new FsStorage(`file://${root}`, this.settings.cacheDir ? { cacheDir: this.settings.cacheDir } : {});
    }
    const s3 = sc.s3;
    const prefix = (s3.prefix ?? '').replace(/^\/+|\/+$/g, '');
    const opts: S3Options = { ...this.settings.s3 };
    if (s3.endpoint) opts.endpoint = s3.endpoint;
    if (s3.region) opts.region = s3.region;
    if (s3.access_key_id) opts.accessKeyId = s3.access_key_id;
    if (s3.secret_access_key) opts.secretAccessKey = s3.secret_access_key;
    return new S3Storage(`s3://${s3.bucket}${prefix ? '/' + prefix : ''}`, opts);
  }

  async close(): Promise<void> {
    for (const s of this.opened.values()) await s.close().catch(() => undefined);
    this.opened.clear();
  }
}
