import type pg from 'pg';
import { classify } from '../errors/classify.js';
import type { Logger } from '../log.js';
import type { Lsn } from '../lsn.js';
import { readPublicTables } from '../source/public-tables.js';
import { readSlotHealth, type SlotHealth } from './slot-health.js';
import { connect } from '../pg/with-client.js';
import { pause } from '../pause.js';

export interface SourcePollerOptions {
  readonly legacyUrl: string;
  readonly slot: string;
  /** Pause between two readings (default 2 s). */
  readonly intervalMs?: number;
  /**
   * Receives the legacy server's WAL position, one reading late (see the class comment). The
   * sidecar takes it as the source position that lag in bytes is measured from.
   */
  readonly onSourceLsn: (lsn: Lsn) => void;
  /** Receives the tables of the legacy schema public at every reading (a table created later must show as unrouted). */
  readonly onTables?: (tables: readonly string[]) => void;
  readonly log: Logger;
}

/**
 * Polls the legacy server on its own connection: its current WAL position, the state of the
 * slot (retained WAL, wal_status, safe_wal_size) and the tables of schema public, for the metrics
 * and /status.
 *
 * The position it hands on is the one read one poll earlier. A healthy stream learns the WAL end
 * from keepalives within about a second, so a position two seconds old is always covered when the
 * sidecar is caught up, and lag in bytes reads exactly 0 while the legacy database is idle (even
 * when other databases of the same server keep writing WAL). When the stream is stuck, stopped or
 * disconnected, that position keeps moving while the applied ones do not: lag grows, two
 * seconds late at most.
 */
export class SourcePoller {
  private latestValue: SlotHealth | undefined;
  private previousLsn: Lsn | undefined;
  private client: pg.Client | undefined;
  private lastError: string | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: SourcePollerOptions) {}

  /** The last successful reading, or undefined before the first one. */
  get latest(): SlotHealth | undefined {
    return this.latestValue;
  }

  /** Resolves after the next successful reading (for tests and `status`). */
  nextPoll(): Promise<void> {
    return new Promise((resolve) => {
      const listener = (): void => {
        this.listeners.delete(listener);
        resolve();
      };
      this.listeners.add(listener);
    });
  }

  /** Reads once now. Failures are logged (once per distinct message) and leave `latest` as it was. */
  async pollOnce(): Promise<void> {
    try {
      if (!this.client) {
        this.client = await connect(this.options.legacyUrl, { doing: 'reading the legacy WAL position and slot state', application: 'pgcarve-source-poller', connectTimeoutMs: 5_000 });
      }
      const health = await readSlotHealth(this.client, this.options.slot);
      if (this.options.onTables) this.options.onTables(await readPublicTables(this.client));
      if (this.previousLsn !== undefined) this.options.onSourceLsn(this.previousLsn);
      this.previousLsn = health.currentLsn;
      this.latestValue = health;
      this.lastError = undefined;
      for (const listener of [...this.listeners]) listener();
    } catch (error) {
      await this.close();
      const failure = classify(error, 'reading the legacy WAL position and slot state');
      if (failure.message !== this.lastError) this.options.log.warn(failure.message, { kind: failure.kind });
      this.lastError = failure.message;
    }
  }

  /** Polls until `signal` aborts, then closes its connection. */
  async run(signal: AbortSignal): Promise<void> {
    const interval = this.options.intervalMs ?? 2_000;
    try {
      while (!signal.aborted) {
        await this.pollOnce();
        await pause(interval, signal);
      }
    } finally {
      await this.close();
    }
  }

  private async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
