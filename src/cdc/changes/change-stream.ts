// ChangeStream = ReplicationStream + ChangeAssembler: START_REPLICATION in, CdcEvents out, manual acks.
import type pg from 'pg';
import { openSession } from '../connection.js';
import type { Lsn } from '../lsn.js';
import { ReplicationStream, type ReplicationStats, type ReplicationStreamOptions } from '../stream.js';
import { TypeCatalog } from '../types/catalog.js';
import { ChangeAssembler, type ChangeAssemblerOptions } from './assembler.js';
import type { CdcSink } from './change.js';

export interface ChangeStreamOptions extends ReplicationStreamOptions, Omit<ChangeAssemblerOptions, 'resolveTypes'> {
  /**
   * how to learn type OIDs missing from the catalog (domains, enums, extension types); default: load them
   * from pg_type over a short-lived ordinary session using `connection`
   */
  resolveTypes?: ((oids: number[]) => Promise<void>) | false;
}

export class ChangeStream {
  readonly catalog: TypeCatalog;
  private readonly replication: ReplicationStream;
  private assembler: ChangeAssembler | undefined;

  constructor(readonly options: ChangeStreamOptions) {
    this.catalog = options.catalog ?? new TypeCatalog();
    this.replication = new ReplicationStream(options);
  }

  get finished(): Promise<void> {
    return this.replication.finished;
  }

  get stats(): ReplicationStats & { rows: number } {
    return { ...this.replication.stats, rows: this.assembler?.rows ?? 0 };
  }

  get ackedLsn(): Lsn {
    return this.replication.ackedLsn;
  }

  get receivedLsn(): Lsn {
    return this.replication.receivedLsn;
  }

  async start(startLsn: Lsn, sink: CdcSink): Promise<void> {
    const resolve = this.options.resolveTypes === false ? undefined
      : this.options.resolveTypes ?? ((oids: number[]) => loadTypes(this.catalog, this.options.connection, oids));
    this.assembler = new ChangeAssembler(sink, { ...this.options, catalog: this.catalog, resolveTypes: resolve });
    const assembler = this.assembler;
    await this.replication.start(startLsn, (x) => assembler.handle(x));
  }

  /** see ReplicationStream.ack: call with a commit's endLsn once its effects are durable */
  ack(lsn: Lsn): void {
    this.replication.ack(lsn);
  }

  stop(): Promise<void> {
    return this.replication.stop();
  }
}

async function loadTypes(catalog: TypeCatalog, connection: pg.ClientConfig, oids: number[]): Promise<void> {
  const c = await openSession(connection);
  try {
    await catalog.load(c, oids);
  } finally {
    await c.end();
  }
}
