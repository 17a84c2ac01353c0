import { PgcarveError } from '../errors/pgcarve-error.js';
import { formatLsn, maxLsn, ZERO_LSN, type Lsn } from '../lsn.js';
import type { Logger } from '../log.js';
import type { ServiceName } from '../../mappings/services.js';
import { DEFAULT_TARGET_QUEUE_BYTES } from '../config/config.js';
import { WriterSession, type SessionEnd, type SessionHost, type SessionSettings } from './writer-session.js';

export type WriterState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running' }
  /**
   * Fell behind alone: its target failed transiently or was too slow (see WriterSession). Holds the
   * slot at its position, probes the target, and rejoins the stream from its checkpoint when the
   * target is healthy again; the other writers do not wait for it.
   */
  | { readonly kind: 'behind'; readonly error: PgcarveError; readonly sinceMs: number }
  /** Stopped by an operator-facing error; holds the slot (its position no longer advances). */
  | { readonly kind: 'stopped'; readonly error: PgcarveError };

/** What a writer reports as it goes; metrics implement it (a wrapper, not a dependency). */
export interface WriterObserver {
  batchCommitted(service: ServiceName, info: { readonly seconds: number; readonly transactions: number; readonly changes: ReadonlyMap<string, number> }): void;
  error(service: ServiceName, error: PgcarveError): void;
  stateChanged(service: ServiceName, state: WriterState): void;
}

export const nullObserver: WriterObserver = { batchCommitted: () => undefined, error: () => undefined, stateChanged: () => undefined };

export interface TargetWriterOptions extends Omit<SessionSettings, 'pieceSize' | 'maxQueuedBytes' | 'stallMs'> {
  readonly pieceSize?: number;
  /** See SessionSettings.maxQueuedBytes (default DEFAULT_TARGET_QUEUE_BYTES). */
  readonly maxQueuedBytes?: number;
  /** See SessionSettings.stallMs (default 2 s). */
  readonly stallMs?: number;
  readonly observer?: WriterObserver;
}

/**
 * One service's writer, for the life of the process: its state and durable position. The work of
 * applying is done by one WriterSession per stream round (writer-session.ts has the exactly-once
 * argument); this object only hears its current session, so nothing an ended round still does can
 * move a position or a state.
 *
 * Contract:
 * - Source transactions are applied whole and in commit order, each exactly once.
 * - `position()` only grows. It is the end LSN below which this service has durably applied
 *   everything the source committed (transactions with no ops for this service count as applied).
 * - A transient failure of this target makes this writer fall `behind` alone; an operator failure
 *   stops it (`stopped`). Either way the slot keeps the WAL from its position.
 */
export class TargetWriter {
  private session: WriterSession | undefined;
  private stateValue: WriterState = { kind: 'starting' };
  private durable: Lsn = ZERO_LSN;
  private persisted: Lsn = ZERO_LSN;
  /** When this writer's target stalled lately (for the rejoin backoff: a target that keeps stalling waits longer). */
  private stallTimes: number[] = [];
  /** Backends of earlier sessions, terminated when the next one opens. */
  private stalePids: number[] = [];
  /** Commits received but not yet durable: for lag in seconds. */
  private unapplied: { readonly endLsn: Lsn; readonly commitTimeMs: number }[] = [];
  private readonly observer: WriterObserver;
  private readonly settings: SessionSettings;

  private readonly host: SessionHost = {
    advanced: (session, lsn, persisted) => {
      if (session !== this.session) return;
      this.durable = maxLsn(this.durable, lsn);
      if (persisted) this.persisted = maxLsn(this.persisted, lsn);
      let drop = 0;
      while (drop < this.unapplied.length && (this.unapplied[drop] as { endLsn: Lsn }).endLsn <= this.durable) drop += 1;
      if (drop > 0) this.unapplied = this.unapplied.slice(drop);
    },
    received: (session, endLsn, commitTimeMs) => {
      if (session !== this.session) return;
      this.unapplied.push({ endLsn, commitTimeMs });
    },
    batchCommitted: (session, info) => {
      if (session === this.session) this.observer.batchCommitted(this.settings.service, info);
    },
  };

  constructor(options: TargetWriterOptions) {
    this.observer = options.observer ?? nullObserver;
    this.settings = { ...options, pieceSize: options.pieceSize ?? 5_000, maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_TARGET_QUEUE_BYTES, stallMs: options.stallMs ?? 2_000 };
  }

