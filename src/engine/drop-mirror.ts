// DROP TABLE of a mirror. A mirror is a view in Postgres, so Postgres itself would answer 42809 ("is not a
// table"); through lakegate the statement means what the user wants, like pg_mooncake's DROP TABLE of a
// columnstore table: the mirror goes, via the control plane's drop_table (which checks who may drop it, drops
// the view and marks the mirror so lakegate deletes its files). It runs on the client's own connection, so
// it belongs to the client's transaction and role, and answers `DROP TABLE`.
//
// A statement naming several objects stays one atomic statement: a DO block that drops each mirror and then
// the ordinary tables with the statement's own IF EXISTS / CASCADE. `CASCADE` drops a mirror's dependent
// objects with DROP VIEW … CASCADE (the control plane's sql_drop trigger then marks the mirror).
import type { MirrorRef } from '../route/catalog.js';
import type { LocalQuery } from '../route/local.js';
import type { QualifiedName } from '../route/statement.js';
import { regclassText } from './relation-info.js';
import { pgLiteral } from './pg-literal.js';
import type { UpstreamChannel } from './upstream-channel.js';
import { upstreamStatement } from './upstream-statement.js';

type Obj = Record<string, unknown>;

export interface DropTarget {
  /** the name as written (folded); the statement resolves it through the session's search_path */
  written: QualifiedName;
  /** the mirror it names, or null for an ordinary relation */
  mirror: MirrorRef | null;
}

export interface DropOptions {
  missingOk: boolean;
  cascade: boolean;
}

/** IF EXISTS / CASCADE of a DropStmt node. */
export function dropOptions(drop: Obj): DropOptions {
  return { missingOk: drop.missing_ok === true, cascade: drop.behavior === 'DROP_CASCADE' };
}

/** The SQL Postgres runs for the statement, and its parameters. */
export function dropSql(targets: DropTarget[], o: DropOptions): { sql: string; params: string[] } {
  const mirrors = targets.filter((t) => t.mirror);
  const others = targets.filter((t) => !t.mirror);
  if (mirrors.length === 1 && others.length === 0 && !o.missingOk && !o.cascade) {
    return { sql: 'CALL mooncake.drop_table($1)', params: [written(mirrors[0]!)] };
  }
  const body: string[] = [];
  for (const m of mirrors) {
    const name = written(m);
    const drop = o.cascade ? `DROP VIEW ${name} CASCADE;` : `CALL mooncake.drop_table(${pgLiteral(name)});`;
    body.push(o.missingOk ? `IF pg_catalog.to_regclass(${pgLiteral(name)}) IS NOT NULL THEN ${drop} END IF;` : drop);
  }
  if (others.length > 0) {
    body.push(`DROP TABLE ${o.missingOk ? 'IF EXISTS ' : ''}${others.map(written).join(', ')}${o.cascade ? ' CASCADE' : ''};`);
  }
  const text = `BEGIN ${body.join(' ')} END`;
  let tag = '$lakegate$';
  for (let i = 1; text.includes(tag); i++) tag = `$lakegate${i}$`;
  return { sql: `DO ${tag}${text}${tag}`, params: [] };
}

/** The statement as a LocalQuery; `onDone` runs after Postgres carried it out. */
export function dropMirrorQuery(up: UpstreamChannel, targets: DropTarget[], o: DropOptions, onDone: () => void = () => {}): LocalQuery {
  const { sql, params } = dropSql(targets, o);
  return upstreamStatement({
    paramTypes: [],
    fields: null,
    tag: 'DROP TABLE',
    run: async () => {
      const r = await up.query(sql, params);
      onDone();
      return r;
    },
  });
}

function written(t: DropTarget): string {
  return regclassText(t.written.schema, t.written.name);
}
