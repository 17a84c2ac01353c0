import type { Config } from './config/config.js';
import { classify } from './errors/classify.js';
import { PgcarveError } from './errors/pgcarve-error.js';
import type { Logger } from './log.js';
import { LEGACY_TARGET } from './pg/legacy-target.js';
import { connect, withClient } from './pg/with-client.js';
import { formatLsn, lsnDistance, maxLsn, minLsn, ZERO_LSN, type Lsn } from './lsn.js';
import type { RelationMemory } from './router/relation-memory.js';
import type { Router, WriterPort } from './router/router.js';
import type { RoutingTable } from './router/routing-table.js';
import type { ServiceName } from '../mappings/services.js';
import type { ReplicationStream } from './source/replication-stream.js';
import { checkSource, createSlot, ensurePublication, readSlot, type CreatedSlot } from './source/slot.js';
import { describeStandby, readSlotHolder } from './source/slot-holder.js';
import { checkReplication } from './source/source-preflight.js';
import { checkServiceDatabases } from './targets/target-preflight.js';
import type { TargetWriter, WriterState } from './targets/target-writer.js';
import { probeTarget } from './targets/target-probe.js';
import type { WriterSession } from './targets/writer-session.js';
import { NO_FLOORS, type BackfillFloors } from './source/backfill-floors.js';
import { readSealFences } from './state/cutover-marker.js';
import { sealedWriteReporter, type SealObserver } from './cutover/sealed-writes.js';
import { NO_SEALS, sealsFrom, type SealedChange, type ServiceSeals } from './router/seals.js';
import { pause } from './pause.js';

/** `standby`: the slot is held by another pgcarve; this one retries and takes over when it is released. */
export type Phase = 'starting' | 'backfilling' | 'streaming' | 'reconnecting' | 'standby' | 'stopping' | 'stopped';

/** Per service, what /status, `pgcarve status` and the metrics show. */
export interface ServiceProgress {
  readonly service: ServiceName;
  readonly appliedLsn: Lsn;
  readonly persistedLsn: Lsn;
  readonly lagBytes: number;
  readonly lagSeconds: number;
  readonly state: WriterState;
}

export interface SidecarSnapshot {
  readonly phase: Phase;
  readonly slot: string;
  readonly publication: string;
  readonly sourceConnected: boolean;
  readonly sourceLsn: Lsn;
  readonly acknowledgedLsn: Lsn;
  readonly services: readonly ServiceProgress[];
  readonly unroutedTables: readonly string[];
  readonly excludedTables: readonly { readonly table: string; readonly reason: string }[];
  readonly lastError: string | undefined;
}

/**
 * The backfill (backfill/backfill.ts explains each step and why the result is exact), as prepare()
 * drives it before streaming: `plan` before a new slot is created, `copy` on the new slot's
 * exported snapshot, `resume` when the slot exists but a service database is owed a copy (a table
 * an earlier process left unfinished, a database recreated or its pgcarve state lost, a newly
 * mapped table: backfill-holes.ts), and `floors` for the router before streaming. Without one,
 * `run` refuses to start when the mapped tables hold rows on the new slot's snapshot.
 */
export interface SidecarBackfill {
  plan(routing: RoutingTable): Promise<void>;
  copy(slot: CreatedSlot, routing: RoutingTable, signal: AbortSignal): Promise<void>;
  unfinished(routing: RoutingTable): Promise<boolean>;
  resume(routing: RoutingTable, slotPosition: Lsn, signal: AbortSignal): Promise<void>;
  floors(routing: RoutingTable): Promise<BackfillFloors>;
}

/**
 * The concrete objects the sidecar supervises, built by the composition root (runtime.ts,
 * `sidecarParts`): the routing table, one writer per service, and what each stream round makes
 * anew (a router and a replication connection).
 */
export interface SidecarParts {
  readonly routing: RoutingTable;
  readonly writers: readonly TargetWriter[];
  /** Relation OIDs across rounds: a table renamed between two rounds is still recognised. */
  readonly relations: RelationMemory;
  /** A router for one round, delivering to `ports`; it stops delivering once `signal` aborts. */
  readonly router: (ports: readonly WriterPort[], signal: AbortSignal) => Router;
  /** A replication connection for one round. */
  readonly stream: () => ReplicationStream;
}

