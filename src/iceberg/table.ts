// IcebergTable: one path-based (file-system catalog) Iceberg v2 or v3 table on a Storage. Every change — a snapshot,
// a schema change, property edits, snapshot expiry — is a new metadata version committed atomically
// (commit.ts); a lost race reloads the table and rebuilds the change on the new state.
import type { DuckDBConnection } from '@duckdb/node-api';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { log } from '../log.js';
import type { ObjectInfo, Storage } from '../storage/storage.js';
import {
  CommitConflictError,
  findCurrentVersion,
  metadataFileUri,
  readMetadataVersion,
  writeMetadataVersion,
} from './commit.js';
import { filesFreedByExpiry, findOrphanFiles, snapshotsToExpire, withoutSnapshots, type ExpireOptions } from './maintenance.js';
import { dropVectorCache, materialiseDeletionVector, writeDeletionVectors, type VectorRef, type WrittenVector } from './deletion-vectors.js';
import type { DataFile } from './manifest.js';
import { ManifestIO } from './manifest-io.js';
import {
  currentSchema,
  currentSnapshot,
  newSnapshotId,
  newTableMetadata,
  type Snapshot,
  type TableMetadata,
} from './metadata.js';
import { writeParquetFromDuckDB, type ParquetWriteOptions, type WrittenFile } from './parquet.js';
import { writePositionDeletesFromDuckDB } from './position-deletes.js';
import { buildScanSql, readFileLayouts } from './read.js';
import { planScan, type ScanPlan } from './scan.js';
import { buildSchema, type FieldSpec, type Schema } from './schema.js';
import { applySchemaChanges, sameSchemaStructure, type SchemaChange } from './schema-update.js';
import { produceSnapshot, type TableChanges } from './snapshot-producer.js';

export interface CreateTableOptions {
  properties?: Record<string, string>;
  /** 2 (default: position-delete files) or 3 (deletion vectors, row lineage) */
  formatVersion?: 2 | 3;
  /** with a FieldSpec[] schema: top-level columns forming the row identity (made required) */
  identifierFields?: string[];
}

export interface CommitOptions extends TableChanges {
  /** checked against the table state before every attempt; throw to abort (e.g. a newer flush LSN) */
  validate?: (base: TableMetadata) => void;
  /** attempts after losing a commit race (default 3) */
  retries?: number;
}

export interface ExpireResult {
  expiredSnapshotIds: bigint[];
  /** files no retained snapshot needs; delete them (deleteFiles) once running queries are done */
  filesToDelete: string[];
}

const log_ = log.child({ mod: 'iceberg' });

const DEFAULT_PROPERTIES: Record<string, string> = {
  // lakegate commits every flush: keep the metadata directory bounded
  'write.metadata.delete-after-commit.enabled': 'true',
  'write.metadata.previous-versions-max': '100',
};

