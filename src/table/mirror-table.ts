// One mirror's DuckDB objects and the SQL that reads them. Names carry the mirror id:
//
//   lg_tail_<id>     mirror columns + _lg_rowid (monotonic per mirror) + _lg_lsn (commit LSN of the change)
//   lg_delkeys_<id>  keyed mirrors: key columns + _lg_lsn — "the base row with this key is deleted"
//   lg_delrows_<id>  identity-less mirrors (REPLICA IDENTITY FULL): all columns + _lg_cnt + _lg_lsn —
//                    "_lg_cnt base rows equal to this row are deleted"
//   lg_delpos_<id>   (_lg_local, _lg_pos, _lg_lsn): resolved base positions deleted but not yet in Iceberg
//   lg_gone_<id>     (_lg_rowid, _lg_lsn): tail rows a running flush already wrote, deleted after its cut
//   lg_mirror_<id>   the reader view: live base rows (minus pending deletes) UNION ALL tail
//   lg_mirror_fast_<id>  the same rows while nothing is pending: base minus committed deletes UNION ALL tail
//   lg_mirror_base_<id>  the same rows while nothing is pending and the tail is empty: base only
//   lg_reader_<id>   one row: `relation`, which of the three shows the mirror right now, and `shape`, a token
//                    that changes whenever the views' columns do (readers cache column types by it)
//
// "Base" = the committed Iceberg data files minus committed position deletes (base.ts). The views are replaced
// (CREATE OR REPLACE VIEW, transactional in DuckDB) in the same transaction that swaps a flush or compaction
// in, so a reader sees either the old files + old tail or the new files + the rest of the tail.
// Why three: matching pending deletes needs every base row's file name and row number and an anti join, which
// costs most scans several times over and hides the plain Parquet scan from DuckDB's optimizer (projection and
// filter pushdown, late materialization). Pending deletes are rare and short-lived (a flush folds them into
// delete files), so a reader asks lg_reader_<id> in its own DuckDB transaction and reads the cheapest view that
// is exact at that snapshot.
import { createHash } from 'node:crypto';
import { duckdbType, quoteIdent, quoteLiteral } from '../iceberg/index.js';
import type { TableName } from '../cdc/index.js';
import { baseSchemaParam, type BaseState } from './base.js';
import type { MirrorColumn } from './column-types.js';

export interface MirrorSpec {
  /** registry id; names DuckDB objects */
  id: number;
  /** mirror (destination) name, for logs and the catalog */
  name: string;
  source: TableName;
  relationOid: number;
  columns: MirrorColumn[];
  /** indexes of the row-identity columns (primary key / replica identity index); empty = whole-row identity */
  key: number[];
}

const q = quoteIdent;
const list = (xs: string[]) => `[${xs.map(quoteLiteral).join(', ')}]`;

/**
 * The view naming, for mirror `id`, the relation readers should select from at the current DuckDB snapshot
 * (one row: `relation`, and `shape`, which changes with the views' columns). Read it in the same transaction
 * as the query.
 */
export function readerChoiceView(id: number): string {
  return `lg_reader_${id}`;
}

export class MirrorTable {
  readonly tail: string;
  readonly delkeys: string;
  readonly delrows: string;
  readonly delpos: string;
  readonly gone: string;
  readonly view: string;
  readonly fastView: string;
  readonly baseView: string;
  readonly chooser: string;

  constructor(readonly spec: MirrorSpec) {
    const id = spec.id;
    this.tail = `lg_tail_${id}`;
    this.delkeys = `lg_delkeys_${id}`;
    this.delrows = `lg_delrows_${id}`;
    this.delpos = `lg_delpos_${id}`;
    this.gone = `lg_gone_${id}`;
    this.view = `lg_mirror_${id}`;
    this.fastView = `lg_mirror_fast_${id}`;
    this.baseView = `lg_mirror_base_${id}`;
    this.chooser = readerChoiceView(id);
  }

  get id(): number {
    return this.spec.id;
  }
  get columns(): MirrorColumn[] {
    return this.spec.columns;
  }
  get keyed(): boolean {
    return this.spec.key.length > 0;
  }
  get keyColumns(): MirrorColumn[] {
    return this.spec.key.map((i) => this.spec.columns[i]!);
  }
  /** the columns a delete is matched on: the key, or every column */
  get matchColumns(): MirrorColumn[] {
    return this.keyed ? this.keyColumns : this.spec.columns;
  }

  /** `a.c1, a.c2 …` */
  cols(alias?: string, cols: MirrorColumn[] = this.columns): string {
    return cols.map((c) => (alias ? `${alias}.${q(c.name)}` : q(c.name))).join(', ');
  }

