// Mirrors created a moment ago through lakegate. `CALL mooncake.create_table(...)` returns as soon as the
// mirror is registered; the table layer copies it in the background and lists it only once it is live. The
// client's next statement may name it within a millisecond, long before that: the router has to recognise
// the name then (routing is synchronous), and the query waits for the copy (mirror-readiness.ts). So the
// router notes the mirror name of every create_table call it sees pass (the call itself goes upstream
// untouched) and treats it as a mirror until the table layer lists it or the registry says it is none.
import type { Node } from 'libpg-query';
import type { MirrorRef } from '../route/catalog.js';
import type { StatementInfo } from '../route/statement.js';

type Obj = Record<string, unknown>;

/** How long a noted name counts as a mirror without the table layer listing it. */
const TTL_MS = 10 * 60_000;

interface Noted {
  /** schema as written in the call; null: unqualified (the mirror goes into its source's schema) */
  schema: string | null;
  name: string;
  at: number;
}

export class NewMirrors {
  private readonly noted = new Map<string, Noted>();

  /** Looks at a statement about to go upstream; notes the mirror of a create_table call with a literal name. */
  observe(st: StatementInfo): boolean {
    if (!st.controlCall) return false;
    const fc = ((st.stmt as Obj).CallStmt as Obj | undefined)?.funccall as Obj | undefined;
    const fname = ((fc?.funcname as Obj[] | undefined) ?? []).map((n) => (n.String as Obj | undefined)?.sval);
    if (fname.length !== 2 || fname[1] !== 'create_table') return false;
    const text = mirrorArgument((fc!.args as Node[] | undefined) ?? []);
    const ref = text === null ? null : splitQualifiedName(text);
    if (!ref) return false;
    this.noted.set(key(ref.schema, ref.name), { ...ref, at: Date.now() });
    return true;
  }

  /** Noted names (for the byte precheck). */
  names(): string[] {
    return [...this.noted.values()].map((n) => n.name);
  }

  get size(): number {
    return this.noted.size;
  }

  /**
   * The noted mirror a relation name may refer to. An unqualified note matches any schema (the registry
   * lookup tells the real one), so the ref's schema is then only a placeholder.
   */
  resolve(schema: string | null, name: string, searchPath: readonly string[]): MirrorRef | null {
    for (const n of this.noted.values()) {
      if (n.name !== name) continue;
      if (schema !== null && n.schema !== null && schema !== n.schema) continue;
      if (schema === null && n.schema !== null && !searchPath.includes(n.schema)) continue;
      return { schema: schema ?? n.schema ?? searchPath.find((s) => s !== 'pg_catalog') ?? 'public', name };
    }
    return null;
  }

  forget(name: string): void {
    for (const [k, n] of this.noted) if (n.name === name) this.noted.delete(k);
  }

  /** Drops notes the table layer now lists (live) and notes past their time. */
  prune(live: readonly MirrorRef[]): boolean {
    const now = Date.now();
    let changed = false;
    for (const [k, n] of this.noted) {
      const isLive = live.some((m) => m.name === n.name && (n.schema === null || m.schema === n.schema));
      if (isLive || now - n.at > TTL_MS) {
        this.noted.delete(k);
        changed = true;
      }
    }
    return changed;
  }
}

function key(schema: string | null, name: string): string {
  return `${schema ?? ''}\u0000${name}`;
}

/** The `mirror` argument when it is a string literal (positional first, or `mirror => '...'`). */
function mirrorArgument(args: Node[]): string | null {
  for (let i = 0; i < args.length; i++) {
    let a = args[i] as Obj;
    const named = a.NamedArgExpr as Obj | undefined;
    if (named) {
      if (named.name !== 'mirror') continue;
      a = named.arg as Obj;
    } else if (i !== 0) continue;
    const c = (a.A_Const ?? ((a.TypeCast as Obj | undefined)?.arg as Obj | undefined)?.A_Const) as Obj | undefined;
    const s = (c?.sval as Obj | undefined)?.sval;
    return typeof s === 'string' ? s : null;
  }
  return null;
}

/**
 * `a.b`, `"A"."b c"`, `b` as to_regclass reads them (unquoted parts fold to lower case); null when malformed
 * or when it names a database too.
 */
export function splitQualifiedName(text: string): { schema: string | null; name: string } | null {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i <= s.length) {
    if (s[i] === '"') {
      let part = '';
      for (i++; ; i++) {
        if (i >= s.length) return null;
        if (s[i] === '"') {
          if (s[i + 1] !== '"') break;
          i++;
        }
        part += s[i];
      }
      i++;
      parts.push(part);
    } else {
      const start = i;
      while (i < s.length && s[i] !== '.') i++;
      const part = s.slice(start, i).trim();
      if (!part) return null;
      parts.push(part.replace(/[A-Z]+/g, (c) => c.toLowerCase())); // ASCII only, like downcase_identifier
    }
    if (i >= s.length) break;
    if (s[i] !== '.') return null;
    i++;
  }
  if (parts.length === 1) return { schema: null, name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  return null;
}
