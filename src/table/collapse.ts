// Net effect of a run of row changes on one mirror (in WAL order, within one transaction), so DuckDB sees one
// delete and one append per row identity instead of the whole history:
//
// * keyed mirrors: per key, "remove the row that existed before the run" (the first change was an update or
//   delete) and "the row it ends as" (last insert/update). A key change is delete(old key) + insert(new key).
// * whole-row identity (REPLICA IDENTITY FULL, no key): a multiset — inserts and deletes of equal rows cancel
//   one for one; what remains deletes existing rows or appends new ones.
// * TRUNCATE drops everything before it.
// * a run of inserts only (a bulk load, most of a backlog) is its own net effect: the rows are kept in a plain
//   list and the per-key bookkeeping starts only at the first update or delete (keys are unique in the source,
//   so no two inserts of a run share one; equal key-less rows just append twice either way).
//
// Unchanged-TOAST values (UNCHANGED_TOAST) are filled from the newest image of the row within the run; what
// is still missing must come from the row as it was before the run (`toastKey` names that row's key).
import { UNCHANGED_TOAST, type Change, type TupleValue, type Value } from '../cdc/index.js';
import type { MirrorTable } from './mirror-table.js';

export type Row = TupleValue[];

export interface KeyedAppend {
  row: Row;
  /** key of the pre-run row that supplies the row's remaining UNCHANGED_TOAST columns; null if none remain */
  toastKey: Value[] | null;
}

export interface KeyedEffect {
  kind: 'keyed';
  truncated: boolean;
  /** key values (in key-column order) of pre-run rows to delete */
  removes: Value[][];
  appends: KeyedAppend[];
}

export interface MultisetEffect {
  kind: 'multiset';
  truncated: boolean;
  removes: { row: Value[]; count: number }[];
  appends: Value[][];
}

export type Effect = KeyedEffect | MultisetEffect;

/** A canonical string for a tuple of values: equal strings ⇔ equal values (as DuckDB compares them). */
export function canonical(values: readonly TupleValue[]): string {
  let out = '';
  for (const v of values) out += enc(v) + '\u0001';
  return out;
}

function enc(v: TupleValue): string {
  if (v === null) return 'N';
  if (v === UNCHANGED_TOAST) return 'U';
  switch (typeof v) {
    case 'boolean': return v ? 'T' : 'F';
    case 'number': return 'n' + String(v);
    case 'bigint': return 'b' + v.toString();
    case 'string': return 's' + JSON.stringify(v);
    default:
  }
  if (Buffer.isBuffer(v)) return 'x' + v.toString('hex');
  if (Array.isArray(v)) return '[' + v.map(enc).join(',') + ']';
  if ('months' in v) return `i${v.months},${v.days},${v.micros}`;
  return `z${v.micros},${v.utcOffsetSeconds}`;
}

function hasToast(row: Row): boolean {
  for (const v of row) if (v === UNCHANGED_TOAST) return true;
  return false;
}

/** fill UNCHANGED_TOAST columns of `row` from `from` (which may itself still hold some) */
function fillToast(row: Row, from: Row): Row {
  const out = row.slice();
  for (let i = 0; i < out.length; i++) if (out[i] === UNCHANGED_TOAST) out[i] = from[i]!;
  return out;
}

interface KeyState {
  keyValues: Value[];
  /** a row with this key existed before the run and must be removed */
  removeBefore: boolean;
  final: Row | null;
  toastKey: Value[] | null;
}

export class Collapser {
  private readonly keyIdx: number[];
  private keyed = new Map<string, KeyState>();
  private inserts = new Map<string, { row: Value[]; count: number }>();
  private deletes = new Map<string, { row: Value[]; count: number }>();
  private truncated = false;
  /** the run's rows while it holds nothing but inserts; null once the maps are in use */
  private inserted: Row[] | null = [];
  /** changes fed since the last take() */
  size = 0;

  constructor(readonly table: MirrorTable) {
    this.keyIdx = table.spec.key;
  }

  private keyOf(row: Row): Value[] {
    return this.keyIdx.map((i) => row[i] as Value);
  }

  add(c: Change): void {
    this.size++;
    if (c.kind === 'truncate') {
      this.keyed.clear();
      this.inserts.clear();
      this.deletes.clear();
      this.inserted = [];
      this.truncated = true;
      return;
    }
    if (c.kind === 'message') return;
    if (this.inserted) {
      if (c.kind === 'insert') {
        this.inserted.push(c.new);
        return;
      }
      // the first update or delete: what came before goes into the maps
      const rows = this.inserted;
      this.inserted = null;
      for (const row of rows) {
        if (this.table.keyed) this.addKeyed({ kind: 'insert', new: row } as Change & { kind: 'insert' });
        else this.addMultiset({ kind: 'insert', new: row } as Change & { kind: 'insert' });
      }
    }
    if (this.table.keyed) this.addKeyed(c);
    else this.addMultiset(c);
  }

