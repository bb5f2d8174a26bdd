// A node-pg Submittable for statements that answer with COPY data: COPY … TO STDOUT (CopyOutResponse) and
// START_REPLICATION (CopyBothResponse). node-pg routes CopyData of the active query to handleCopyData but has
// no copy-out support of its own, and pg-copy-streams is not installed; this is the ~80-line core we need.
import type pg from 'pg';

/** the node-pg Connection members we use (not in @types/pg) */
export interface PgConnection {
  stream: import('node:net').Socket;
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  on(event: string, fn: (...args: any[]) => void): unknown;
  removeListener(event: string, fn: (...args: any[]) => void): unknown;
}

export function connectionOf(client: pg.Client): PgConnection {
  return (client as unknown as { connection: PgConnection }).connection;
}

export class CopyQuery implements pg.Submittable {
  /** settles when the server answered with CopyOut/CopyBoth (or failed before) */
  readonly started: Promise<void>;
  /** settles at ReadyForQuery after the copy, with the CommandComplete tag */
  readonly done: Promise<string>;
  connection: PgConnection | undefined;
  private commandTag = '';
  private resolveStarted!: () => void;
  private rejectStarted!: (e: Error) => void;
  private resolveDone!: (tag: string) => void;
  private rejectDone!: (e: Error) => void;
  private readonly onStart = (): void => this.resolveStarted();

  constructor(readonly text: string, private readonly onCopyData: (chunk: Buffer) => void) {
    this.started = new Promise((res, rej) => { this.resolveStarted = res; this.rejectStarted = rej; });
    this.done = new Promise((res, rej) => { this.resolveDone = res; this.rejectDone = rej; });
    // callers may await only one of the two
    this.started.catch(() => {});
    this.done.catch(() => {});
  }

  submit(connection: any): void {
    const con = connection as PgConnection;
    this.connection = con;
    con.on('copyOutResponse', this.onStart);
    con.on('replicationStart', this.onStart);
    con.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    this.onCopyData(msg.chunk);
  }

  handleCommandComplete(msg: { text: string }): void {
    this.commandTag = msg.text;
  }

  handleReadyForQuery(): void {
    this.detach();
    this.resolveStarted(); // e.g. an empty result; harmless if already settled
    this.resolveDone(this.commandTag);
  }

  handleError(err: Error): void {
    this.detach();
    this.rejectStarted(err);
    this.rejectDone(err);
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: any): void {
    (connection as { sendCopyFail(msg: string): void }).sendCopyFail('lakegate: COPY FROM is not supported here');
  }

  private detach(): void {
    this.connection?.removeListener('copyOutResponse', this.onStart);
    this.connection?.removeListener('replicationStart', this.onStart);
  }
}
