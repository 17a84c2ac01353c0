import pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { formatLsn, maxLsn, ZERO_LSN, type Lsn } from '../lsn.js';
import type { Logger } from '../log.js';
import type { ServiceName } from '../router/service.js';
import { BatchApplier } from './apply-batch.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { ensureStateTables } from './state-tables.js';
import { loadTableShapes } from './table-shape.js';
import type { TargetOp } from './target-op.js';
import type { WriterItem } from './writer-input.js';

export type WriterState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running' }
  /** Stopped by an operator-facing error; holds the slot (its position no longer advances). */
  | { readonly kind: 'stopped'; readonly error: PgcarveError };

/** What a writer reports as it goes; metrics implement it (a wrapper, not a dependency). */
export interface WriterObserver {
  batchCommitted(service: ServiceName, info: { readonly seconds: number; readonly transactions: number; readonly changes: ReadonlyMap<string, number> }): void;
  error(service: ServiceName, error: PgcarveError): void;
  stateChanged(service: ServiceName, state: WriterState): void;
}

export const nullObserver: WriterObserver = { batchCommitted: () => undefined, error: () => undefined, stateChanged: () => undefined };

export interface TargetWriterOptions {
  readonly service: ServiceName;
  readonly url: string;
  readonly slot: string;
  /** The target tables the mappings write in this service. */
  readonly tables: readonly string[];
  /** Source transactions grouped into one target transaction at most. */
  readonly maxTransactions: number;
  /** How long a target transaction may stay open collecting more source transactions. */
  readonly maxLatencyMs: number;
  /** Ops held in memory before they are applied inside the open target transaction. */
  readonly pieceSize?: number;
  /** Ops queued before `push` makes the caller wait (backpressure). */
  readonly maxQueuedOps?: number;
  readonly log: Logger;
  readonly observer?: WriterObserver;
}

/**
 * Applies one service's share of every source transaction to its database, exactly once.
 *
 * Contract:
 * - Source transactions are applied whole and in commit order; several are grouped into one
 *   target transaction (bounded by count and latency), and a large one is applied in pieces of
 *   `pieceSize` ops inside its open target transaction, so memory stays bounded.
 * - The target transaction that applies source transactions up to end LSN E also records E in
 *   pgcarve.checkpoint. On start, and after any restart of the stream, every source transaction
 *   whose commit record starts below the checkpoint is skipped: each one is applied exactly once.
 * - `position()` only grows. It is the end LSN below which this service has durably applied
 *   everything the source committed (transactions with no ops for this service count as applied).
 * - Transient failures are thrown to `run()`'s caller, which restarts the stream from the
 *   acknowledged position; operator failures stop this writer only (state `stopped`): the others
 *   go on, and the slot keeps the WAL from this writer's position.
 */
export class TargetWriter {
  private client: pg.Client | undefined;
  private applier: BatchApplier | undefined;
  private readonly queue: WriterItem[] = [];
  private queuedOps = 0;
  private wake: (() => void) | undefined;
  private spaceWaiters: (() => void)[] = [];
  private stateValue: WriterState = { kind: 'starting' };
  private durable: Lsn = ZERO_LSN;
  private persisted: Lsn = ZERO_LSN;
  private lastPersistAt = 0;
  /** Commits received but not yet durable: for lag in seconds. */
  private readonly unapplied: { readonly endLsn: Lsn; readonly commitTimeMs: number }[] = [];
  // The batch under construction.
  private open = false;
  private skipping = false;
  /** Between a begin and its commit of a transaction being applied. */
  private inTransaction = false;
  private currentFinalLsn: Lsn = ZERO_LSN;
  private pending: TargetOp[] = [];
  private batchTransactions = 0;
  private batchStartedAt = 0;
  private batchEnd: { readonly endLsn: Lsn; readonly commitTimeMs: number } | undefined;
  private batchChanges = new Map<string, number>();
  private forcePersist = false;
  private readonly observer: WriterObserver;

  constructor(private readonly options: TargetWriterOptions) {
    this.observer = options.observer ?? nullObserver;
  }

  get service(): ServiceName {
    return this.options.service;
  }

  get state(): WriterState {
    return this.stateValue;
  }

  /** See the class comment. */
  position(): Lsn {
    return this.durable;
  }

  /** The checkpoint as last written to the target database. */
  persistedPosition(): Lsn {
    return this.persisted;
  }

  /** Commit time (ms) of the oldest source transaction received and not yet durable here. */
  oldestUnappliedCommitMs(): number | undefined {
    return this.unapplied[0]?.commitTimeMs;
  }