  /** equality of the match columns; keys are NOT NULL, whole rows compare NULLs as equal */
  match(a: string, b: string): string {
    if (this.keyed) return this.keyColumns.map((c) => `${a}.${q(c.name)} = ${b}.${q(c.name)}`).join(' AND ');
    return this.columns.map((c) => `${a}.${q(c.name)} IS NOT DISTINCT FROM ${b}.${q(c.name)}`).join(' AND ');
  }

  private columnDefs(cols: MirrorColumn[] = this.columns): string {
    return cols.map((c) => `${q(c.name)} ${c.duckdb}`).join(', ');
  }

  /** tables; no constraints or indexes (DuckDB checks unique indexes eagerly within a transaction) */
  createSql(): string[] {
    const out = [
      `CREATE TABLE ${q(this.tail)} (${this.columnDefs()}, _lg_rowid BIGINT, _lg_lsn BIGINT)`,
      `CREATE TABLE ${q(this.delpos)} (_lg_local VARCHAR, _lg_pos BIGINT, _lg_lsn BIGINT)`,
      `CREATE TABLE ${q(this.gone)} (_lg_rowid BIGINT, _lg_lsn BIGINT)`,
    ];
    if (this.keyed) out.push(`CREATE TABLE ${q(this.delkeys)} (${this.columnDefs(this.keyColumns)}, _lg_lsn BIGINT)`);
    else out.push(`CREATE TABLE ${q(this.delrows)} (${this.columnDefs()}, _lg_cnt BIGINT, _lg_lsn BIGINT)`);
    return out;
  }

  dropSql(): string[] {
    const views = [this.chooser, this.view, this.fastView, this.baseView];
    return [
      ...views.map((v) => `DROP VIEW IF EXISTS ${q(v)}`),
      ...[this.tail, this.delkeys, this.delrows, this.delpos, this.gone].map((t) => `DROP TABLE IF EXISTS ${q(t)}`),
    ];
  }

  /** the pending-delete table of this mirror's identity mode */
  get deletes(): string {
    return this.keyed ? this.delkeys : this.delrows;
  }

  /**
   * Base rows still live: data files minus committed position deletes minus lg_delpos, with their local file
   * name and row number as _lg_f, _lg_p. `delpos`: a SELECT of (_lg_local, _lg_pos) to subtract instead of the
   * whole lg_delpos table (a flush subtracts what existed at its cut), null for none. null when the base has no
   * data files.
   */
  liveBaseSql(base: BaseState, o: { delpos?: string | null; columns?: MirrorColumn[] } = {}): string | null {
    if (base.dataFiles.length === 0) return null;
    const cols = o.columns ?? this.columns;
    const data =
      `read_parquet(${list(base.dataFiles.map((f) => f.local))}, filename = true, file_row_number = true, ` +
      `schema = ${baseSchemaParam(base)})`;
    let sql = `SELECT ${this.cols('d', cols)}, d.filename AS _lg_f, d.file_row_number AS _lg_p FROM ${data} d`;
    if (base.deleteFiles.length > 0) {
      const files = base.dataFiles.map((f) => `(${quoteLiteral(f.uri)}, ${quoteLiteral(f.local)}, ${f.seq})`).join(', ');
      const dels = base.deleteFiles.map((d) => `(${quoteLiteral(d.local)}, ${d.seq})`).join(', ');
      const committed =
        `SELECT f.local_path, x.pos FROM read_parquet(${list(base.deleteFiles.map((d) => d.local))}, filename = true) x ` +
        `JOIN (VALUES ${dels}) ds(del_path, del_seq) ON ds.del_path = x.filename ` +
        `JOIN (VALUES ${files}) f(uri, local_path, data_seq) ON f.uri = x.file_path AND f.data_seq <= ds.del_seq`;
      sql += ` ANTI JOIN (${committed}) cd ON cd.local_path = d.filename AND cd.pos = d.file_row_number`;
    }
    const delpos = o.delpos === undefined ? `SELECT _lg_local, _lg_pos FROM ${q(this.delpos)}` : o.delpos;
    if (delpos !== null) sql += ` ANTI JOIN (${delpos}) dp ON dp._lg_local = d.filename AND dp._lg_pos = d.file_row_number`;
    return sql;
  }

  /**
   * Positions (_lg_f, _lg_p) of live base rows that pending deletes remove. `deletes`: a SELECT over the
   * pending-delete table (default: all of it). Keyed: rows whose key is listed. Whole-row identity: for each
   * distinct row, _lg_cnt of the equal live rows (which ones does not matter: they are identical).
   */
  deletedBasePositionsSql(liveBase: string, deletes?: string): string {
    if (this.keyed) {
      const dk = deletes ?? `SELECT * FROM ${q(this.delkeys)}`;
      return `SELECT b._lg_f, b._lg_p FROM (${liveBase}) b SEMI JOIN (${dk}) k ON ${this.match('b', 'k')}`;
    }
    const dr = deletes ?? `SELECT * FROM ${q(this.delrows)}`;
    const grouped = `SELECT ${this.cols()}, sum(_lg_cnt) AS _lg_cnt FROM (${dr}) GROUP BY ALL`;
    return (
      `SELECT _lg_f, _lg_p FROM (SELECT b._lg_f, b._lg_p, r._lg_cnt, ` +
      `row_number() OVER (PARTITION BY ${this.cols('b')} ORDER BY b._lg_f, b._lg_p) AS _lg_rn ` +
      `FROM (${liveBase}) b JOIN (${grouped}) r ON ${this.match('b', 'r')}) WHERE _lg_rn <= _lg_cnt`
    );
  }