export class IcebergTable {
  private commitChain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly storage: Storage,
    readonly location: string,
    public metadata: TableMetadata,
    /** N of the metadata/v<N>.metadata.json this object reflects */
    public version: number,
    readonly io: ManifestIO,
  ) {}

  /** Create a new table (v1.metadata.json, no snapshot). Throws if a table exists at `location`. */
  static async create(
    storage: Storage,
    location: string,
    schema: Schema | FieldSpec[],
    opts: CreateTableOptions = {},
  ): Promise<IcebergTable> {
    const loc = normaliseLocation(storage, location);
    if ((await findCurrentVersion(storage, loc)) !== null) throw new Error(`an Iceberg table already exists at ${loc}`);
    const s = Array.isArray(schema) ? buildSchema(schema, { identifierFields: opts.identifierFields }) : schema;
    const meta = newTableMetadata({
      location: loc,
      schema: s,
      properties: { ...DEFAULT_PROPERTIES, ...opts.properties },
      formatVersion: opts.formatVersion ?? 2,
    });
    await writeMetadataVersion(storage, loc, 1, meta);
    return new IcebergTable(storage, loc, meta, 1, new ManifestIO(storage));
  }

  /** Load the newest committed version at `location`. */
  static async load(storage: Storage, location: string): Promise<IcebergTable> {
    const loc = normaliseLocation(storage, location);
    const v = await findCurrentVersion(storage, loc);
    if (v === null) throw new Error(`no Iceberg table at ${loc}`);
    return new IcebergTable(storage, loc, await readMetadataVersion(storage, loc, v), v, new ManifestIO(storage));
  }

  static async exists(storage: Storage, location: string): Promise<boolean> {
    return (await findCurrentVersion(storage, normaliseLocation(storage, location))) !== null;
  }

  get metadataUri(): string {
    return metadataFileUri(this.location, this.version);
  }
  get schema(): Schema {
    return currentSchema(this.metadata);
  }
  get currentSnapshot(): Snapshot | null {
    return currentSnapshot(this.metadata);
  }
  get properties(): Record<string, string> {
    return this.metadata.properties;
  }
  get formatVersion(): 2 | 3 {
    return this.metadata['format-version'];
  }

  /** Pick up commits made by other writers. Returns true when the version changed. */
  async refresh(): Promise<boolean> {
    const v = await findCurrentVersion(this.storage, this.location);
    if (v === null) throw new Error(`Iceberg table at ${this.location} disappeared`);
    if (v === this.version) return false;
    this.metadata = await readMetadataVersion(this.storage, this.location, v);
    this.version = v;
    return true;
  }

  /**
   * Commit a new snapshot: add data / position-delete files, mark files DELETED, with summary properties.
   * Returns the new snapshot. Throws CommitConflictError when retries run out or a removed file is gone.
   */
  commit(op: CommitOptions): Promise<Snapshot> {
    return this.serialised(async () => {
      let snapshot: Snapshot | undefined;
      // one id for all attempts: if a metadata write failed ambiguously (S3 timeout after the PUT landed), the
      // reloaded table shows whether this snapshot is in it, instead of committing the same files twice
      const snapshotId = newSnapshotId(this.metadata);
      const landed = (m: TableMetadata) => m.snapshots.find((s) => s['snapshot-id'] === snapshotId);
      await this.commitUpdate(
        async (base) => {
          op.validate?.(base);
          const p = await produceSnapshot(this.io, base, op, snapshotId);
          snapshot = p.snapshot;
          return { metadata: p.metadata, writtenFiles: p.writtenFiles };
        },
        op.retries ?? 3,
        (m) => {
          const s = landed(m);
          if (s) snapshot = s;
          return s !== undefined;
        },
      );
      log_.debug({ location: this.location, snapshot: snapshot!['snapshot-id'].toString(), version: this.version }, 'committed snapshot');
      return snapshot!;
    });
  }

  /** Evolve the schema (add/drop/rename/promote columns); returns the new current schema. */
  updateSchema(changes: SchemaChange[]): Promise<Schema> {
    return this.serialised(async () => {
      await this.commitUpdate(async (base) => {
        const cur = currentSchema(base);
        const newId = Math.max(...base.schemas.map((s) => s['schema-id'])) + 1;
        const { schema, lastColumnId } = applySchemaChanges(cur, base['last-column-id'], changes, newId);
        if (sameSchemaStructure(schema, cur)) return { metadata: base };
        return {
          metadata: {
            ...base,
            'last-updated-ms': Date.now(),
            schemas: [...base.schemas, schema],
            'current-schema-id': newId,
            'last-column-id': lastColumnId,
          },
        };
      }, 3);
      return this.schema;
    });
  }

  /** Set and remove table properties. */
  setProperties(set: Record<string, string>, remove: string[] = []): Promise<void> {
    return this.serialised(() =>
      this.commitUpdate(async (base) => {
        const properties = { ...base.properties, ...set };
        for (const k of remove) delete properties[k];
        return { metadata: { ...base, 'last-updated-ms': Date.now(), properties } };
      }, 3),
    );
  }

  /** Live data files and applicable delete files of the current (or given) snapshot. */
  planScan(snapshotId?: bigint): Promise<ScanPlan> {
    return planScan(this.io, this.metadata, snapshotId);
  }

  /**
   * Local paths (download cache on S3) for every file of a plan, for buildScanSql / read_parquet, keyed by
   * ScanDataFile.path / ScanDeleteFile.path. A deletion vector maps to its (file_path, pos) Parquet
   * materialisation, which needs `conn`.
   */
  async localPaths(plan: ScanPlan, conn?: DuckDBConnection): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const files = plan.dataFiles.map((f) => f.path);
    const deletes = plan.deleteFiles.filter((d) => !d.vector).map((d) => d.path);
    const uris = [...files, ...deletes];
    const paths = await Promise.all(uris.map((u) => this.storage.localPath(u)));
    uris.forEach((u, i) => out.set(u, paths[i]!));
    for (const d of plan.deleteFiles) {
      if (!d.vector) continue;
      if (!conn) throw new Error('reading deletion vectors needs a DuckDB connection');
      out.set(d.path, await materialiseDeletionVector(conn, this.storage, d.vector, d.referencedDataFile!));
    }
    return out;
  }

  /**
   * Plan, fetch files locally and return the DuckDB SELECT reading the table's rows. With `conn`, file
   * layouts are read once per file for the fast field-id mapping (read.ts).
   */
  async scanSql(o: { conn?: DuckDBConnection; snapshotId?: bigint } = {}): Promise<string> {
    const plan = await this.planScan(o.snapshotId);
    const localPaths = await this.localPaths(plan, o.conn);
    const layouts = o.conn
      ? await readFileLayouts(o.conn, plan.dataFiles.map((f) => localPaths.get(f.path)!))
      : undefined;
    return buildScanSql(plan, { localPaths, ...(layouts ? { layouts } : {}) });
  }

  /** Drop old snapshots from the metadata (committed); returns the files only they referenced. */
  expireSnapshots(o: ExpireOptions = {}): Promise<ExpireResult> {
    return this.serialised(async () => {
      let result: ExpireResult = { expiredSnapshotIds: [], filesToDelete: [] };
      await this.commitUpdate(async (base) => {
        const expired = snapshotsToExpire(base, o);
        result = { expiredSnapshotIds: [...expired], filesToDelete: [] };
        if (expired.size === 0) return { metadata: base };
        result.filesToDelete = await filesFreedByExpiry(this.io, base, expired);
        return { metadata: withoutSnapshots(base, expired) };
      }, 3);
      return result;
    });
  }

  /** Files under the table location that no metadata references and that are older than `olderThanMs`. */
  async listOrphanFiles(o: { olderThanMs?: number } = {}): Promise<ObjectInfo[]> {
    await this.refresh();
    const metadataFiles: string[] = [];
    for (let v = 1; v <= this.version; v++) metadataFiles.push(metadataFileUri(this.location, v));
    // metadata versions that fell off the metadata-log are orphans too; keep only the logged ones
    const logged = new Set([...this.metadata['metadata-log'].map((e) => e['metadata-file']), this.metadataUri]);
    return findOrphanFiles(
      this.storage,
      this.io,
      this.metadata,
      metadataFiles.filter((u) => logged.has(u)),
      o.olderThanMs ?? Date.now() - 24 * 3600_000,
    );
  }

  async deleteFiles(uris: Iterable<string>): Promise<void> {
    const all = [...uris];
    for (let i = 0; i < all.length; i += 16) await Promise.all(all.slice(i, i + 16).map((u) => this.storage.delete(u)));
    for (const u of all) if (u.endsWith('.puffin')) await dropVectorCache(this.storage, u);
  }

  /** A fresh URI under <location>/data/ */
  newFileUri(suffix: '.parquet' | '-deletes.parquet' = '.parquet'): string {
    return `${this.location}/data/${randomUUID()}${suffix}`;
  }

  /** Write the rows of `selectSql` (columns named as the current schema) as a data file in the table. */
  async writeDataFile(conn: DuckDBConnection, selectSql: string, opts: ParquetWriteOptions = {}): Promise<DataFile> {
    const uri = this.newFileUri('.parquet');
    return this.writeVia(uri, (local) => writeParquetFromDuckDB(conn, selectSql, local, this.schema, opts));
  }

  /**
   * v3: write (file_path, pos) rows of `selectSql` as deletion vectors (one Puffin file), each merged with the
   * data file's current vector. Commit `written[].file` as addDeleteFiles and `replaced` as removeDeleteFiles.
   */
  async writeDeletionVectors(conn: DuckDBConnection, selectSql: string): Promise<{ written: WrittenVector[]; replaced: string[] }> {
    if (this.formatVersion < 3) throw new Error('deletion vectors need a format-version 3 table');
    const plan = await this.planScan();
    const current = new Map<string, VectorRef>();
    for (const d of plan.deleteFiles) if (d.vector && d.referencedDataFile) current.set(d.referencedDataFile, d.vector);
    return writeDeletionVectors(conn, this.storage, `${this.location}/data/${randomUUID()}-deletes.puffin`, selectSql, current);
  }

  /** Write (file_path, pos) rows of `selectSql` as a position-delete file in the table (v2). */
  async writePositionDeleteFile(conn: DuckDBConnection, selectSql: string, opts: ParquetWriteOptions = {}): Promise<DataFile> {
    if (this.formatVersion >= 3) throw new Error('format-version 3 tables take deletes as deletion vectors');
    const uri = this.newFileUri('-deletes.parquet');
    return this.writeVia(uri, (local) => writePositionDeletesFromDuckDB(conn, selectSql, local, opts));
  }

  private async writeVia(uri: string, write: (local: string) => Promise<WrittenFile>): Promise<DataFile> {
    const local = await this.storage.stagingPath(uri);
    try {
      const written = await write(local);
      await this.storage.putFile(uri, local);
      return { ...written, filePath: uri };
    } catch (e) {
      await rm(local, { force: true });
      throw e;
    }
  }

  // ---- commit machinery -------------------------------------------------------------------------------------

  /** Run table mutations of this object one at a time (the flush loop and maintenance may overlap). */
  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.commitChain.then(fn, fn);
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Build a new metadata version from the current one and write it atomically; after a lost race reload and
   * rebuild. `landed(reloaded)` tells whether an earlier attempt of this same change is in fact committed.
   */
  private async commitUpdate(
    build: (base: TableMetadata) => Promise<{ metadata: TableMetadata; writtenFiles?: string[] }>,
    retries: number,
    landed?: (reloaded: TableMetadata) => boolean,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const base = this.metadata;
      const { metadata, writtenFiles = [] } = await build(base);
      if (metadata === base) return; // nothing to change
      const { next, dropped } = this.withMetadataLog(base, metadata);
      try {
        await writeMetadataVersion(this.storage, this.location, this.version + 1, next);
      } catch (e) {
        if (!(e instanceof CommitConflictError)) {
          // outcome unknown: believe the storage, not the error
          if (landed && (await this.refresh().catch(() => false)) && landed(this.metadata)) return;
          throw e;
        }
        await this.refresh();
        if (landed?.(this.metadata)) return;
        await this.deleteFiles(writtenFiles).catch(() => undefined);
        if (attempt >= retries) throw e;
        log_.info({ location: this.location, version: this.version + 1, attempt }, 'lost a commit race; retrying on the new table state');
        continue;
      }
      this.metadata = next;
      this.version++;
      if (dropped.length > 0 && next.properties['write.metadata.delete-after-commit.enabled'] === 'true') {
        await this.deleteFiles(dropped).catch((err: unknown) => log_.warn({ err }, 'could not delete old metadata files'));
      }
      return;
    }
  }

  /** Record the version being replaced in metadata-log, keeping write.metadata.previous-versions-max entries. */
  private withMetadataLog(base: TableMetadata, next: TableMetadata): { next: TableMetadata; dropped: string[] } {
    const max = Number(next.properties['write.metadata.previous-versions-max'] ?? '100');
    const entries = [...base['metadata-log'], { 'timestamp-ms': base['last-updated-ms'], 'metadata-file': this.metadataUri }];
    const cut = Math.max(0, entries.length - Math.max(1, max));
    return {
      next: { ...next, 'metadata-log': entries.slice(cut) },
      dropped: entries.slice(0, cut).map((e) => e['metadata-file']),
    };
  }
}

function normaliseLocation(storage: Storage, location: string): string {
  const loc = location.replace(/\/+$/, '');
  return storage.uri(storage.key(loc)); // throws when outside the storage root; canonical spelling
}
