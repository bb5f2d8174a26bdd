// Background maintenance of a mirror's Iceberg table. Readers never see a half-done state: each step is one
// Iceberg commit plus (for compaction) one DuckDB swap between source transactions.
//
// * compaction: small data files, and files whose deleted fraction is high, are rewritten into one file with
//   their committed deletes applied; delete files that only name rewritten files are dropped. The logical
//   content and the flush LSN do not change (operation 'replace'). Pending positions (lg_delpos) on rewritten
//   files are renumbered in the swap: new pos = offset of the file in the output + pos − committed deletes
//   before pos in that file. Files written before an ADD COLUMN with a default are rewritten too: lakegate
//   reads the default for them from a table property, other engines (Iceberg v2 has no initial-default) would
//   read NULL until the value is in the file.
// * expiry: snapshots older than the retention (but always the last two) are dropped and files only they
//   needed are deleted.
// * orphans: files under the table that no snapshot references, older than the orphan age (a failed flush or
//   copy, a crash between writing and committing), are deleted — except files a running copy still writes.
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent as q, quoteLiteral, readFileLayouts } from '../iceberg/index.js';
import { log } from '../log.js';
import { baseDataFile, baseSchemaParam, type BaseDataFile, type BaseState } from './base.js';
import { failpoint } from './failpoint.js';
import { MirrorStateLostError, type ApplyGate } from './gate.js';
import type { MirrorState } from './mirror-state.js';

const log_ = log.child({ mod: 'maintenance' });

export interface CompactionOptions {
  minFiles: number;
  /**
   * a file with this many rows is not small whatever its size (the initial copy's files): rewriting a freshly
   * copied table only to reach targetBytes would cost a second copy's work and memory for no reader benefit
   */
  bigFileRows?: number;
  targetBytes: number;
  deletedRatio: number;
  /**
   * 'auto' (background): at least minFiles small files, or files with deletedRatio; 'data' (optimize_table
   * 'data'): every small file and every file with deletes; 'full': every file, regrouped to targetBytes
   */
  mode?: 'auto' | 'data' | 'full';
}

export interface CompactionResult {
  rewrittenFiles: number;
  removedDeleteFiles: number;
  rows: number;
  ms: number;
}

const list = (xs: string[]) => `[${xs.map(quoteLiteral).join(', ')}]`;

async function rows<T>(conn: DuckDBConnection, sql: string): Promise<T[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS() as T[];
}

/** positions deleted per data file (local path) by the committed delete files of `base` */
async function deletesPerFile(conn: DuckDBConnection, base: BaseState): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (base.deleteFiles.length === 0) return out;
  const files = base.dataFiles.map((f) => `(${quoteLiteral(f.uri)}, ${quoteLiteral(f.local)})`).join(', ');
  const r = await rows<{ local: string; n: bigint }>(
    conn,
    `SELECT f.local, count(*) AS n FROM read_parquet(${list(base.deleteFiles.map((d) => d.local))}) x ` +
      `JOIN (VALUES ${files}) f(uri, local) ON f.uri = x.file_path GROUP BY f.local`,
  );
  for (const x of r) out.set(x.local, Number(x.n));
  return out;
}

/** local paths of data files that lack a column with an initial default (written before its ADD COLUMN) */
async function filesMissingDefaults(conn: DuckDBConnection, base: BaseState): Promise<Set<string>> {
  const ids = Object.keys(base.defaults ?? {})
    .map(Number)
    .filter((id) => base.schema.fields.some((f) => f.id === id));
  if (ids.length === 0 || base.dataFiles.length === 0) return new Set();
  const layouts = await readFileLayouts(conn, base.dataFiles.map((f) => f.local));
  return new Set(base.dataFiles.filter((f) => ids.some((id) => !layouts.get(f.local)?.has(id))).map((f) => f.local));
}