  /** base rows minus committed position deletes, without pending deletes; null when there are no data files */
  private committedBaseSql(base: BaseState): string | null {
    if (base.dataFiles.length === 0) return null;
    if (base.deleteFiles.length > 0) return `SELECT ${this.cols('b')} FROM (${this.liveBaseSql(base, { delpos: null })}) b`;
    const files = list(base.dataFiles.map((f) => f.local));
    // Schema 0 is the table's first: no column was ever added, dropped or renamed, so every data file has the
    // current columns under their current names and read_parquet can go without the field-id `schema` map,
    // which costs every bind and hides row-group statistics from aggregates (min/max, count). A name that did
    // not match would fail the bind, not read wrong values; each CAST is a no-op unless a file's type differs.
    const types = new Map(base.schema.fields.map((f) => [f.name, duckdbType(f.type)]));
    if (base.schema['schema-id'] === 0 && this.columns.every((c) => types.has(c.name))) {
      return `SELECT ${this.columns.map((c) => `CAST(${q(c.name)} AS ${types.get(c.name)}) AS ${q(c.name)}`).join(', ')} FROM read_parquet(${files})`;
    }
    return `SELECT ${this.cols()} FROM read_parquet(${files}, schema = ${baseSchemaParam(base)})`;
  }

  /**
   * The reader views over `base` (one string of several statements, to run in the caller's transaction);
   * `truncated`: a TRUNCATE not yet flushed hides the whole base.
   */
  viewSql(base: BaseState, o: { truncated?: boolean } = {}): string {
    const tail = `SELECT ${this.cols()} FROM ${q(this.tail)}`;
    const live = o.truncated ? null : this.liveBaseSql(base);
    const create = (name: string, sql: string) => `CREATE OR REPLACE VIEW ${q(name)} AS ${sql}`;
    if (!live) {
      // the tail is all there is: pending deletes do not matter
      return [
        create(this.view, tail),
        create(this.fastView, tail),
        create(this.baseView, tail),
        create(this.chooser, `SELECT ${quoteLiteral(this.view)} AS relation, ${this.shapeSql(base)} AS shape`),
      ].join(';\n');
    }
    let baseRows: string;
    if (this.keyed) {
      baseRows = `SELECT ${this.cols('b')} FROM (${live}) b ANTI JOIN ${q(this.delkeys)} k ON ${this.match('b', 'k')}`;
    } else {
      baseRows =
        `SELECT ${this.cols('b')} FROM lg_live b ANTI JOIN (${this.deletedBasePositionsSql('SELECT * FROM lg_live')}) x ` +
        `ON x._lg_f = b._lg_f AND x._lg_p = b._lg_p`;
      baseRows = `WITH lg_live AS (${live}) ${baseRows}`;
    }
    const committed = this.committedBaseSql(base)!;
    const exists = (t: string) => `EXISTS (SELECT 1 FROM ${q(t)})`;
    const choice =
      `SELECT CASE WHEN ${exists(this.delpos)} OR ${exists(this.deletes)} THEN ${quoteLiteral(this.view)} ` +
      `WHEN ${exists(this.tail)} THEN ${quoteLiteral(this.fastView)} ELSE ${quoteLiteral(this.baseView)} END AS relation, ` +
      `${this.shapeSql(base)} AS shape`;
    return [
      create(this.view, `${baseRows} UNION ALL ${tail}`),
      create(this.fastView, `${committed} UNION ALL ${tail}`),
      create(this.baseView, committed),
      create(this.chooser, choice),
    ].join(';\n');
  }

  /** the views' column names and types: mirror columns (the tail's types) and the base schema's fields */
  private shapeSql(base: BaseState): string {
    const cols = this.columns.map((c) => `${c.name} ${c.duckdb}`);
    const fields = base.schema.fields.map((f) => `${f.id} ${f.name} ${duckdbType(f.type)}`);
    return quoteLiteral(createHash('sha256').update(JSON.stringify([cols, fields])).digest('base64url').slice(0, 22));
  }

  /** what readers (the query engine) select from */
  readerSql(): string {
    return `SELECT * FROM ${q(this.view)}`;
  }
}