export interface SidecarOptions {
  readonly config: Config;
  readonly parts: SidecarParts;
  readonly log: Logger;
  readonly backfill?: SidecarBackfill;
  /** Hears of legacy changes held back by a cutover seal (router/seals.ts). */
  readonly sealObserver?: SealObserver;
  /** Backoff between reconnects: first and maximum delay. */
  readonly backoffMs?: readonly [number, number];
  readonly onPhase?: (phase: Phase) => void;
}

/**
 * The streaming sidecar's supervisor: given its parts (SidecarParts), it prepares the source
 * (publication, slot, backfill) and runs the stream in rounds. The slot is acknowledged at the
 * minimum position every writer has durably applied.
 *
 * Recovery is a restart, by construction. A round is one replication connection, one Router and
 * one WriterSession per writer that takes part, all created for it and thrown away with it:
 * - when a round ends (a transient failure, a rejoin, SIGTERM), its AbortSignal aborts, its stream
 *   is stopped, and every session is closed at once (queue dropped, waiters released, connection
 *   closed): a router call still waiting on backpressure wakes up and throws RoundEnded before it
 *   delivers anything, and items pushed into a closed session are dropped;
 * - the next round creates everything anew: sessions read their checkpoint from the target
 *   database (writer-session.ts), a new router learns relations from the new stream, and the stream
 *   restarts from the minimum position, so each writer skips what it already has;
 * - writers hear only their current session (target-writer.ts), and a session of an ended round
 *   whose backend is not gone yet cannot apply anything: every batch checks the checkpoint under
 *   its row lock first (checkpoint.ts, beginFenced).
 * So what a round leaves behind is only what it committed in the target databases, with the
 * checkpoint in the same transactions: exactly the state a kill -9 leaves, which the crash test
 * proves the restart handles.
 *
 * One slow or failed target does not hold the others back: its writer falls `behind` alone (its
 * session ends on a transient error, or when its queue stays full longer than the stall bound),
 * the round goes on without it, a probe watches the target, and when it is healthy the round ends
 * so that the next one includes the writer again, from its checkpoint (the others skip what they
 * have). An operator failure stops only the writer it concerns.
 */
export class Sidecar {
  readonly routing: RoutingTable;
  readonly writers: readonly TargetWriter[];
  private floors: BackfillFloors = NO_FLOORS;
  /** The cutover seals, from pgcarve.cutover at start and from seal/lift messages as they stream. */
  private seals: ServiceSeals = NO_SEALS;
  private readonly onSealed: SealedChange;
  private readonly relations: RelationMemory;
  private phaseValue: Phase = 'starting';
  private sourceConnected = false;
  private sourceLsn: Lsn = ZERO_LSN;
  private acknowledged: Lsn = ZERO_LSN;
  private unrouted: readonly string[] = [];
  private lastError: string | undefined;
  /** The running round, ended early when a writer that fell behind can rejoin. */
  private currentRound: AbortController | undefined;
  private rejoinTimer: NodeJS.Timeout | undefined;
  private readonly probes = new Map<TargetWriter, Promise<void>>();
  /** Writers whose target a probe found healthy again: they take part in the next round. */
  private readonly rejoining = new Set<TargetWriter>();
  /** Whether a round has opened sessions before (the first one treats operator errors as fatal). */
  private started = false;
  /** The signal run() was given: probes end with it. */
  private runSignal: AbortSignal = new AbortController().signal;

  constructor(private readonly options: SidecarOptions) {
    this.routing = options.parts.routing;
    this.writers = options.parts.writers;
    this.relations = options.parts.relations;
    this.onSealed = sealedWriteReporter(options.log, options.sealObserver);
  }

  get phase(): Phase {
    return this.phaseValue;
  }

  private setPhase(phase: Phase): void {
    if (this.phaseValue === phase) return;
    this.phaseValue = phase;
    this.options.log.info(`phase: ${phase}`);
    this.options.onPhase?.(phase);
  }

  /** Ready: streaming with the source and every writer connected and running. */
  ready(): boolean {
    return this.phaseValue === 'streaming' && this.sourceConnected && this.writers.every((w) => w.state.kind === 'running');
  }

