import type pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { formatLsn, maxLsn, type Lsn } from '../lsn.js';
import type { Logger } from '../log.js';
import type { ServiceName } from '../../mappings/services.js';
import { BatchApplier } from './apply-batch.js';
import { beginFenced, readCheckpoint, writeCheckpoint } from '../state/checkpoint.js';
import { ensureStateTables } from '../state/state-tables.js';
import { loadTableShapes } from './table-shape.js';
import type { TargetOp } from './target-op.js';
import { WriterQueue } from './writer-queue.js';
import type { WriterItem } from './writer-item.js';
import { connect } from '../pg/with-client.js';

/** The most ops a session holds (estimated bytes) before it applies them inside the open target transaction. */
const PIECE_BYTES = 2 * 1024 * 1024;

/** What one writer session needs; the same for every round of a writer. */
export interface SessionSettings {
  readonly service: ServiceName;
  readonly url: string;
  readonly slot: string;
  /** The target tables the mappings write in this service. */
  readonly tables: readonly string[];
  /** Source transactions grouped into one target transaction at most. */
  readonly maxTransactions: number;
  /** How long a target transaction may stay open collecting more source transactions. */
  readonly maxLatencyMs: number;
  /** Ops held in memory before they are applied inside the open target transaction (and at most PIECE_BYTES of them). */
  readonly pieceSize: number;
  /** Estimated bytes queued before `push` makes the caller wait (backpressure; see WriterQueue). */
  readonly maxQueuedBytes: number;
  /** How long a full queue may keep the caller waiting before the session falls behind alone. */
  readonly stallMs: number;
  readonly log: Logger;
}

/** What a session reports to its writer as it goes (only the writer's current session is heard). */
export interface SessionHost {
  /** Everything below `lsn` is durably applied here (`persisted`: and the checkpoint says so). */
  advanced(session: WriterSession, lsn: Lsn, persisted: boolean): void;
  /** A commit was received (for lag in seconds). */
  received(session: WriterSession, endLsn: Lsn, commitTimeMs: number): void;
  batchCommitted(session: WriterSession, info: { readonly seconds: number; readonly transactions: number; readonly changes: ReadonlyMap<string, number> }): void;
}

/**
 * How a session ended:
 * - `ended`: its round ended (the stream restarts; the writer opens a new session);
 * - `behind`: a transient failure of this target, or a full queue for longer than the stall bound:
 *   this writer falls behind alone and rejoins from its checkpoint when the target is healthy;
 * - `failed`: an operator-facing error; the writer stops.
 */
export type SessionEnd =
  | { readonly kind: 'ended' }
  | { readonly kind: 'behind'; readonly error: PgcarveError }
  | { readonly kind: 'failed'; readonly error: PgcarveError };

/**
 * The session's state is two small machines, each changed in one place:
 *
 *     source (handle):   between ──begin──► applying ──commit──► between
 *                           └──begin below the position──► skipping ──commit──► between
 *
 *     batch:   none ──first applied begin──► collecting ──first piece to apply──► open
 *              collecting | open ──closeBatch, source between (limits, or the queue drained)──► none
 *
 * `collecting` holds ops in memory only; `open` has sent BEGIN with the checkpoint row locked
 * (beginFenced), so its pieces are applied in the one target transaction that COMMIT ends with
 * the checkpoint. A session that fails or ends in any state is thrown away with its connection:
 * the server rolls an open batch back, and the next session starts from the checkpoint.
 */

/** Where the session is in the source stream. */
type SourceTransaction =
  | { readonly kind: 'between' }
  /** Inside a source transaction being applied: the batch cannot commit before its commit. */
  | { readonly kind: 'applying'; readonly finalLsn: Lsn }
  /** Inside a source transaction replayed below the session's position: nothing of it is applied. */
  | { readonly kind: 'skipping'; readonly finalLsn: Lsn };