  get service(): ServiceName {
    return this.settings.service;
  }

  get state(): WriterState {
    return this.stateValue;
  }

  get log(): Logger {
    return this.settings.log;
  }

  /** The settings its sessions (and the target probe) use. */
  get sessionSettings(): SessionSettings {
    return this.settings;
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

  /** Backends of earlier sessions that may still be on the server. */
  staleBackends(): readonly number[] {
    return this.stalePids;
  }

  /**
   * Opens this round's session: connects and reads the checkpoint, which becomes the position
   * (the round starts where the target database says, exactly as after a restart). The previous
   * session, if any, is closed first. Throws the classified connection error.
   */
  async openSession(): Promise<WriterSession> {
    this.closeSession();
    const session = await WriterSession.open(this.settings, this.host, this.stalePids);
    if (session.position() < this.persisted) {
      // The checkpoint this writer wrote is gone (the database recreated, its pgcarve schema
      // dropped): streaming on would leave a hole. Only a start can copy what is owed.
      session.close();
      throw new PgcarveError(
        'target_state_lost',
        `${this.settings.service}: its checkpoint is at ${formatLsn(session.position())}, below the ${formatLsn(this.persisted)} this writer wrote: the database was recreated or its pgcarve state removed while pgcarve ran; restart pgcarve, which copies what this database is owed before it streams`,
      );
    }
    this.stalePids = [];
    const pid = session.backendPid;
    if (pid !== undefined) this.stalePids.push(pid);
    this.session = session;
    this.durable = maxLsn(this.durable, session.position());
    this.persisted = maxLsn(this.persisted, session.position());
    if (this.stateValue.kind !== 'stopped') this.setState({ kind: 'running' });
    return session;
  }

  /** The current session, while a round runs with this writer in it. */
  current(): WriterSession | undefined {
    return this.session;
  }

  /** Forgets the current session and closes it (nothing it does afterwards is heard). */
  closeSession(): void {
    const session = this.session;
    this.session = undefined;
    session?.close();
  }

  /** Runs the current session to its end and takes the consequence for this writer's state. */
  async runSession(session: WriterSession, signal: AbortSignal): Promise<SessionEnd> {
    const end = await session.run(signal);
    if (session !== this.session) return { kind: 'ended' };
    this.session = undefined;
    if (end.kind === 'behind') this.fallBehind(end.error);
    if (end.kind === 'failed') this.stop(end.error);
    return end;
  }

  /** The target failed transiently (here or when connecting): this writer falls behind alone. */
  fallBehind(error: PgcarveError): void {
    if (this.stateValue.kind === 'stopped') return;
    this.closeSession();
    this.observer.error(this.settings.service, error);
    const now = Date.now();
    if (error.kind === 'target_stalled') this.stallTimes = [...this.stallTimes.filter((t) => now - t < 60_000), now];
    if (this.stateValue.kind !== 'behind') {
      this.settings.log.warn(`${this.settings.service} falls behind: ${error.message}`, { service: this.settings.service, kind: error.kind });
      this.setState({ kind: 'behind', error, sinceMs: Date.now() });
    }
  }

  /**
   * How long to wait before the first probe: 100 ms, and longer for a target that stalled
   * repeatedly within a minute (a slow target rejoins in larger steps instead of thrashing).
   * Connection failures do not count: after one, the target is back as soon as it answers.
   */
  rejoinDelayMs(): number {
    return Math.min(30_000, 100 * 4 ** Math.max(0, this.stallTimes.length - 1));
  }

  /** A source commit this writer did not get (it is behind or stopped): its lag in seconds keeps growing. */
  missed(endLsn: Lsn, commitTimeMs: number): void {
    if (this.unapplied.length === 0 && endLsn > this.durable) this.unapplied.push({ endLsn, commitTimeMs });
  }

  stop(error: PgcarveError): void {
    this.closeSession();
    this.observer.error(this.settings.service, error);
    this.settings.log.error(`writer for ${this.settings.service} stopped: ${error.message}`, { service: this.settings.service, kind: error.kind });
    this.setState({ kind: 'stopped', error });
  }

  private setState(state: WriterState): void {
    this.stateValue = state;
    this.observer.stateChanged(this.settings.service, state);
  }
}
