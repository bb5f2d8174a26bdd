// Reconnect loop around ChangeStream. Each attempt restarts from max(caller's durable LSN, last ack), so the
// server resends every transaction not yet acknowledged; a 'reconnect' event first tells the sink to drop
// whatever uncommitted (incl. streamed) transaction state it holds.
import { log } from '../../log.js';
import { formatLsn, type Lsn } from '../lsn.js';
import { TypeCatalog } from '../types/catalog.js';
import type { CdcSink } from './change.js';
import { ChangeStream, type ChangeStreamOptions } from './change-stream.js';

export interface ResilientOptions {
  /** first retry delay; doubles per consecutive failure up to maxDelayMs; default 500 */
  minDelayMs?: number;
  /** default 30 s */
  maxDelayMs?: number;
  onError?: (err: Error, attempt: number) => void;
}

export class ResilientChangeStream {
  /** successful connections so far */
  connects = 0;
  /** shared by every attempt, so dynamic types are loaded once */
  readonly catalog: TypeCatalog;
  private current: ChangeStream | undefined;
  private acked: Lsn = 0n;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(readonly options: ChangeStreamOptions & ResilientOptions) {
    this.catalog = options.catalog ?? new TypeCatalog();
  }

  get stream(): ChangeStream | undefined {
    return this.current;
  }

  ack(lsn: Lsn): void {
    if (lsn > this.acked) this.acked = lsn;
    this.current?.ack(lsn);
  }

  /** Stream until stop(); `durableLsn` is asked on every (re)connect. */
  async run(durableLsn: () => Lsn, sink: CdcSink): Promise<void> {
    let failures = 0;
    let attempt = 0;
    while (!this.stopped) {
      const from = durableLsn() > this.acked ? durableLsn() : this.acked;
      const stream = new ChangeStream({ ...this.options, catalog: this.catalog });
      this.current = stream;
      try {
        if (attempt > 0) await sink({ kind: 'reconnect', startLsn: from, attempt });
        await stream.start(from, sink);
        this.connects++;
        failures = 0;
        await stream.finished;
        if (this.stopped) return;
        throw new Error('replication stream ended');
      } catch (e) {
        await stream.stop().catch(() => {});
        if (this.stopped) return;
        attempt++;
        failures++;
        this.options.onError?.(e as Error, attempt);
        const delay = Math.min(this.options.maxDelayMs ?? 30_000, (this.options.minDelayMs ?? 500) * 2 ** (failures - 1));
        log.warn({ slot: this.options.slot, err: (e as Error).message, from: formatLsn(from), delay }, 'cdc: reconnecting');
        await new Promise<void>((res) => {
          const t = setTimeout(res, delay);
          this.wake = () => { clearTimeout(t); res(); };
        });
        this.wake = undefined;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.current?.stop();
  }
}