/**
 * The target transaction being built: source transactions received since the last commit. Exists
 * from the first begin that is applied until the commit that ends it (or a rollback).
 */
interface Batch {
  /** `collecting` until the first piece is applied; then `open`: BEGIN sent, checkpoint row locked (beginFenced). */
  target: 'collecting' | 'open';
  readonly startedAt: number;
  transactions: number;
  end: { readonly endLsn: Lsn; readonly commitTimeMs: number } | undefined;
  /** A fence commit is in the batch: write the checkpoint even if no row changed. */
  mustPersist: boolean;
  pending: TargetOp[];
  /** Estimated bytes of `pending` (writer-item-bytes.ts). */
  pendingBytes: number;
  readonly changes: Map<string, number>;
}

/**
 * One round of one target writer: its own connection, queue and batch, created when a stream round
 * starts and thrown away when it ends. Nothing of a session outlives its round except what it
 * committed to the target database; a new round starts a new session from the checkpoint there.
 *
 * Exactly once, also when a session of an earlier round is not quite gone (its connection still
 * open on the server, a COMMIT in flight): every batch locks the checkpoint row first and checks it
 * still holds the position this session started from (or last wrote). A session that finds it
 * moved ends with `target_fenced` instead of applying anything (checkpoint.ts, beginFenced).
 */
export class WriterSession {
  readonly queue: WriterQueue;
  private source: SourceTransaction = { kind: 'between' };
  private batch: Batch | undefined;
  /** Below this end LSN everything is durably applied by this service (the checkpoint, or idle advances). */
  private durable: Lsn;
  /** The checkpoint as this session last read or wrote it: what the next batch must find there. */
  private checkpoint: Lsn;
  private lastPersistAt = 0;
  private stalled = false;
  /** The commit LSN of the last source transaction begun: where an operator-facing failure is reported. */
  private lastFinalLsn: Lsn | undefined;

  private constructor(
    private readonly settings: SessionSettings,
    private readonly host: SessionHost,
    private readonly client: pg.Client,
    private readonly applier: BatchApplier,
    start: Lsn,
  ) {
    this.durable = start;
    this.checkpoint = start;
    this.queue = new WriterQueue(settings.maxQueuedBytes, settings.stallMs, () => {
      this.stalled = true;
      this.close();
    });
  }

  /** The application_name of writer connections, by which stale sessions are found. */
  static applicationName(settings: Pick<SessionSettings, 'slot' | 'service'>): string {
    return `pgcarve ${settings.slot} ${settings.service}`.slice(0, 63);
  }

  /**
   * Connects, checks the tables and reads the checkpoint. `stalePids` are backends of this writer's
   * earlier sessions: they are terminated first, so that none of them keeps a lock the new session
   * would wait on (exactness does not depend on it: see the class comment).
   */
  static async open(settings: SessionSettings, host: SessionHost, stalePids: readonly number[]): Promise<WriterSession> {
    const doing = `connecting to ${settings.service}`;
    const client = await connect(settings.url, { doing, keepAlive: true, application: WriterSession.applicationName(settings) });
    try {
      await client.query("SET TIME ZONE 'UTC'");
      if (stalePids.length > 0) {
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND application_name = $2 AND pid <> pg_backend_pid()', [stalePids, WriterSession.applicationName(settings)]);
      }
      await ensureStateTables(client);
      const shapes = await loadTableShapes(client, settings.service, settings.tables);
      const checkpoint = await readCheckpoint(client, settings.slot);
      return new WriterSession(settings, host, client, new BatchApplier(settings.service, shapes), checkpoint);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw classify(error, doing);
    }
  }

  /** The server process of this session's connection. */
  get backendPid(): number | undefined {
    return (this.client as unknown as { processID?: number }).processID;
  }

  /** The position the stream must start from for this session (its checkpoint when it opened). */
  position(): Lsn {
    return this.durable;
  }

  /** True for a source transaction this session skips (committed below its position). */
  skips(finalLsn: Lsn): boolean {
    return finalLsn < this.durable;
  }