/** groups of files to rewrite together (each about one target file), smallest first */
function plan(base: BaseState, dels: Map<string, number>, missingDefaults: Set<string>, o: CompactionOptions): BaseDataFile[][] {
  const mode = o.mode ?? 'auto';
  const hasDeletes = (f: BaseDataFile) => (dels.get(f.local) ?? 0) > 0;
  const mustRewrite = (f: BaseDataFile) => hasDeletes(f) || missingDefaults.has(f.local);
  let chosen: BaseDataFile[];
  if (mode === 'full') {
    chosen = base.dataFiles;
  } else {
    const small = base.dataFiles.filter((f) => f.sizeBytes < o.targetBytes / 4 && f.recordCount < (o.bigFileRows ?? Infinity));
    const ratio = mode === 'data' ? 1e-12 : o.deletedRatio;
    const heavy = base.dataFiles.filter((f) => f.recordCount > 0 && (dels.get(f.local) ?? 0) / f.recordCount >= ratio);
    const set = new Map<string, BaseDataFile>();
    if (small.length >= (mode === 'data' ? 2 : o.minFiles)) for (const f of small) set.set(f.local, f);
    for (const f of heavy) set.set(f.local, f);
    for (const f of base.dataFiles) if (missingDefaults.has(f.local)) set.set(f.local, f);
    chosen = [...set.values()];
  }
  const sorted = [...chosen].sort((a, b) => a.sizeBytes - b.sizeBytes);
  const groups: BaseDataFile[][] = [];
  let cur: BaseDataFile[] = [];
  let bytes = 0;
  for (const f of sorted) {
    if (cur.length > 0 && bytes + f.sizeBytes > o.targetBytes) {
      groups.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += f.sizeBytes;
  }
  if (cur.length) groups.push(cur);
  // a lone file without deletes or missing defaults gains nothing from a rewrite
  return groups.filter((g) => g.length > 1 || mustRewrite(g[0]!));
}

/** Compact one mirror: rewrite each planned group. The caller guarantees no flush of it runs meanwhile. */
export async function compactMirror(
  gate: ApplyGate,
  conn: DuckDBConnection,
  st: MirrorState,
  o: CompactionOptions,
  alive: () => boolean = () => true,
): Promise<CompactionResult | null> {
  if (st.base.dataFiles.length === 0) return null;
  const groups = plan(st.base, await deletesPerFile(conn, st.base), await filesMissingDefaults(conn, st.base), o);
  let total: CompactionResult | null = null;
  for (const g of groups) {
    if (!alive()) break;
    const r = await rewriteGroup(gate, conn, st, g, alive);
    total = total
      ? { rewrittenFiles: total.rewrittenFiles + r.rewrittenFiles, removedDeleteFiles: total.removedDeleteFiles + r.removedDeleteFiles, rows: total.rows + r.rows, ms: total.ms + r.ms }
      : r;
  }
  return total;
}

/** Rewrite `chosen` (live files of st.base) into one data file and swap it in. */
async function rewriteGroup(gate: ApplyGate, conn: DuckDBConnection, st: MirrorState, chosen: BaseDataFile[], alive: () => boolean): Promise<CompactionResult> {
  const started = Date.now();
  const t = st.table;
  const base = st.base;
  const dels = await deletesPerFile(conn, base);
  const table = st.iceberg;
  const chosenSet = new Set(chosen.map((f) => f.local));
  const idx = chosen.map((f, i) => `(${quoteLiteral(f.local)}, ${i}, ${quoteLiteral(f.uri)})`).join(', ');
  const dataFiles = base.dataFiles.map((f) => `(${quoteLiteral(f.uri)}, ${quoteLiteral(f.local)})`).join(', ');
  // committed deletes on the chosen files, by local path
  const committed = base.deleteFiles.length
    ? `SELECT f.local AS local, x.pos AS pos FROM read_parquet(${list(base.deleteFiles.map((d) => d.local))}) x ` +
      `JOIN (VALUES ${dataFiles}) f(uri, local) ON f.uri = x.file_path`
    : `SELECT NULL::VARCHAR AS local, NULL::BIGINT AS pos WHERE false`;
  const live =
    `SELECT ${t.cols('d')} FROM read_parquet(${list(chosen.map((f) => f.local))}, filename = true, file_row_number = true, ` +
    `schema = ${baseSchemaParam(base)}) d ` +
    `JOIN (VALUES ${idx}) s(local, i, uri) ON s.local = d.filename ` +
    `ANTI JOIN (${committed}) c ON c.local = d.filename AND c.pos = d.file_row_number ` +
    `ORDER BY s.i, d.file_row_number`;
  const written = await table.writeDataFile(conn, live);
  // offsets of each chosen file in the output
  const offsets: number[] = [];
  let acc = 0;
  for (const f of chosen) {
    offsets.push(acc);
    acc += f.recordCount - (dels.get(f.local) ?? 0);
  }
  if (acc !== written.recordCount) {
    await table.deleteFiles([written.filePath]).catch(() => undefined);
    throw new Error(`${t.spec.name}: compaction wrote ${written.recordCount} rows, expected ${acc}`);
  }
  // delete files whose every target is rewritten
  const removeDeletes: string[] = [];
  if (base.deleteFiles.length) {
    const targets = await rows<{ filename: string; files: string[] }>(
      conn,
      `SELECT filename, list(DISTINCT file_path) AS files FROM read_parquet(${list(base.deleteFiles.map((d) => d.local))}, filename = true) GROUP BY filename`,
    );
    const uriToLocal = new Map(base.dataFiles.map((f) => [f.uri, f.local]));
    for (const d of base.deleteFiles) {
      const tg = targets.find((x) => x.filename === d.local);
      if (tg && tg.files.every((u) => chosenSet.has(uriToLocal.get(u) ?? ''))) removeDeletes.push(d.uri);
    }
  }
  const snapshot = await table.commit({
    addDataFiles: [written],
    removeDataFiles: chosen.map((f) => f.uri),
    removeDeleteFiles: removeDeletes,
    operation: 'replace',
    summary: {
      'lakegate.flush-lsn': table.currentSnapshot?.summary['lakegate.flush-lsn'] ?? '0/0',
      'lakegate.row-count': table.currentSnapshot?.summary['lakegate.row-count'] ?? String(st.baseRows),
    },
    validate: (m) => {
      if (m['current-snapshot-id'] !== base.snapshotId) throw new Error(`${t.spec.name}: table changed under compaction`);
    },
  });
  failpoint('after-compaction-commit');
  try {
    const newLocal = await table.storage.localPath(written.filePath);
    const removedDel = new Set(removeDeletes);
    const newBase: BaseState = {
      ...base,
      snapshotId: snapshot['snapshot-id'],
      dataFiles: [
        ...base.dataFiles.filter((f) => !chosenSet.has(f.local)),
        baseDataFile(written, newLocal, snapshot['sequence-number']),
      ],
      deleteFiles: base.deleteFiles.filter((d) => !removedDel.has(d.uri)),
    };
    await gate.exclusive(async (c) => {
      if (!alive()) return; // replaced by a resync: same content in Iceberg, these tables are not ours
      const off = chosen.map((f, i) => `(${quoteLiteral(f.local)}, ${offsets[i]})`).join(', ');
      await c.run(
        `UPDATE ${q(t.delpos)} SET _lg_local = ${quoteLiteral(newLocal)}, _lg_pos = m.newpos FROM (` +
          `SELECT dp._lg_local AS l, dp._lg_pos AS p, o.off + dp._lg_pos - ` +
          `(SELECT count(*) FROM (${committed}) cd WHERE cd.local = dp._lg_local AND cd.pos < dp._lg_pos) AS newpos ` +
          `FROM ${q(t.delpos)} dp JOIN (VALUES ${off}) o(local, off) ON o.local = dp._lg_local) m ` +
          `WHERE ${q(t.delpos)}._lg_local = m.l AND ${q(t.delpos)}._lg_pos = m.p`,
      );
      st.base = newBase;
      await c.run(t.viewSql(newBase, { truncated: st.truncateLsn !== null }));
    });
  } catch (e) {
    throw new MirrorStateLostError(`${t.spec.name}: compaction committed but the swap failed`, { cause: e });
  }
  const res = { rewrittenFiles: chosen.length, removedDeleteFiles: removeDeletes.length, rows: written.recordCount, ms: Date.now() - started };
  log_.info({ mirror: t.spec.name, ...res }, 'compacted');
  return res;
}

/** Expire old snapshots and delete the files only they referenced. */
export async function expireSnapshots(st: MirrorState, retentionMs: number): Promise<number> {
  const r = await st.iceberg.expireSnapshots({ olderThanMs: Date.now() - retentionMs, retainLast: 2 });
  if (r.filesToDelete.length) await st.iceberg.deleteFiles(r.filesToDelete);
  if (r.expiredSnapshotIds.length) log_.debug({ mirror: st.table.spec.name, snapshots: r.expiredSnapshotIds.length, files: r.filesToDelete.length }, 'expired snapshots');
  return r.expiredSnapshotIds.length;
}

/** Delete unreferenced files older than `ageMs`, except those in `inUse`. */
export async function removeOrphans(st: MirrorState, ageMs: number, inUse: ReadonlySet<string>): Promise<number> {
  const orphans = (await st.iceberg.listOrphanFiles({ olderThanMs: Date.now() - ageMs })).filter((o) => !inUse.has(o.uri));
  if (orphans.length) {
    await st.iceberg.deleteFiles(orphans.map((o) => o.uri));
    log_.info({ mirror: st.table.spec.name, files: orphans.length }, 'removed orphan files');
  }
  return orphans.length;
}
