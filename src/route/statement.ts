// What one parsed statement is, independent of which relations are mirrors: its access kind, the
// relations it names and how, EXPLAIN / COPY / DROP details, and any search_path change it makes.
// Everything here depends only on the SQL text, so it is cached with the parse (parser.ts).
import type { Node } from 'libpg-query';
import { RelationCollector, type RelationUse } from './relations.js';

/**
 * - read: a query (SELECT without INTO or data-modifying WITH; COPY … TO)
 * - write: changes rows (INSERT/UPDATE/DELETE/MERGE, SELECT INTO, CREATE TABLE AS, COPY FROM, TRUNCATE)
 * - session: transaction control, SET/RESET/SHOW, DISCARD
 * - definition: stores a query without running it (CREATE VIEW, CREATE FUNCTION … BEGIN ATOMIC)
 * - other: any other utility statement (DDL, CALL, DO, VACUUM, PREPARE, DECLARE …)
 */
export type Access = 'read' | 'write' | 'session' | 'definition' | 'other';

export interface QualifiedName {
  schema: string | null;
  name: string;
}

export interface StatementInfo {
  /** Postgres node name of the statement, e.g. 'SelectStmt', 'ExplainStmt' */
  nodeType: string;
  /** node under EXPLAIN; equals nodeType otherwise */
  queryType: string;
  /** the statement node as parsed (read-only; structuredClone before changing it) */
  stmt: Node;
  /** UTF-16 span of the statement in the original SQL, surrounding blanks trimmed */
  start: number;
  end: number;
  access: Access;
  uses: readonly RelationUse[];
  explain: { analyze: boolean } | null;
  /** COPY: direction and whether the client end (STDIN/STDOUT) is used rather than a server file/program */
  copy: { from: boolean; stdio: boolean } | null;
  /** DROP TABLE / VIEW / MATERIALIZED VIEW / FOREIGN TABLE targets */
  drops: QualifiedName[];
  /** FOR UPDATE / FOR SHARE somewhere in the statement */
  locking: boolean;
  /** SET search_path value for later statements of the same string; 'default' for RESET/DEFAULT */
  searchPath: string[] | 'default' | null;
  /** CALL mooncake.* — the control plane */
  controlCall: boolean;
  /** SQL command name for messages, e.g. 'INSERT', 'ALTER TABLE', 'EXPLAIN SELECT' */
  command: string;
}

type Obj = Record<string, unknown>;

const SESSION = new Set(['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt', 'DiscardStmt']);
const WRITE = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'TruncateStmt', 'CreateTableAsStmt']);
const DEFINITION = new Set(['ViewStmt', 'CreateFunctionStmt']);
const DROPPABLE = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);

/** Analyses one top-level statement node; `start`/`end` are filled in by the caller. */
export function analyzeStatement(stmt: Node): Omit<StatementInfo, 'start' | 'end'> {
  const [nodeType, body] = unwrap(stmt);
  let queryType = nodeType;
  let query = body;
  let explain: StatementInfo['explain'] = null;
  if (nodeType === 'ExplainStmt') {
    [queryType, query] = unwrap(body.query);
    explain = { analyze: explainAnalyze(body.options as Obj[] | undefined) };
  }

  const rel = new RelationCollector();
  rel.statement(queryType, query);

  let access: Access;
  if (queryType === 'SelectStmt') access = query.intoClause || rel.modifyingCte ? 'write' : 'read';
  else if (queryType === 'CopyStmt') access = query.is_from ? 'write' : 'read';
  // a cursor reads its query (WITH HOLD or not); one over a data-modifying query writes
  else if (queryType === 'DeclareCursorStmt') access = rel.modifyingCte || unwrap(query.query)[1].intoClause ? 'write' : 'read';
  else if (WRITE.has(queryType)) access = 'write';
  else if (SESSION.has(queryType)) access = 'session';
  else if (DEFINITION.has(queryType)) access = 'definition';
  else access = 'other';

  const copy = queryType === 'CopyStmt' ? { from: query.is_from === true, stdio: !query.filename && !query.is_program } : null;
  let command = COMMANDS[queryType] ?? queryType.replace(/Stmt$/, '');
  if (copy) command = copy.from ? 'COPY FROM' : 'COPY TO';
  else if (query.intoClause) command = 'SELECT INTO';
  else if (queryType === 'SelectStmt' && rel.modifyingCte) command = 'a data-modifying WITH query';
  if (explain) command = `EXPLAIN ${command}`;

  return {
    nodeType,
    queryType,
    command,
    stmt,
    access,
    uses: rel.uses,
    explain,
    copy,
    drops: queryType === 'DropStmt' ? dropTargets(query) : [],
    locking: rel.locking,
    searchPath: queryType === 'VariableSetStmt' || queryType === 'DiscardStmt' ? searchPathSet(queryType, query) : null,
    controlCall: queryType === 'CallStmt' && isControlCall(query),
  };
}