  /** Queues an item (see WriterQueue); dropped once the session is closed. */
  push(item: WriterItem): Promise<void> | undefined {
    if (this.queue.closed) return undefined;
    if (item.kind === 'commit' && item.endLsn > this.durable) this.host.received(this, item.endLsn, item.commitTimeMs);
    return this.queue.push(item);
  }

  /**
   * Ends the session at once: the queue is dropped and its waiters released, the connection closed
   * (a statement in flight fails; the server rolls back an open transaction). Idempotent.
   */
  close(): void {
    if (this.queue.closed) return;
    this.queue.close();
    void this.client.end().catch(() => undefined);
  }

  /** Processes the queue until the round ends (`signal`), the session is closed, or it fails. */
  async run(signal: AbortSignal): Promise<SessionEnd> {
    try {
      while (!signal.aborted && !this.queue.closed) {
        const item = this.queue.take();
        if (!item) {
          await this.closeBatch(true);
          await this.queue.waitForItem(signal);
          continue;
        }
        const failure = await this.handle(item);
        if (failure) return { kind: 'failed', error: this.located(failure) };
      }
      if (this.stalled) {
        return { kind: 'behind', error: new PgcarveError('target_stalled', `${this.settings.service} took no changes for ${Math.round(this.settings.stallMs / 1000)} s with its queue full (a lock, a slow disk, an unreachable server?): it falls behind alone and catches up from its checkpoint when it is healthy again (PGCARVE_TARGET_STALL_SECONDS)`) };
      }
      return { kind: 'ended' };
    } catch (error) {
      if (signal.aborted && !this.stalled) return { kind: 'ended' };
      const failure = classify(error, `applying to ${this.settings.service}`);
      if (failure.retryable) return { kind: 'behind', error: failure };
      return { kind: 'failed', error: this.located(failure) };
    } finally {
      this.close();
    }
  }

  private located(error: PgcarveError): PgcarveError {
    const where = `${this.settings.service} stopped at the source transaction committed at LSN ${formatLsn(this.lastFinalLsn ?? this.durable)}`;
    return new PgcarveError(error.kind, `${where}: ${error.message}`, { cause: error.cause ?? error });
  }

  /** Returns an operator-facing failure that ends the session, or undefined. */
  private async handle(item: WriterItem): Promise<PgcarveError | undefined> {
    switch (item.kind) {
      case 'begin':
        this.lastFinalLsn = item.finalLsn;
        // Commit order: a transaction whose commit record starts below the position was applied
        // (or had nothing for this service) before; replays of it are skipped.
        if (item.finalLsn < this.durable) {
          this.source = { kind: 'skipping', finalLsn: item.finalLsn };
          return undefined;
        }
        this.source = { kind: 'applying', finalLsn: item.finalLsn };
        this.batch ??= { target: 'collecting', startedAt: Date.now(), transactions: 0, end: undefined, mustPersist: false, pending: [], pendingBytes: 0, changes: new Map() };
        return undefined;
      case 'ops': {
        if (this.source.kind !== 'applying' || !this.batch) return undefined;
        const pending = this.batch.pending;
        for (const op of item.ops) pending.push(op);
        this.batch.pendingBytes += this.queue.takenBytes;
        if (pending.length >= this.settings.pieceSize || this.batch.pendingBytes >= PIECE_BYTES) await this.flushPending(this.batch);
        return undefined;
      }
      case 'commit': {
        const batch = this.batch;
        const applying = this.source.kind === 'applying';
        this.source = { kind: 'between' };
        if (!applying || !batch) return undefined;
        batch.transactions += 1;
        batch.end = { endLsn: item.endLsn, commitTimeMs: item.commitTimeMs };
        if (item.fence) batch.mustPersist = true;
        if (batch.transactions >= this.settings.maxTransactions || Date.now() - batch.startedAt >= this.settings.maxLatencyMs) await this.closeBatch(false);
        return undefined;
      }
      case 'idle':
        if (!this.batch && this.source.kind === 'between') {
          if (item.lsn > this.durable) this.advance(item.lsn, false);
          // Also when the position did not move this time: an advance made within a second of the
          // last write must still reach the checkpoint, or other processes see it late forever.
          if (Date.now() - this.lastPersistAt >= 1_000) await this.persistAlone(undefined);
        }
        return undefined;
      case 'fail':
        // A change this session skips (a replay of a transaction applied before) cannot stop it.
        if (this.source.kind === 'skipping') return undefined;
        return item.error;
    }
  }