  snapshot(): SidecarSnapshot {
    const now = Date.now();
    return {
      phase: this.phaseValue,
      slot: this.options.config.slot,
      publication: this.options.config.publication,
      sourceConnected: this.sourceConnected,
      sourceLsn: this.sourceLsn,
      acknowledgedLsn: this.acknowledged,
      services: this.writers.map((w) => {
        const oldest = w.oldestUnappliedCommitMs();
        return {
          service: w.service,
          appliedLsn: w.position(),
          persistedLsn: w.persistedPosition(),
          lagBytes: lsnDistance(this.sourceLsn, w.position()),
          lagSeconds: oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000),
          state: w.state,
        };
      }),
      unroutedTables: [...new Set([...this.unrouted, ...this.relations.unrouted])].sort(),
      excludedTables: [...this.routing.excluded].map(([table, reason]) => ({ table, reason })),
      lastError: this.lastError,
    };
  }

  /** The legacy tables as read now by another connection: keeps the unrouted list current. */
  observeSourceTables(tables: readonly string[]): void {
    const unrouted = this.routing.unrouted(tables);
    if (unrouted.join(',') === this.unrouted.join(',')) return;
    const added = unrouted.filter((t) => !this.unrouted.includes(t));
    this.unrouted = unrouted;
    if (added.length > 0) this.options.log.warn(`legacy tables neither mapped nor excluded, so not migrated: ${added.join(', ')}; add a mapping or an explicit exclusion`, { tables: added });
  }

  /** The source's current WAL position, seen by another connection (for lag while idle or stopped). */
  observeSourceLsn(lsn: Lsn): void {
    this.sourceLsn = maxLsn(this.sourceLsn, lsn);
  }

  /** Runs until `signal` aborts (then drains and returns) or a non-transient failure (throws). */
  async run(signal: AbortSignal): Promise<void> {
    const [initialBackoff, maxBackoff] = this.options.backoffMs ?? [500, 30_000];
    this.runSignal = signal;
    try {
      await this.prepare(signal);
      let backoff = initialBackoff;
      while (!signal.aborted) {
        try {
          await this.round(signal);
          backoff = initialBackoff;
        } catch (error) {
          const failure = classify(error, 'streaming');
          this.lastError = failure.message;
          if (!failure.retryable) throw failure;
          const standby = failure.kind === 'slot_in_use';
          if (standby) this.lastError = describeStandby(this.options.config.slot, await readSlotHolder(this.options.config.legacyUrl, this.options.config.slot).catch(() => null));
          this.options.log.warn(`${this.lastError}; ${standby ? 'retrying' : 'reconnecting'} in ${backoff} ms`, { kind: failure.kind });
          this.setPhase(standby ? 'standby' : 'reconnecting');
          await pause(backoff, signal);
          backoff = Math.min(maxBackoff, backoff * 2);
        }
      }
      if (signal.aborted) this.setPhase('stopping');
    } finally {
      clearTimeout(this.rejoinTimer);
      for (const w of this.writers) w.closeSession();
      await Promise.all(this.probes.values());
    }
    this.setPhase('stopped');
  }

  /**
   * Checks the source, ensures the publication and slot, and makes the initial copy if the slot is
   * new (or resumes one an earlier process left unfinished). `signal` interrupts a backfill between
   * batches; the next start resumes it.
   */
  private async prepare(signal: AbortSignal): Promise<void> {
    const { config, log } = this.options;
    // The targets first: nothing is created on the legacy side for targets that cannot take it.
    await checkServiceDatabases(config.serviceUrls);
    const client = await connect(config.legacyUrl, { doing: 'checking the legacy database', target: LEGACY_TARGET });
    let created: CreatedSlot | undefined;
    try {
      const mapped = this.routing.mappedSources();
      const check = await checkSource(client, mapped, (table) => this.routing.bySource.get(table)?.mapping.sourceKey);
      await checkReplication(client, config.legacyUrl, config.slot);
      this.unrouted = this.routing.unrouted(check.tables);
      if (this.unrouted.length > 0) {
        log.warn(`legacy tables neither mapped nor excluded, so not migrated: ${this.unrouted.join(', ')}; add a mapping or an explicit exclusion`, { tables: this.unrouted });
      }
      await ensurePublication(client, config.publication, mapped);
      const slot = await readSlot(client, config.slot);
      const backfill = this.options.backfill;
      if (!slot.exists) {
        // Always with an exported snapshot: whether the tables hold rows is decided on the snapshot
        // the stream continues from, never by an earlier look (a transaction open during that look
        // could commit before the slot's consistent point: it would be neither copied nor streamed).
        await backfill?.plan(this.routing);
        created = await createSlot(config.legacyUrl, config.slot, true);
        log.info(`created replication slot ${config.slot} at ${formatLsn(created.consistentPoint)}`, { slot: config.slot, lsn: formatLsn(created.consistentPoint) });
        if (backfill) {
          this.setPhase('backfilling');
          await backfill.copy(created, this.routing, signal);
        } else if (await anyRowsOnSnapshot(config.legacyUrl, created.snapshot, mapped)) {
          await created.release();
          created = undefined;
          await client.query('SELECT pg_drop_replication_slot($1)', [config.slot]).catch(() => undefined);
          throw new PgcarveError('bad_input', `the mapped legacy tables already hold rows and this pgcarve has no backfill: they would be missing from the targets`);
        }
      } else if (backfill && (await backfill.unfinished(this.routing))) {
        this.setPhase('backfilling');
        await backfill.resume(this.routing, slot.confirmedFlush ?? ZERO_LSN, signal);
      }
      if (backfill) this.floors = await backfill.floors(this.routing);
      this.seals = sealsFrom(await readSealFences(config.serviceUrls, config.slot));
    } finally {
      await created?.release();
      await client.end().catch(() => undefined);
    }
  }

  private minPosition(): Lsn {
    return this.writers.map((w) => w.position()).reduce((a, b) => minLsn(a, b));
  }

  /** One stream round (see the class comment). Returns when it ends without a failure. */
  private async round(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const sessions = await this.openSessions();
    const round = new AbortController();
    const stop = (): void => round.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.currentRound = round;
    if (sessions.size === 0) {
      // No writer can apply: streaming would only hold the walsender (a legacy server shutting
      // down waits for it). Wait for a probe to find a target healthy again, or for the stop.
      this.setPhase('reconnecting');
      await new Promise<void>((resolve) => round.signal.addEventListener('abort', () => resolve(), { once: true }));
      signal.removeEventListener('abort', stop);
      if (this.currentRound === round) this.currentRound = undefined;
      return;
    }
    const inRound = (w: TargetWriter): boolean => w.current() !== undefined && w.current() === sessions.get(w);
    const runs = [...sessions].map(async ([writer, session]) => {
      const end = await writer.runSession(session, round.signal);
      if (end.kind === 'behind') this.startProbe(writer);
      // The last writer of the round left it: end the round the same way.
      if (end.kind !== 'ended' && ![...sessions.keys()].some(inRound)) round.abort();
    });
    const router = this.options.parts.router(this.writers.map((w) => writerPort(w, sessions.get(w))), round.signal);
    router.setFloors(this.floors);
    router.setSeals(this.seals, this.onSealed, (seals) => (this.seals = seals));
    const stream = this.options.parts.stream();
    round.signal.addEventListener('abort', () => void stream.stop(), { once: true });
    const start = this.minPosition();
    this.acknowledged = maxLsn(this.acknowledged, start);
    const ackTimer = setInterval(() => this.acknowledge(stream), 250);
    try {
      if (round.signal.aborted) return;
      this.setPhase('streaming');
      this.sourceConnected = true;
      await stream.run(start, {
        onEvent: (event) => router.handle(event),
        onWalEnd: (walEnd, drained) => {
          if (round.signal.aborted) return;
          this.sourceLsn = maxLsn(this.sourceLsn, walEnd);
          if (drained && !router.midTransaction) router.idle(walEnd).catch(() => undefined);
        },
      });
    } catch (error) {
      if (!round.signal.aborted) throw error;
    } finally {
      this.sourceConnected = false;
      round.abort();
      signal.removeEventListener('abort', stop);
      clearInterval(ackTimer);
      if (this.currentRound === round) this.currentRound = undefined;
      // Closed at once, not drained: a session stuck on a target must not hold the next round.
      for (const writer of sessions.keys()) writer.closeSession();
      await Promise.all(runs);
      this.acknowledge(stream);
    }
  }

  /**
   * Opens a session for every writer that takes part in this round: running ones, and those that
   * fell behind once a probe found their target healthy. A target that cannot be reached makes its
   * writer fall behind (the others go on); an operator-facing error stops it.
   */
  private async openSessions(): Promise<Map<TargetWriter, WriterSession>> {
    const first = !this.started;
    this.started = true;
    const joining = this.writers.filter((w) => w.state.kind === 'starting' || w.state.kind === 'running' || (w.state.kind === 'behind' && this.rejoining.has(w)));
    const sessions = new Map<TargetWriter, WriterSession>();
    let operatorFailure: PgcarveError | undefined;
    await Promise.all(
      joining.map(async (writer) => {
        this.rejoining.delete(writer);
        try {
          sessions.set(writer, await writer.openSession());
        } catch (error) {
          const failure = classify(error, `connecting to ${writer.service}`);
          if (failure.retryable) {
            writer.fallBehind(failure);
            this.startProbe(writer);
          } else if (first) {
            // At start an operator error ends the run (a missing table, a privilege): nothing streams yet.
            operatorFailure ??= failure;
          } else {
            writer.stop(failure);
          }
        }
      }),
    );
    if (operatorFailure) {
      for (const writer of sessions.keys()) writer.closeSession();
      throw operatorFailure;
    }
    return sessions;
  }

  /** Watches a target whose writer fell behind; when it is healthy, ends the round to rejoin it. */
  private startProbe(writer: TargetWriter): void {
    if (this.probes.has(writer)) return;
    const stopping = this.runSignal;
    const probe = (async () => {
      let delay = writer.rejoinDelayMs();
      while (writer.state.kind === 'behind' && !stopping.aborted) {
        await pause(delay, stopping);
        if (stopping.aborted) return;
        const problem = await probeTarget(writer.sessionSettings, writer.staleBackends());
        if (!problem) {
          this.rejoining.add(writer);
          this.requestRejoin();
          return;
        }
        writer.log.debug(`${writer.service} is not healthy yet: ${problem.message}`);
        delay = Math.min(2_000, delay * 2);
      }
    })().finally(() => this.probes.delete(writer));
    this.probes.set(writer, probe);
  }

  /** Ends the running round soon (coalescing several rejoins), so that the next one takes them in. */
  private requestRejoin(): void {
    if (this.rejoinTimer) return;
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined;
      this.currentRound?.abort();
    }, 100);
  }

  private acknowledge(stream: ReplicationStream): void {
    const position = this.minPosition();
    if (position > this.acknowledged) this.acknowledged = position;
    stream.acknowledge(this.acknowledged);
  }
}

/** How the router of a round reaches one writer (its session in this round, if it has one). */
function writerPort(writer: TargetWriter, session: WriterSession | undefined): WriterPort {
  return {
    service: writer.service,
    get accepting() {
      return session !== undefined && writer.current() === session && !session.queue.closed;
    },
    skips: (finalLsn) => session === undefined || session.skips(finalLsn),
    push(item) {
      if (session !== undefined && writer.current() === session && !session.queue.closed) return session.push(item);
      if (item.kind === 'commit') writer.missed(item.endLsn, item.commitTimeMs);
      return undefined;
    },
  };
}

/** Whether any mapped table holds a row on the exported snapshot `snapshot`. */
async function anyRowsOnSnapshot(url: string, snapshot: string | undefined, tables: readonly string[]): Promise<boolean> {
  return await withClient(url, { doing: 'reading the legacy tables on the exported snapshot' }, async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (snapshot) await client.query(`SET TRANSACTION SNAPSHOT ${client.escapeLiteral(snapshot)}`);
    for (const table of tables) {
      const result = await client.query(`SELECT 1 FROM public.${client.escapeIdentifier(table)} LIMIT 1`);
      if ((result.rowCount ?? 0) > 0) return true;
    }
    return false;
  });
}