  private state(key: Value[]): KeyState {
    const k = canonical(key);
    let st = this.keyed.get(k);
    if (!st) {
      // the first change of a key in the run tells whether the key existed before it (an insert says no);
      // after a TRUNCATE in this run nothing existed
      st = { keyValues: key, removeBefore: false, final: null, toastKey: null };
      this.keyed.set(k, st);
    }
    return st;
  }

  private addKeyed(c: Exclude<Change, { kind: 'truncate' } | { kind: 'message' }>): void {
    switch (c.kind) {
      case 'insert': {
        const st = this.state(this.keyOf(c.new));
        st.final = c.new;
        st.toastKey = null;
        return;
      }
      case 'delete': {
        const key = this.keyOf(c.old);
        const fresh = !this.keyed.has(canonical(key));
        const st = this.state(key);
        if (fresh && !this.truncated) st.removeBefore = true;
        st.final = null;
        st.toastKey = null;
        return;
      }
      case 'update': {
        const newKey = this.keyOf(c.new);
        const oldKey = c.old ? this.keyOf(c.old) : newKey;
        const oldK = canonical(oldKey);
        const prior = this.keyed.get(oldK);
        // the row image the update starts from: newest in this run, else (REPLICA IDENTITY FULL) the old tuple,
        // else the pre-run row, read from DuckDB when the run is applied
        let row: Row = c.new;
        let toastKey: Value[] | null = null;
        if (hasToast(row)) {
          if (prior) {
            if (prior.final) {
              row = fillToast(row, prior.final);
              toastKey = hasToast(row) ? prior.toastKey : null;
            }
          } else if (c.oldKind === 'full' && c.old) {
            row = fillToast(row, c.old);
          }
          if (hasToast(row) && !prior) toastKey = oldKey;
        }
        const oldSt = this.state(oldKey);
        if (!prior && !this.truncated) oldSt.removeBefore = true;
        if (canonical(newKey) !== oldK) {
          oldSt.final = null;
          oldSt.toastKey = null;
          const st = this.state(newKey);
          st.final = row;
          st.toastKey = toastKey;
        } else {
          oldSt.final = row;
          oldSt.toastKey = toastKey;
        }
        return;
      }
    }
  }

  private addMultiset(c: Exclude<Change, { kind: 'truncate' } | { kind: 'message' }>): void {
    // in a multiset, deleting and inserting equal rows cancel in either order
    const ins = (row: Value[]) => {
      const k = canonical(row);
      const d = this.deletes.get(k);
      if (d) {
        if (--d.count === 0) this.deletes.delete(k);
        return;
      }
      const e = this.inserts.get(k);
      if (e) e.count++;
      else this.inserts.set(k, { row, count: 1 });
    };
    const del = (row: Value[]) => {
      const k = canonical(row);
      const e = this.inserts.get(k);
      if (e) {
        if (--e.count === 0) this.inserts.delete(k);
        return;
      }
      if (this.truncated) return; // nothing existed before; an unmatched delete is a no-op
      const d = this.deletes.get(k);
      if (d) d.count++;
      else this.deletes.set(k, { row, count: 1 });
    };
    switch (c.kind) {
      case 'insert':
        ins(c.new as Value[]);
        return;
      case 'delete':
        del(c.old as Value[]);
        return;
      case 'update': {
        const old = (c.old ?? c.new) as Value[];
        del(old);
        ins(fillToast(c.new, old) as Value[]);
        return;
      }
    }
  }

  /** the net effect so far; resets the collapser */
  take(): Effect {
    const truncated = this.truncated;
    this.truncated = false;
    this.size = 0;
    const inserted = this.inserted;
    this.inserted = [];
    if (inserted) {
      return this.table.keyed
        ? { kind: 'keyed', truncated, removes: [], appends: inserted.map((row) => ({ row, toastKey: null })) }
        : { kind: 'multiset', truncated, removes: [], appends: inserted as Value[][] };
    }
    if (this.table.keyed) {
      const removes: Value[][] = [];
      const appends: KeyedAppend[] = [];
      for (const st of this.keyed.values()) {
        if (st.removeBefore) removes.push(st.keyValues);
        if (st.final) appends.push({ row: st.final, toastKey: hasToast(st.final) ? st.toastKey : null });
      }
      this.keyed = new Map();
      return { kind: 'keyed', truncated, removes, appends };
    }
    const removes = [...this.deletes.values()];
    const appends: Value[][] = [];
    for (const e of this.inserts.values()) for (let i = 0; i < e.count; i++) appends.push(e.row);
    this.deletes = new Map();
    this.inserts = new Map();
    return { kind: 'multiset', truncated, removes, appends };
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /** rows of a run that holds nothing but inserts (no TRUNCATE either): its effect only appends; else null */
  get insertsOnly(): number | null {
    return !this.truncated && this.inserted ? this.inserted.length : null;
  }
}
