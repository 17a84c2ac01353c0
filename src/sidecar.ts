import pg from 'pg';
import type { Config } from './config/config.js';
import { classify } from './errors/classify.js';
import { connectionFailure } from './errors/connection-failure.js';
import { PgcarveError } from './errors/pgcarve-error.js';
import type { Logger } from './log.js';
import { formatLsn, lsnDistance, maxLsn, minLsn, ZERO_LSN, type Lsn } from './lsn.js';
import type { LegacyTableRule } from './router/mapping.js';
import { Router } from './router/router.js';
import { RoutingTable } from './router/routing-table.js';
import { SERVICES, type ServiceName } from './router/service.js';
import { ReplicationStream } from './source/replication-stream.js';
import { checkSource, createSlot, ensurePublication, readSlot, type CreatedSlot } from './source/slot.js';
import { describeStandby, readSlotHolder } from './source/slot-holder.js';
import { checkReplication } from './source/source-preflight.js';
import { checkTargets } from './targets/target-preflight.js';
import { TargetWriter, type WriterObserver, type WriterState } from './targets/target-writer.js';
import type { BackfillFloors } from './backfill/backfill-floors.js';

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
 * drives it before streaming: `plan` before a new slot is created over legacy tables that hold
 * rows, `copy` on the new slot's exported snapshot, `resume` when the slot exists but an earlier
 * process left a table unfinished, and `floors` for the router before streaming. Without one,
 * `run` refuses to start on a legacy database whose mapped tables hold rows.
 */
export interface SidecarBackfill {
  plan(routing: RoutingTable, copyNeeded: boolean): Promise<void>;
  copy(slot: CreatedSlot, routing: RoutingTable, signal: AbortSignal): Promise<void>;
  unfinished(routing: RoutingTable): Promise<boolean>;
  resume(routing: RoutingTable, slotPosition: Lsn, signal: AbortSignal): Promise<void>;
  floors(routing: RoutingTable): Promise<BackfillFloors>;
}

export interface SidecarOptions {
  readonly config: Config;
  readonly rules: readonly LegacyTableRule[];
  readonly log: Logger;
  readonly observer?: WriterObserver;
  readonly backfill?: SidecarBackfill;
  /** Backoff between reconnects: first and maximum delay. */
  readonly backoffMs?: readonly [number, number];
  readonly onPhase?: (phase: Phase) => void;
}

/**
 * The composition root of the streaming sidecar: builds the routing table, one writer per service,
 * the router and the replication stream, and keeps them running. The slot is acknowledged at the
 * minimum position every writer has durably applied; after any failure the stream restarts from
 * there (writers skip what they already have). Transient failures retry with backoff; an operator
 * failure stops only the writer it concerns.
 */
export class Sidecar {
  readonly routing: RoutingTable;
  readonly writers: readonly TargetWriter[];
  private readonly stream: ReplicationStream;
  private readonly router: Router;
  private phaseValue: Phase = 'starting';
  private sourceConnected = false;
  private sourceLsn: Lsn = ZERO_LSN;
  private acknowledged: Lsn = ZERO_LSN;
  private unrouted: readonly string[] = [];
  private lastError: string | undefined;

