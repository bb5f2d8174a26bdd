// Changes of a table whose mirror is being copied, held until the copy is committed and then replayed in
// order. A copy can take minutes, so beyond `memoryChanges` the held transactions are appended to a spill
// file (v8 serialization, length-prefixed) and read back sequentially at replay: memory stays bounded.
import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import v8 from 'node:v8';
import { UNCHANGED_TOAST, type Change, type Lsn, type Relation, type TupleValue } from '../cdc/index.js';

export interface HeldTxn {
  commitLsn: Lsn;
  endLsn: Lsn;
  changes: Change[];
}

/** compact, serialisable form: UNCHANGED_TOAST → undefined (never a real value) */
type Stored = { k: 'i' | 'u' | 'd' | 't'; o: (TupleValue | undefined)[] | null; n: (TupleValue | undefined)[] | null; ok: string | null };

const toStored = (row: TupleValue[] | null) => (row ? row.map((v) => (v === UNCHANGED_TOAST ? undefined : v)) : null);

function fromStored(row: (TupleValue | undefined)[] | null): TupleValue[] | null {
  if (!row) return null;
  return row.map(function revive(v: unknown): TupleValue {
    if (v === undefined) return UNCHANGED_TOAST;
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (Array.isArray(v)) return v.map(revive) as TupleValue;
    return v as TupleValue;
  });
}

function store(c: Change): Stored | null {
  switch (c.kind) {
    case 'insert': return { k: 'i', o: null, n: toStored(c.new), ok: null };
    case 'update': return { k: 'u', o: toStored(c.old), n: toStored(c.new), ok: c.oldKind };
    case 'delete': return { k: 'd', o: toStored(c.old), n: null, ok: c.oldKind };
    case 'truncate': return { k: 't', o: null, n: null, ok: null };
    default: return null;
  }
}

function restore(s: Stored, relation: Relation): Change {
  const xid = 0;
  switch (s.k) {
    case 'i': return { kind: 'insert', relation, xid, new: fromStored(s.n)! };
    case 'u': return { kind: 'update', relation, xid, oldKind: s.ok as never, old: fromStored(s.o), new: fromStored(s.n)! };
    case 'd': return { kind: 'delete', relation, xid, oldKind: s.ok as never, old: fromStored(s.o)! };
    case 't': return { kind: 'truncate', relations: [relation], xid, cascade: false, restartIdentity: false };
  }
}

export class HeldChanges {
  private memory: { commitLsn: Lsn; endLsn: Lsn; changes: Stored[] }[] = [];
  private memoryCount = 0;
  private current: Stored[] = [];
  private spill: FileHandle | null = null;
  private spillPath: string | null = null;
  private spilled = 0;
  /** held transactions (committed) so far */
  txns = 0;
  changes = 0;

  constructor(private readonly spillDir: string, private readonly name: string, private readonly memoryChanges = 100_000) {}

  add(c: Change): void {
    const s = store(c);
    if (s) this.current.push(s);
  }

  /** the transaction being received committed: keep what was added for it */
  async commit(commitLsn: Lsn, endLsn: Lsn): Promise<void> {
    if (this.current.length === 0) return;
    const rec = { commitLsn, endLsn, changes: this.current };
    this.current = [];
    this.txns++;
    this.changes += rec.changes.length;
    if (this.memoryCount + rec.changes.length <= this.memoryChanges && this.spilled === 0) {
      this.memory.push(rec);
      this.memoryCount += rec.changes.length;
      return;
    }
    if (!this.spill) {
      this.spillPath = join(this.spillDir, `held-${this.name}-${process.pid}-${Date.now()}.bin`);
      this.spill = await open(this.spillPath, 'w');
      // keep WAL order: everything in memory goes to the file first
      for (const m of this.memory) await this.write(m);
      this.memory = [];
      this.memoryCount = 0;
    }
    await this.write(rec);
  }

  /** drop the changes of an unfinished transaction (e.g. after a reconnect) */
  discardCurrent(): void {
    this.current = [];
  }

  private async write(rec: { commitLsn: Lsn; endLsn: Lsn; changes: Stored[] }): Promise<void> {
    const body = v8.serialize(rec);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    await this.spill!.write(Buffer.concat([len, body]));
    this.spilled++;
  }

  /** every held transaction, in order, with changes bound to `relation` */
  async *replay(relation: Relation): AsyncGenerator<HeldTxn> {
    const out = (r: { commitLsn: Lsn; endLsn: Lsn; changes: Stored[] }): HeldTxn => ({
      commitLsn: r.commitLsn,
      endLsn: r.endLsn,
      changes: r.changes.map((s) => restore(s, relation)),
    });
    if (this.spill && this.spillPath) {
      await this.spill.sync().catch(() => undefined);
      let pending: Buffer = Buffer.alloc(0);
      for await (const chunk of createReadStream(this.spillPath)) {
        pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
        while (pending.length >= 4) {
          const n = pending.readUInt32BE(0);
          if (pending.length < 4 + n) break;
          yield out(v8.deserialize(pending.subarray(4, 4 + n)) as { commitLsn: Lsn; endLsn: Lsn; changes: Stored[] });
          pending = pending.subarray(4 + n);
        }
      }
    }
    for (const m of this.memory) yield out(m);
  }

  async close(): Promise<void> {
    this.memory = [];
    this.current = [];
    if (this.spill) await this.spill.close().catch(() => undefined);
    if (this.spillPath) await rm(this.spillPath, { force: true });
    this.spill = null;
    this.spillPath = null;
  }
}