  /** Connects, checks the tables and reads the checkpoint. Safe to call again after a failure. */
  async connect(): Promise<void> {
    await this.disconnect();
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: 10_000, keepAlive: true });
    client.on('error', () => undefined); // surfaced by the next query instead
    try {
      await client.connect();
      await client.query("SET TIME ZONE 'UTC'");
      await ensureStateTables(client);
      const shapes = await loadTableShapes(client, this.options.service, this.options.tables);
      this.applier = new BatchApplier(this.options.service, shapes);
      const checkpoint = await readCheckpoint(client, this.options.slot);
      this.durable = maxLsn(this.durable, checkpoint);
      this.persisted = maxLsn(this.persisted, checkpoint);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classify(error, `connecting to ${this.options.service}`);
    }
    this.client = client;
    if (this.stateValue.kind !== 'stopped') this.setState({ kind: 'running' });
  }

  async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.open = false;
    if (client) await client.end().catch(() => undefined);
  }

  /**
   * Queues an item; resolves at once unless too many ops are queued, then when there is room
   * (the caller, the replication stream, waits: backpressure).
   */
  push(item: WriterItem): Promise<void> | undefined {
    if (this.stateValue.kind === 'stopped') {
      // Keep the oldest commit it did not apply, so that its lag in seconds keeps growing.
      if (item.kind === 'commit' && this.unapplied.length === 0) this.unapplied.push({ endLsn: item.endLsn, commitTimeMs: item.commitTimeMs });
      return undefined;
    }
    this.queue.push(item);
    if (item.kind === 'ops') this.queuedOps += item.ops.length;
    if (item.kind === 'commit') this.unapplied.push({ endLsn: item.endLsn, commitTimeMs: item.commitTimeMs });
    this.wake?.();
    if (this.queuedOps < (this.options.maxQueuedOps ?? 20_000)) return undefined;
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  /**
   * Processes the queue until `signal` aborts (then returns after rolling back any open batch)
   * or a transient failure (then throws it). Operator failures stop the writer and return.
   */
  async run(signal: AbortSignal): Promise<void> {
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    try {
      while (!signal.aborted && this.stateValue.kind !== 'stopped') {
        const item = this.queue.shift();
        if (!item) {
          await this.closeBatch(true);
          if (this.queue.length === 0) {
            await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), aborted]);
            this.wake = undefined;
          }
          continue;
        }
        if (item.kind === 'ops') this.releaseSpace(item.ops.length);
        await this.handle(item);
      }
    } catch (error) {
      const failure = withContext(classify(error, `applying to ${this.options.service}`), `${this.options.service} stopped at the source transaction committed at LSN ${formatLsn(this.currentFinalLsn)}`);
      this.observer.error(this.options.service, failure);
      await this.rollback();
      if (failure.retryable) throw failure;
      this.stop(failure);
    } finally {
      if (signal.aborted) await this.rollback();
    }
  }

  /** Drops everything queued and any open batch (before a stream restart). Keeps the position. */
  async reset(): Promise<void> {
    await this.rollback();
    this.queue.length = 0;
    this.queuedOps = 0;
    this.unapplied.length = 0;
    this.releaseSpace(Number.POSITIVE_INFINITY);
  }

  private releaseSpace(count: number): void {
    this.queuedOps = Math.max(0, this.queuedOps - count);
    if (this.queuedOps < (this.options.maxQueuedOps ?? 20_000) / 2 || count === Number.POSITIVE_INFINITY) {
      const waiters = this.spaceWaiters;
      this.spaceWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private stop(error: PgcarveError): void {
    this.options.log.error(`writer for ${this.options.service} stopped: ${error.message}`, { service: this.options.service, kind: error.kind });
    this.setState({ kind: 'stopped', error });
    this.queue.length = 0;
    this.releaseSpace(Number.POSITIVE_INFINITY);
  }

  private setState(state: WriterState): void {
    this.stateValue = state;
    this.observer.stateChanged(this.options.service, state);
  }

  private async handle(item: WriterItem): Promise<void> {
    switch (item.kind) {
      case 'begin':
        // Commit order: a transaction whose commit record starts below the durable position was
        // applied (or had nothing for this service) before; replays of it are skipped.
        this.skipping = item.finalLsn < this.durable;
        this.currentFinalLsn = item.finalLsn;
        if (this.skipping) this.options.log.debug('skipping a source transaction applied before', { finalLsn: item.finalLsn.toString(16) });
        this.inTransaction = !this.skipping;
        if (!this.skipping && this.batchTransactions === 0 && !this.open) this.batchStartedAt = Date.now();
        return;
      case 'ops':
        if (this.skipping) return;
        for (const op of item.ops) this.pending.push(op);
        if (this.pending.length >= (this.options.pieceSize ?? 5_000)) await this.flushPending();
        return;
      case 'commit':
        if (this.skipping) {
          this.skipping = false;
          this.dropUnappliedUpTo(this.durable);
          return;
        }
        this.inTransaction = false;
        this.batchTransactions += 1;
        this.batchEnd = { endLsn: item.endLsn, commitTimeMs: item.commitTimeMs };
        if (item.fence) this.forcePersist = true;
        if (this.batchTransactions >= this.options.maxTransactions || Date.now() - this.batchStartedAt >= this.options.maxLatencyMs) await this.closeBatch(false);
        return;
      case 'idle':
        if (this.batchTransactions === 0 && !this.open && this.pending.length === 0) {
          if (item.lsn > this.durable) {
            this.durable = item.lsn;
            this.dropUnappliedUpTo(this.durable);
          }
          // Also when the position did not move this time: an advance made within a second of the
          // last write must still reach the checkpoint, or other processes see it late forever.
          if (Date.now() - this.lastPersistAt >= 1_000) await this.persistAlone(undefined);
        }
        return;
      case 'fail': {
        await this.rollback();
        const failure = withContext(item.error, `${this.options.service} stopped at the source transaction committed at LSN ${formatLsn(this.currentFinalLsn)}`);
        this.observer.error(this.options.service, failure);
        this.stop(failure);
        return;
      }
    }
  }

  private countChanges(ops: readonly TargetOp[]): void {
    for (const op of ops) {
      const key = `${op.table}\u0000${op.op}`;
      this.batchChanges.set(key, (this.batchChanges.get(key) ?? 0) + 1);
    }
  }

  private requireClient(): pg.Client {
    if (!this.client || !this.applier) throw new PgcarveError('connection_lost', `${this.options.service}: not connected`);
    return this.client;
  }

  private async flushPending(): Promise<void> {
    if (this.pending.length === 0) return;
    const client = this.requireClient();
    if (!this.open) {
      await client.query('BEGIN');
      this.open = true;
    }
    const ops = this.pending;
    this.pending = [];
    this.countChanges(ops);
    await this.applier?.apply(client, ops);
  }

  /**
   * Commits the batch when it holds committed source transactions. `queueDrained` says nothing more
   * is waiting, so there is no reason to wait for more.
   */
  private async closeBatch(queueDrained: boolean): Promise<void> {
    const end = this.batchEnd;
    // A source transaction in progress (begin seen, commit not yet) keeps the batch open: its
    // first pieces may already be in the target transaction, which must commit it whole.
    if (!end || this.skipping || this.inTransaction) return;
    if (!queueDrained && this.batchTransactions < this.options.maxTransactions && Date.now() - this.batchStartedAt < this.options.maxLatencyMs) return;
    const started = performance.now();
    const hasWork = this.open || this.pending.length > 0;
    if (hasWork) {
      await this.flushPending();
      const client = this.requireClient();
      await writeCheckpoint(client, this.options.slot, end.endLsn, new Date(end.commitTimeMs));
      await client.query('COMMIT');
      this.open = false;
      this.persisted = maxLsn(this.persisted, end.endLsn);
      this.lastPersistAt = Date.now();
    }
    this.durable = maxLsn(this.durable, end.endLsn);
    this.dropUnappliedUpTo(this.durable);
    if (hasWork) {
      this.observer.batchCommitted(this.options.service, { seconds: (performance.now() - started) / 1000, transactions: this.batchTransactions, changes: this.batchChanges });
    } else if (this.forcePersist || Date.now() - this.lastPersistAt >= 1_000) {
      await this.persistAlone(end.commitTimeMs);
    }
    this.forcePersist = false;
    this.batchTransactions = 0;
    this.batchEnd = undefined;
    this.batchChanges = new Map();
  }

  /** Writes the checkpoint on its own (no changes to go with it), so other processes see progress. */
  private async persistAlone(commitTimeMs: number | undefined): Promise<void> {
    if (this.durable <= this.persisted) return;
    const client = this.requireClient();
    await writeCheckpoint(client, this.options.slot, this.durable, commitTimeMs === undefined ? null : new Date(commitTimeMs));
    this.persisted = this.durable;
    this.lastPersistAt = Date.now();
  }

  private dropUnappliedUpTo(lsn: Lsn): void {
    while (this.unapplied.length > 0 && (this.unapplied[0] as { endLsn: Lsn }).endLsn <= lsn) this.unapplied.shift();
  }

  private async rollback(): Promise<void> {
    this.pending = [];
    this.batchTransactions = 0;
    this.batchEnd = undefined;
    this.batchChanges = new Map();
    this.skipping = false;
    this.inTransaction = false;
    this.forcePersist = false;
    if (this.open && this.client) {
      this.open = false;
      await this.client.query('ROLLBACK').catch(() => this.disconnect());
    }
    this.open = false;
  }
}

/** Prefixes an operator-facing message with where it happened (keeps kind and cause). */
function withContext(error: PgcarveError, context: string): PgcarveError {
  if (error.retryable) return error;
  return new PgcarveError(error.kind, `${context}: ${error.message}`, { cause: error.cause ?? error });
}