  constructor(private readonly options: SidecarOptions) {
    const { config, log } = options;
    this.routing = new RoutingTable(options.rules);
    this.writers = SERVICES.map(
      (service) =>
        new TargetWriter({
          service,
          url: config.serviceUrls[service],
          slot: config.slot,
          tables: this.routing.tablesByService.get(service) ?? [],
          maxTransactions: config.batchMaxTransactions,
          maxLatencyMs: config.batchMaxLatencyMs,
          log: log.child({ service }),
          observer: options.observer,
        }),
    );
    this.router = new Router(
      this.routing,
      this.writers.map((w) => ({ service: w.service, get accepting() { return w.state.kind !== 'stopped'; }, push: (item) => w.push(item) })),
      log,
    );
    this.stream = new ReplicationStream({ connectionString: config.legacyUrl, slot: config.slot, publication: config.publication });
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
      unroutedTables: this.unrouted,
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
    await this.prepare(signal);
    let backoff = initialBackoff;
    while (!signal.aborted) {
      try {
        await this.connectWriters();
        this.setPhase('streaming');
        await this.streamOnce(signal);
        backoff = initialBackoff;
      } catch (error) {
        const failure = classify(error, 'streaming');
        this.lastError = failure.message;
        if (!failure.retryable) throw failure;
        const standby = failure.kind === 'slot_in_use';
        if (standby) this.lastError = describeStandby(this.options.config.slot, await readSlotHolder(this.options.config.legacyUrl, this.options.config.slot).catch(() => null));
        this.options.log.warn(`${this.lastError}; ${standby ? 'retrying' : 'reconnecting'} in ${backoff} ms`, { kind: failure.kind });
        this.setPhase(standby ? 'standby' : 'reconnecting');
        await sleep(backoff, signal);
        backoff = Math.min(maxBackoff, backoff * 2);
      } finally {
        this.sourceConnected = false;
      }
    }
    await Promise.all(this.writers.map((w) => w.disconnect()));
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
    await checkTargets(config.serviceUrls);
    const client = new pg.Client({ connectionString: config.legacyUrl, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
    } catch (error) {
      throw connectionFailure(error, { key: 'DATABASE_URL_LEGACY', url: config.legacyUrl, label: 'the legacy database' });
    }
    let created: CreatedSlot | undefined;
    try {
      const mapped = this.routing.mappedSources();
      const check = await checkSource(client, mapped);
      await checkReplication(client, config.legacyUrl, config.slot);
      this.unrouted = this.routing.unrouted(check.tables);
      if (this.unrouted.length > 0) {
        log.warn(`legacy tables neither mapped nor excluded, so not migrated: ${this.unrouted.join(', ')}; add a mapping or an explicit exclusion`, { tables: this.unrouted });
      }
      await ensurePublication(client, config.publication, mapped);
      const slot = await readSlot(client, config.slot);
      const backfill = this.options.backfill;
      if (!slot.exists) {
        const needsCopy = await anyRows(client, mapped);
        if (needsCopy && !backfill) {
          throw new PgcarveError('bad_input', `the mapped legacy tables already hold rows and this pgcarve has no backfill: they would be missing from the targets`);
        }
        await backfill?.plan(this.routing, needsCopy);
        created = await createSlot(config.legacyUrl, config.slot, needsCopy);
        log.info(`created replication slot ${config.slot} at ${formatLsn(created.consistentPoint)}`, { slot: config.slot, lsn: formatLsn(created.consistentPoint) });
        if (needsCopy && backfill) {
          await this.connectWriters();
          this.setPhase('backfilling');
          await backfill.copy(created, this.routing, signal);
        }
      } else if (backfill && (await backfill.unfinished(this.routing))) {
        await this.connectWriters();
        this.setPhase('backfilling');
        await backfill.resume(this.routing, slot.confirmedFlush ?? ZERO_LSN, signal);
      }
      if (backfill) this.router.setFloors(await backfill.floors(this.routing));
    } finally {
      await created?.release();
      await client.end().catch(() => undefined);
    }
  }

  private async connectWriters(): Promise<void> {
    const results = await Promise.allSettled(this.writers.map((w) => w.connect()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private minPosition(): Lsn {
    return this.writers.map((w) => w.position()).reduce((a, b) => minLsn(a, b));
  }

  private async streamOnce(signal: AbortSignal): Promise<void> {
    const round = new AbortController();
    const stop = (): void => round.abort();
    if (signal.aborted) return;
    signal.addEventListener('abort', stop, { once: true });
    const streamStop = (): void => void this.stream.stop();
    round.signal.addEventListener('abort', streamStop, { once: true });
    for (const w of this.writers) await w.reset();
    this.router.reset();
    const start = this.minPosition();
    this.acknowledged = maxLsn(this.acknowledged, start);
    const ackTimer = setInterval(() => this.acknowledge(), 250);
    let writersFailed: unknown;
    const writerRuns = this.writers.map((w) =>
      w.run(round.signal).catch((error: unknown) => {
        writersFailed ??= error;
        round.abort();
      }),
    );
    try {
      if (round.signal.aborted) throw new Error('stopping');
      this.sourceConnected = true;
      await this.stream.run(start, {
        onEvent: (event) => this.router.handle(event),
        onWalEnd: (walEnd, drained) => {
          this.sourceLsn = maxLsn(this.sourceLsn, walEnd);
          if (drained && !this.router.midTransaction) void this.router.idle(walEnd);
        },
      });
    } catch (error) {
      if (!round.signal.aborted) throw error;
    } finally {
      this.sourceConnected = false;
      round.abort();
      signal.removeEventListener('abort', stop);
      clearInterval(ackTimer);
      await Promise.all(writerRuns);
      this.acknowledge();
    }
    if (writersFailed) throw writersFailed;
    if (signal.aborted) this.setPhase('stopping');
  }

  private acknowledge(): void {
    const position = this.minPosition();
    if (position > this.acknowledged) {
      this.acknowledged = position;
      this.stream.acknowledge(position);
    }
  }
}

async function anyRows(client: pg.ClientBase, tables: readonly string[]): Promise<boolean> {
  for (const table of tables) {
    const result = await client.query(`SELECT 1 FROM public.${client.escapeIdentifier(table)} LIMIT 1`);
    if ((result.rowCount ?? 0) > 0) return true;
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