const COMMANDS: Record<string, string> = {
  SelectStmt: 'SELECT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  TruncateStmt: 'TRUNCATE',
  CreateTableAsStmt: 'CREATE TABLE AS',
  CreateStmt: 'CREATE TABLE',
  AlterTableStmt: 'ALTER TABLE',
  RenameStmt: 'ALTER … RENAME',
  AlterObjectSchemaStmt: 'ALTER … SET SCHEMA',
  IndexStmt: 'CREATE INDEX',
  CreateTrigStmt: 'CREATE TRIGGER',
  RuleStmt: 'CREATE RULE',
  CreatePolicyStmt: 'CREATE POLICY',
  ClusterStmt: 'CLUSTER',
  ReindexStmt: 'REINDEX',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  DeclareCursorStmt: 'DECLARE CURSOR',
  PrepareStmt: 'PREPARE',
  CreateStatsStmt: 'CREATE STATISTICS',
  ViewStmt: 'CREATE VIEW',
  CreateFunctionStmt: 'CREATE FUNCTION',
  DropStmt: 'DROP',
  TransactionStmt: 'transaction control',
  VariableSetStmt: 'SET',
  VariableShowStmt: 'SHOW',
  DoStmt: 'DO',
  CallStmt: 'CALL',
};

// EXPLAIN ANALYZE, EXPLAIN (ANALYZE), EXPLAIN (ANALYZE true|on|1); "false/off/0" turn it off.
function explainAnalyze(options: Obj[] | undefined): boolean {
  for (const o of options ?? []) {
    const d = o.DefElem as Obj | undefined;
    if (d?.defname !== 'analyze') continue;
    if (!d.arg) return true;
    const [t, v] = unwrap(d.arg as Node);
    if (t === 'Boolean') return v.boolval === true;
    if (t === 'Integer') return (v.ival ?? 0) !== 0;
    if (t === 'String') return !['false', 'off', '0', 'no'].includes(String(v.sval).toLowerCase());
    return true;
  }
  return false;
}

function dropTargets(drop: Obj): QualifiedName[] {
  if (!DROPPABLE.has(drop.removeType as string)) return [];
  return ((drop.objects as Obj[] | undefined) ?? []).map((o) => {
    const parts = (((o.List as Obj | undefined)?.items as Obj[] | undefined) ?? []).map(
      (i) => (i.String as Obj).sval as string,
    );
    const name = parts[parts.length - 1]!;
    return { schema: parts.length > 1 ? parts[parts.length - 2]! : null, name };
  });
}

function searchPathSet(type: string, s: Obj): StatementInfo['searchPath'] {
  if (type === 'DiscardStmt') return s.target === 'DISCARD_ALL' ? 'default' : null;
  if (s.kind === 'VAR_RESET_ALL') return 'default';
  if (s.name !== 'search_path') return null;
  if (s.kind === 'VAR_SET_DEFAULT' || s.kind === 'VAR_RESET') return 'default';
  if (s.kind !== 'VAR_SET_VALUE') return null;
  // SET search_path TO a, "B", '$user' arrives as string constants, already case-folded
  return ((s.args as Obj[] | undefined) ?? []).map((a) => {
    const c = a.A_Const as Obj | undefined;
    const sval = (c?.sval as Obj | undefined)?.sval;
    return typeof sval === 'string' ? sval : '';
  });
}

function isControlCall(call: Obj): boolean {
  const fc = call.funccall as Obj | undefined;
  const names = (fc?.funcname as Obj[] | undefined) ?? [];
  return names.length > 1 && (names[0]!.String as Obj | undefined)?.sval === 'mooncake';
}

function unwrap(v: unknown): [string, Obj] {
  const o = v as Obj;
  const k = Object.keys(o)[0]!;
  return [k, o[k] as Obj];
}
