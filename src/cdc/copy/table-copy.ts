// Initial copy of one table inside the slot's exported snapshot:
//   BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '<name>';
//   COPY (SELECT cols FROM [ONLY] tbl) TO STDOUT (FORMAT binary); …; COMMIT
// Rows are decoded as they arrive and handed out in batches; the socket is paused while `maxQueuedBatches`
// batches wait for the consumer, so memory stays bounded whatever the table size.
import net from 'node:net';
import type pg from 'pg';
import { quoteIdent, quoteLiteral } from '../connection.js';
import type { RelationColumn, ReplicaIdentity } from '../pgoutput/relation.js';
import { CopyQuery, connectionOf } from '../protocol/copy-query.js';
import { qualifiedName, type TableName } from '../publication.js';
import { TypeCatalog, UnsupportedTypeError } from '../types/catalog.js';
import { decodeText } from '../types/text.js';
import type { Decoder, Value } from '../types/values.js';
import { BinaryCopyParser } from './binary-copy-parser.js';
import { CopyOutTap } from './copy-out-socket.js';
import { ColumnBatchBuilder, columnLayout, type ColumnBatch, type ColumnLayout } from './column-batch.js';

/** Start the snapshot transaction on an ordinary session. The walsender that exported it must still be open. */
export async function beginSnapshot(client: pg.ClientBase, snapshotName: string): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshotName)}`);
}

export interface TableDescription {
  relationOid: number;
  schema: string;
  name: string;
  /** 'r' table, 'p' partitioned table, … */
  relkind: string;
  replicaIdentity: ReplicaIdentity;
  /** published columns in attnum order (dropped and generated columns excluded, as pgoutput does) */
  columns: RelationColumn[];
}

const IDENTITY: Record<string, ReplicaIdentity> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

/** Columns and key flags the way a pgoutput Relation message would describe the table. */
export async function describeTable(client: pg.ClientBase, table: TableName): Promise<TableDescription> {
  const rel = await client.query<{ oid: string; relkind: string; relreplident: string }>(
    `SELECT c.oid::int8 AS oid, c.relkind, c.relreplident FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [table.schema, table.name]);
  const r = rel.rows[0];
  if (!r) throw new Error(`table ${qualifiedName(table)} does not exist`);
  const oid = Number(r.oid);
  const cols = await client.query<{ attname: string; atttypid: string; atttypmod: number; is_key: boolean }>(
    `SELECT a.attname, a.atttypid::int8 AS atttypid, a.atttypmod,
            ($2 = 'f' OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                                  WHERE i.indrelid = a.attrelid AND a.attnum = ANY (i.indkey)
                                    AND (($2 = 'd' AND i.indisprimary) OR ($2 = 'i' AND i.indisreplident)))) AS is_key
       FROM pg_catalog.pg_attribute a
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [oid, r.relreplident]);
  return {
    relationOid: oid,
    schema: table.schema,
    name: table.name,
    relkind: r.relkind,
    replicaIdentity: IDENTITY[r.relreplident] ?? 'default',
    columns: cols.rows.map((c) => ({ name: c.attname, typeOid: Number(c.atttypid), typmod: c.atttypmod, isKey: c.is_key })),
  };
}

export interface TableCopyOptions {
  catalog?: TypeCatalog;
  /** column names to copy, in this order; default: every published column */
  columns?: readonly string[];
  /** rows per batch; default 4096 */
  batchRows?: number;
  /** batches buffered before the socket is paused; default 2 */
  maxQueuedBatches?: number;
  /** FROM ONLY: default true for plain tables (children are published on their own), false for partitioned */
  only?: boolean;
  /** batches as ColumnBatch (column-batch.ts) instead of rows */
  columnar?: boolean;
}

export interface TableCopy<B = Value[][]> {
  table: TableDescription;
  /** the copied columns (a subset of table.columns when `columns` was given) */
  columns: RelationColumn[];
  sql: string;
  /** decoded rows in batches; breaking out of the loop cancels the COPY (which aborts the transaction) */
  batches: AsyncGenerator<B, void, undefined>;
  stats: { rows: number; bytes: number; pauses: number };
}

/** Describe the table (in the current snapshot), then start COPY … (FORMAT binary) and stream its rows. */
export async function copyTable(client: pg.Client, table: TableName, opts: TableCopyOptions & { columnar: true }): Promise<TableCopy<ColumnBatch>>;
export async function copyTable(client: pg.Client, table: TableName, opts?: TableCopyOptions): Promise<TableCopy>;
export async function copyTable(client: pg.Client, table: TableName, opts: TableCopyOptions = {}): Promise<TableCopy<Value[][] | ColumnBatch>> {
  const catalog = opts.catalog ?? new TypeCatalog();
  const desc = await describeTable(client, table);
  let columns = desc.columns;
  if (opts.columns) {
    columns = opts.columns.map((name) => {
      const c = desc.columns.find((x) => x.name === name);
      if (!c) throw new Error(`column ${name} not found in ${qualifiedName(table)}`);
      return c;
    });
  }
  await catalog.load(client, columns.map((c) => c.typeOid));
  const select: string[] = [];
  const decoders: Decoder[] = [];
  const layouts: ColumnLayout[] = [];
  // text kept as its bytes only when they are UTF-8 (SQL_ASCII passes any bytes through)
  const utf8 = opts.columnar === true &&
    (await client.query<{ e: string }>(`SELECT current_setting('server_encoding') AS e`)).rows[0]?.e === 'UTF8';
  for (const c of columns) {
    const support = catalog.support(c.typeOid);
    if (!support.supported) throw new UnsupportedTypeError(c.typeOid, `${qualifiedName(table)}.${c.name}: ${support.reason}`);
    layouts.push(columnLayout(support.type, utf8));
    // no send function → COPY BINARY would fail; the text cast makes it arrive as text bytes
    if (support.type.textOnly) {
      select.push(`${quoteIdent(c.name)}::text`);
      decoders.push(decodeText);
    } else {
      select.push(quoteIdent(c.name));
      decoders.push(catalog.decoder(c.typeOid));
    }
  }
  const only = opts.only ?? desc.relkind !== 'p';
  // a plain table's own COPY (never includes child tables, like ONLY) skips the executor's per-row projection;
  // columnar copies use it when no column needs a text cast
  const direct = opts.columnar === true && only && desc.relkind === 'r' && columns.length > 0 &&
    columns.every((c, i) => select[i] === quoteIdent(c.name));
  const sql = direct
    ? `COPY ${qualifiedName(table)} (${select.join(', ')}) TO STDOUT (FORMAT binary)`
    : `COPY (SELECT ${select.join(', ') || 'NULL'} FROM ${only ? 'ONLY ' : ''}${qualifiedName(table)}) TO STDOUT (FORMAT binary)`;
  const stats = { rows: 0, bytes: 0, pauses: 0 };
  const batchRows = opts.batchRows ?? 4096;
  const batcher: Batcher<Value[][] | ColumnBatch> = opts.columnar ? columnBatcher(layouts, decoders, batchRows) : rowBatcher(decoders, batchRows);
  return { table: desc, columns, sql, stats, batches: streamCopy(client, sql, batcher, opts, stats) };
}

/** turns the COPY bytes into batches of `B`: `full` is called whenever one is ready */
interface Batcher<B> {
  parser(full: (batch: B) => void): BinaryCopyParser;
  /** the last, partial batch (null if empty) */
  rest(): B | null;
  size(batch: B): number;
}

function rowBatcher(decoders: Decoder[], batchRows: number): Batcher<Value[][]> {
  let current: Value[][] = [];
  return {
    parser: (full) => new BinaryCopyParser(decoders, (row) => {
      current.push(row);
      if (current.length >= batchRows) {
        full(current);
        current = [];
      }
    }),
    rest: () => {
      const b = current;
      current = [];
      return b.length ? b : null;
    },
    size: (b) => b.length,
  };
}

function columnBatcher(layouts: ColumnLayout[], decoders: Decoder[], batchRows: number): Batcher<ColumnBatch> {
  let builder: ColumnBatchBuilder | undefined;
  return {
    parser: (full) => new BinaryCopyParser((builder = new ColumnBatchBuilder(layouts, decoders, batchRows, full)), layouts.length),
    rest: () => (builder?.rows ? builder.take() : null),
    size: (b) => b.rows,
  };
}

async function* streamCopy<B>(
  client: pg.Client, sql: string, batcher: Batcher<B>, opts: TableCopyOptions,
  stats: { rows: number; bytes: number; pauses: number },
): AsyncGenerator<B, void, undefined> {
  const maxQueued = opts.maxQueuedBatches ?? 2;
  const socket = connectionOf(client).stream;
  const queue: B[] = [];
  let paused = false;
  let discard = false;
  let finished = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => { const w = wake; wake = undefined; w?.(); };

  const parser = batcher.parser((batch) => {
    queue.push(batch);
    if (queue.length >= maxQueued && !paused) {
      paused = true;
      stats.pauses++;
      socket.pause();
    }
    signal();
  });
  const onData = (buf: Buffer, start: number, end: number): void => {
    if (discard || failure) return;
    try {
      parser.pushRange(buf, start, end);
    } catch (e) {
      failure = e as Error;
      signal();
    }
  };
  // CopyData is read off the socket by the tap; node-pg still runs the query (and would deliver CopyData itself
  // if the tap were not in place)
  const tap = new CopyOutTap(client, onData);
  const query = new CopyQuery(sql, (chunk) => onData(chunk, 0, chunk.length));
  tap.start();
  client.query(query);
  query.done.then(
    () => { finished = true; signal(); },
    (e: Error) => { failure ??= e; finished = true; signal(); },
  );
  let complete = false;
  try {
    for (;;) {
      if (failure) throw failure;
      if (queue.length) {
        const batch = queue.shift()!;
        if (paused && queue.length < maxQueued) {
          paused = false;
          socket.resume();
        }
        stats.rows += batcher.size(batch);
        stats.bytes = parser.bytes;
        yield batch;
        continue;
      }
      if (finished) {
        if (!parser.finished) throw new Error('COPY binary: stream ended without trailer');
        const batch = batcher.rest();
        if (batch) {
          stats.rows += batcher.size(batch);
          stats.bytes = parser.bytes;
          yield batch;
        }
        complete = true;
        return;
      }
      await new Promise<void>((res) => { wake = res; });
    }
  } finally {
    if (!complete) {
      // consumer stopped early or we failed: discard the rest, cancel the COPY, wait for ReadyForQuery
      discard = true;
      if (paused) socket.resume();
      if (!finished) {
        await sendCancel(client).catch(() => {});
        await query.done.catch(() => {});
      }
    }
    tap.stop();
  }
}

/** CancelRequest on a fresh socket (node-pg has no public cancel for a running query). */
async function sendCancel(client: pg.Client): Promise<void> {
  const c = client as unknown as { processID: number | null; secretKey: number | null; host: string; port: number };
  if (c.processID == null || c.secretKey == null) return;
  const msg = Buffer.alloc(16);
  msg.writeInt32BE(16, 0);
  msg.writeInt32BE(80877102, 4);
  msg.writeInt32BE(c.processID, 8);
  msg.writeInt32BE(c.secretKey, 12);
  await new Promise<void>((resolve, reject) => {
    const s = net.connect(c.port, c.host, () => s.end(msg));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}
