// lakegate's own statements, answered without upstream: `SHOW lakegate.version`, and `SHOW
// lakegate.freshness_wait` (how long the session's last mirror query waited for strict freshness). They give
// clients a way to tell they are talking to lakegate, and exercise the local-answer path end to end.
import { PgError, type LocalPortal, type LocalQuery, type LocalRouter, type ResultSink, type SessionInfo } from './local.js';
import { Precheck } from './precheck.js';
import { commandComplete, dataRow, type FieldDescription } from '../wire/messages/backend.js';

import { VERSION } from '../version.js';
const TEXT_OID = 25;

const SHOW = /^\s*show\s+lakegate\.(\w+)\s*;?\s*$/i;

/** a one-column text result; `rowsNow` is read at each Bind, so a reused prepared statement reports the present */
function rowsQuery(name: string, rowsNow: () => string[][]): LocalQuery {
  const fields: FieldDescription[] = [{ name, typeOid: TEXT_OID, typeSize: -1 }];
  return {
    paramTypes: [],
    fields: () => fields,
    async bind(params, _pf, resultFormats): Promise<LocalPortal> {
      if (params.length > 0) throw new PgError('08P01', `bind message supplies ${params.length} parameters, but prepared statement requires 0`);
      const fmt = resultFormats[0] ?? 0;
      const out = fields.map((f) => ({ ...f, format: fmt }));
      const rows = rowsNow();
      let next = 0;
      return {
        fields: () => out,
        async execute(maxRows: number, sink: ResultSink) {
          const end = maxRows > 0 ? Math.min(rows.length, next + maxRows) : rows.length;
          for (; next < end; next++) sink.write(dataRow(rows[next]!.map((v) => Buffer.from(v))));
          if (next < rows.length) {
            sink.write(Buffer.from([0x73, 0, 0, 0, 4]));
            return 'suspended';
          }
          sink.write(commandComplete('SHOW'));
          return 'complete';
        },
        close() {},
      };
    },
  };
}

export class BuiltinRouter implements LocalRouter {
  private readonly pre = new Precheck(['lakegate']);

  mayBeLocal(buf: Buffer, start: number, end: number): boolean {
    return this.pre.test(buf, start, end);
  }

  claims(sql: string, _s: SessionInfo): boolean {
    return SHOW.test(sql);
  }

  async prepare(sql: string, _paramTypes: number[], s: SessionInfo): Promise<LocalQuery> {
    const what = SHOW.exec(sql)?.[1]?.toLowerCase();
    if (what === 'version') return rowsQuery('lakegate.version', () => [[VERSION]]);
    if (what === 'freshness_wait') {
      return rowsQuery('lakegate.freshness_wait', () => {
        const ms = s.freshnessWaitMs;
        return [[ms === null || ms === undefined ? 'none' : `${ms.toFixed(3)} ms`]];
      });
    }
    throw new PgError('42704', `unrecognized configuration parameter "lakegate.${what}"`);
  }
}