  private async flushPending(batch: Batch): Promise<void> {
    if (batch.pending.length === 0) return;
    await this.openTarget(batch);
    const ops = batch.pending;
    batch.pending = [];
    batch.pendingBytes = 0;
    for (const op of ops) {
      const key = `${op.table}\u0000${op.op}`;
      batch.changes.set(key, (batch.changes.get(key) ?? 0) + 1);
    }
    await this.applier.apply(this.client, ops);
  }

  private async openTarget(batch: Batch): Promise<void> {
    if (batch.target === 'open') return;
    const found = await beginFenced(this.client, this.settings.slot);
    batch.target = 'open';
    this.fenceCheck(found);
  }

  private fenceCheck(found: Lsn): void {
    if (found !== this.checkpoint) {
      throw new PgcarveError('target_fenced', `${this.settings.service}: the checkpoint moved to ${formatLsn(found)} under this writer (expected ${formatLsn(this.checkpoint)}): another session applied meanwhile; restarting from the checkpoint`);
    }
  }

  /**
   * Commits the batch when it holds committed source transactions. `queueDrained` says nothing more
   * is waiting, so there is no reason to wait for more.
   */
  private async closeBatch(queueDrained: boolean): Promise<void> {
    const batch = this.batch;
    // A source transaction in progress keeps the batch open: its first pieces may already be in
    // the target transaction, which must commit it whole.
    if (!batch?.end || this.source.kind !== 'between') return;
    if (!queueDrained && batch.transactions < this.settings.maxTransactions && Date.now() - batch.startedAt < this.settings.maxLatencyMs) return;
    const started = performance.now();
    const end = batch.end;
    const hasWork = batch.target === 'open' || batch.pending.length > 0;
    if (hasWork) {
      await this.flushPending(batch);
      await writeCheckpoint(this.client, this.settings.slot, end.endLsn, new Date(end.commitTimeMs));
      await this.client.query('COMMIT');
      this.batch = undefined;
      this.checkpoint = maxLsn(this.checkpoint, end.endLsn);
      this.lastPersistAt = Date.now();
      this.advance(end.endLsn, true);
      this.host.batchCommitted(this, { seconds: (performance.now() - started) / 1000, transactions: batch.transactions, changes: batch.changes });
      return;
    }
    this.batch = undefined;
    this.advance(end.endLsn, false);
    if (batch.mustPersist || Date.now() - this.lastPersistAt >= 1_000) await this.persistAlone(end.commitTimeMs);
  }

  private advance(lsn: Lsn, persisted: boolean): void {
    this.durable = maxLsn(this.durable, lsn);
    this.host.advanced(this, this.durable, persisted);
  }

  /** Writes the checkpoint on its own (no changes to go with it), so other processes see progress. */
  private async persistAlone(commitTimeMs: number | undefined): Promise<void> {
    if (this.durable <= this.checkpoint) return;
    const lsn = this.durable;
    this.fenceCheck(await beginFenced(this.client, this.settings.slot));
    await writeCheckpoint(this.client, this.settings.slot, lsn, commitTimeMs === undefined ? null : new Date(commitTimeMs));
    await this.client.query('COMMIT');
    this.checkpoint = lsn;
    this.lastPersistAt = Date.now();
    this.host.advanced(this, lsn, true);
  }
}
