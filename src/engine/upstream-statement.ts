// A statement the router claimed but Postgres runs: lakegate sends it (or its rewrite) on the client's own
// connection when the portal is executed and relays the answer — DROP TABLE of a mirror, and a query on a
// name that turned out not to be a mirror after all. Values travel as text, so binary parameters and binary
// result columns are refused.
import { PgError, type LocalPortal, type LocalQuery, type ResultSink } from '../route/local.js';
import { commandComplete, dataRow, portalSuspended, type FieldDescription } from '../wire/messages/backend.js';
import type { QueryResult } from './upstream-channel.js';

export interface UpstreamPlan {
  /** ParameterDescription and RowDescription (null = NoData) the client sees */
  paramTypes: number[];
  fields: FieldDescription[] | null;
  /** runs the statement with the bound parameters (text) on the client's connection */
  run(params: (string | null)[]): Promise<QueryResult>;
  /** command tag to report instead of upstream's */
  tag?: string;
}

export function upstreamStatement(plan: UpstreamPlan): LocalQuery {
  return {
    paramTypes: plan.paramTypes,
    fields: () => plan.fields,
    async bind(params, paramFormats, resultFormats) {
      if (params.length !== plan.paramTypes.length) {
        throw new PgError('08P01', `bind message supplies ${params.length} parameters, but prepared statement "" requires ${plan.paramTypes.length}`);
      }
      const text = params.map((p, i) => {
        const fmt = paramFormats.length === 1 ? paramFormats[0] : paramFormats[i] ?? 0;
        if (p !== null && fmt === 1) throw new PgError('0A000', 'binary parameters are not supported for this statement on lakegate; send them as text');
        return p === null ? null : p.toString('utf8');
      });
      if (plan.fields && resultFormats.some((f) => f !== 0)) {
        throw new PgError('0A000', 'binary results are not supported for this statement on lakegate; ask for text');
      }
      return new UpstreamPortal(plan, text);
    },
  };
}

class UpstreamPortal implements LocalPortal {
  private result: QueryResult | null = null;
  private next = 0;

  constructor(
    private readonly plan: UpstreamPlan,
    private readonly params: (string | null)[],
  ) {}

  fields(): FieldDescription[] | null {
    return this.plan.fields;
  }

  async execute(maxRows: number, sink: ResultSink): Promise<'complete' | 'suspended'> {
    this.result ??= await this.plan.run(this.params);
    const rows = this.result.rows;
    const end = maxRows > 0 ? Math.min(rows.length, this.next + maxRows) : rows.length;
    for (; this.next < end; this.next++) {
      if (!sink.write(dataRow(rows[this.next]!.map((v) => (v === null ? null : Buffer.from(v, 'utf8')))))) await sink.drain();
    }
    if (this.next < rows.length) {
      sink.write(portalSuspended);
      return 'suspended';
    }
    sink.write(commandComplete(this.plan.tag ?? this.result.command));
    return 'complete';
  }

  close(): void {
    this.result = null;
  }
}
