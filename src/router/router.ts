import { NO_FLOORS, servicesBelowFloor, type BackfillFloors } from '../source/backfill-floors.js';
import { decodeChunk } from '../source/chunk-message.js';
import { LegacyRowFactory } from '../source/legacy-row.js';
import { CHUNK_PREFIX, FENCE_PREFIX, REVERSE_ORIGIN_PREFIX } from '../source/wal-messages.js';
import { deriveChunk } from './derive-chunk.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Lsn } from '../lsn.js';
import type { Logger } from '../log.js';
import { tupleToRecord } from '../source/pgoutput-decoder.js';
import { pgTimeToMs, type PgoutputEvent, type RelationEvent, type Tuple } from '../source/pgoutput-events.js';
import type { TargetOp } from '../targets/target-op.js';
import { targetOpBytes } from '../targets/writer-item-bytes.js';
import type { WriterItem } from '../targets/writer-item.js';
import { deriveDelete, deriveTruncate, deriveUpsert, sourceKeyOf, type OpSink } from './derive-ops.js';
import { RelationMemory } from './relation-memory.js';
import type { SourceRow, SourceValue } from '../values.js';
import type { RoutedTable, RoutingTable } from './routing-table.js';
import { applySealMessage, holdSealed, NO_SEALS, SEAL_PREFIX, type SealedChange, type ServiceSeals } from './seals.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';


/**
 * Where the router delivers, for one stream round; a returned promise means "wait before sending
 * more" (backpressure). `accepting` is false for a writer that is not in the round (stopped,
 * behind): it gets begin and commit only, to keep its lag in seconds growing. `skips` is true for a
 * source transaction that writer already has: no ops are derived for it.
 */
export interface WriterPort {
  readonly service: ServiceName;
  readonly accepting: boolean;
  skips(finalLsn: Lsn): boolean;
  push(item: WriterItem): Promise<void> | undefined;
}

/** Thrown by a router whose round has ended, at its first step after that (see Router). */
export class RoundEnded extends Error {
  override readonly name = 'RoundEnded';
  constructor() {
    super('the stream round ended');
  }
}

interface KnownRelation {
  readonly event: RelationEvent;
  readonly routed: RoutedTable | undefined;
  /** Set when the changes of this relation must stop the services `routed` feeds (relation-memory.ts). */
  readonly problem: PgcarveError | undefined;
  /** Guards the rows of this relation against columns it lacks (legacy-row.ts). */
  readonly rows: LegacyRowFactory;
}

/** A service's derived ops are pushed to its writer at this many ops or estimated bytes. */
const PIECE = 500;
const PIECE_BYTES = 1024 * 1024;

/**
 * Turns decoded pgoutput events into each service's writer items: source transactions in commit
 * order, each change routed through its legacy table's mapping. Every transaction reaches every
 * writer (begin … commit) so that all positions follow the source; ops go only where they belong.
 *
 * One router serves one stream round, and is thrown away with it. Once `round` aborts, every call
 * still in progress (typically one waiting on a full writer queue) throws RoundEnded at its next
 * step instead of delivering anything: an old round's commit can never reach a new round's writers
 * (which it holds no reference to anyway) nor end a transaction in its own writers' queues.
 */
export class Router {
  private readonly relations = new Map<number, KnownRelation>();
  private readonly buffers = new Map<ServiceName, TargetOp[]>();
  private readonly bufferBytes = new Map<ServiceName, number>();
  private readonly writers: ReadonlyMap<ServiceName, WriterPort>;
  private inTransaction = false;
  private fence = false;
  /** The transaction in progress was written by a reverse stream (its origin): not applied again. */
  private fromReverse = false;
  /** The commit LSN of the transaction in progress, and the backfill floors it is compared with. */
  private finalLsn: Lsn | undefined;
  private floors: BackfillFloors = NO_FLOORS;
  /** Services that get the ops being derived (accepting, not skipping, not below a floor, not sealed). */
  private targets: ReadonlySet<ServiceName> = new Set();
  private seals: ServiceSeals = NO_SEALS;
  private onSealed: SealedChange | undefined;
  private onSeals: ((seals: ServiceSeals) => void) | undefined;
  private readonly sink: OpSink = (service, op) => {
    if (!this.targets.has(service)) return;
    const buffer = this.buffers.get(service);
    if (!buffer) return;
    buffer.push(op);
    this.bufferBytes.set(service, (this.bufferBytes.get(service) ?? 0) + targetOpBytes(op));
  };

  constructor(
    private readonly routing: RoutingTable,
    writers: readonly WriterPort[],
    private readonly log: Logger,
    private readonly round: AbortSignal = new AbortController().signal,
    /** Relation OIDs routed so far: pass one that outlives the round, so a rename between rounds is seen. */
    private readonly memory: RelationMemory = new RelationMemory(routing),
  ) {
    this.writers = new Map(writers.map((w) => [w.service, w]));
    for (const service of SERVICES) this.buffers.set(service, []);
  }

  /** Legacy tables whose changes arrived although no mapping reads them. */
  get unroutedTables(): readonly string[] {
    return this.memory.unrouted;
  }

  /** True between a begin and its commit. */
  get midTransaction(): boolean {
    return this.inTransaction;
  }

  async handle(event: PgoutputEvent): Promise<void> {
    this.live();
    if (this.fromReverse && (event.kind === 'insert' || event.kind === 'update' || event.kind === 'delete' || event.kind === 'truncate' || event.kind === 'message')) return;
    switch (event.kind) {
      case 'begin':
        this.inTransaction = true;
        this.fence = false;
        this.fromReverse = false;
        this.finalLsn = event.finalLsn;
        await this.broadcast({ kind: 'begin', finalLsn: event.finalLsn, commitTimeMs: pgTimeToMs(event.commitTime) });
        return;
      case 'commit':
        await this.flushAll();
        this.inTransaction = false;
        await this.broadcast({ kind: 'commit', endLsn: event.endLsn, commitTimeMs: pgTimeToMs(event.commitTime), fence: this.fence });
        return;
      case 'relation':
        this.onRelation(event);
        return;
      case 'insert': {
        const known = this.relation(event.relationId);
        if (!known.routed) return;
        const row = this.row(known, event.newTuple);
        await this.derive(known.routed, () => deriveUpsert(this.routing, known.routed as RoutedTable, row, undefined, 'insert', this.sink), known.problem);
        return;
      }
      case 'update': {
        const known = this.relation(event.relationId);
        if (!known.routed) return;
        const routed = known.routed;
        const oldTuple = event.oldTuple ?? event.keyTuple;
        const old = oldTuple ? tupleToRecord(oldTuple, known.event.columns) : undefined;
        const fresh = tupleToRecord(event.newTuple, known.event.columns);
        const row = known.rows.adopt(event.oldTuple && old ? fillUnchanged(fresh, old) : fresh);
        await this.derive(routed, () => deriveUpsert(this.routing, routed, row, sourceKeyOf(routed, old ?? fresh), 'update', this.sink), known.problem);
        return;
      }
      case 'delete': {
        const known = this.relation(event.relationId);
        if (!known.routed) return;
        const routed = known.routed;
        const tuple = event.oldTuple ?? event.keyTuple;
        if (!tuple && !known.problem) throw new PgcarveError('no_replica_identity', `legacy table ${routed.mapping.source}: a delete arrived without its key; give the table a primary key or set REPLICA IDENTITY FULL`);
        await this.derive(routed, () => deriveDelete(routed, sourceKeyOf(routed, this.row(known, tuple as Tuple)), this.sink), known.problem);
        return;
      }
      case 'truncate':
        for (const id of event.relationIds) {
          const known = this.relation(id);
          if (known.routed) {
            const routed = known.routed;
            await this.derive(routed, () => deriveTruncate(routed, this.sink), known.problem);
          }
        }
        return;
      case 'message':
        if (event.transactional && event.prefix === FENCE_PREFIX) this.fence = true;
        if (event.transactional && event.prefix === CHUNK_PREFIX) await this.chunk(event.content);
        if (event.transactional && event.prefix === SEAL_PREFIX) {
          this.seals = applySealMessage(this.seals, event.content, event.messageLsn);
          this.onSeals?.(this.seals);
        }
        return;
      case 'origin':
        this.fromReverse = event.name.startsWith(REVERSE_ORIGIN_PREFIX);
        return;
      case 'type':
        return;
      case 'stream_start':
      case 'stream_stop':
      case 'stream_commit':
      case 'stream_abort':
        throw new PgcarveError('internal', `unexpected ${event.kind}: pgcarve does not request the streaming protocol`);
    }
  }

  /** The keepalive said the source has nothing unsent below `lsn`. */
  async idle(lsn: Lsn): Promise<void> {
    if (this.inTransaction) return;
    await this.broadcast({ kind: 'idle', lsn });
  }

  private onRelation(event: RelationEvent): void {
    const verdict = this.memory.resolve(event);
    if (verdict.kind === 'unrouted') this.log.warn(`changes of ${verdict.table} arrive but no mapping routes them; they are not applied: add a mapping or an explicit exclusion`, { table: verdict.table });
    if (verdict.kind === 'stopped') this.log.error(verdict.error.message, { table: `${event.schema}.${event.name}`, kind: verdict.error.kind });
    const routed = verdict.kind === 'unrouted' ? undefined : verdict.routed;
    const problem = verdict.kind === 'stopped' ? verdict.error : undefined;
    this.relations.set(event.relationId, { event, routed, problem, rows: new LegacyRowFactory(
        event.name,
        event.columns.map((c) => c.name),
        (column) => `legacy table ${event.schema}.${event.name} has no column ${column}, which its mapping reads (was it dropped or renamed?): restore the column (or change the mapping), then run \`pgcarve backfill --resync --table ${event.name}\` and restart pgcarve: the table is copied again and its changes up to the copy are skipped`,
      ),
    });
  }

  private relation(id: number): KnownRelation {
    const known = this.relations.get(id);
    if (!known) throw new PgcarveError('internal', `a change refers to relation ${id}, which the stream did not describe`);
    return known;
  }

  /**
   * The row as the mapping sees it. Reading a column the legacy table no longer has (a DDL change)
   * is an operator error naming it, never an `undefined` that would mean "unchanged".
   */
  private row(known: KnownRelation, tuple: Tuple): SourceRow {
    return known.rows.adopt(tupleToRecord(tuple, known.event.columns));
  }

  /**
   * Per legacy table and service, the LSN below which the stream leaves the table alone (a backfill
   * copied it on a snapshot that already holds those transactions: see backfill-floors.ts).
   */
  setFloors(floors: BackfillFloors): void {
    this.floors = floors;
  }

  /**
   * The cutover seals (see seals.ts); `onSealed` hears of every change they hold, `onSeals` of the
   * seals as a seal or lift message changes them (they outlive this router's round).
   */
  setSeals(seals: ServiceSeals, onSealed?: SealedChange, onSeals?: (seals: ServiceSeals) => void): void {
    this.seals = seals;
    this.onSealed = onSealed;
    this.onSeals = onSeals;
  }

  /** A chunk of `pgcarve backfill`: that part of the table is exactly these rows at this point. */
  private async chunk(content: Buffer): Promise<void> {
    const chunk = decodeChunk(content);
    const routed = this.routing.bySource.get(chunk.table);
    if (!routed) {
      this.log.warn(`a backfill chunk of ${chunk.table} arrives but no mapping reads that table; it is not applied`, { table: chunk.table });
      return;
    }
    await this.derive(routed, () => deriveChunk(this.routing, routed, chunk, this.sink));
  }

  /** `problem`: the change cannot be applied; its services get it as a failure (see the catch). */
  private async derive(routed: RoutedTable, derive: () => void, problem?: PgcarveError): Promise<void> {
    const finalLsn = this.finalLsn;
    const held = holdSealed(servicesBelowFloor(this.floors, routed.mapping.source, finalLsn), this.seals, routed.services, routed.mapping.source, finalLsn, this.onSealed);
    const active = routed.services.filter((s) => {
      const writer = this.writers.get(s);
      return writer !== undefined && writer.accepting && !held.has(s) && (finalLsn === undefined || !writer.skips(finalLsn));
    });
    if (active.length === 0) return;
    this.targets = new Set(active);
    try {
      if (problem) throw problem;
      derive();
    } catch (error) {
      const failure = error instanceof PgcarveError ? error : new PgcarveError('mapping_threw', String(error), { cause: error });
      for (const service of active) {
        this.buffers.set(service, []);
        this.bufferBytes.set(service, 0);
        await this.writers.get(service)?.push({ kind: 'fail', error: failure });
        this.live();
      }
      return;
    } finally {
      this.targets = NO_TARGETS;
    }
    for (const service of active) {
      const buffer = this.buffers.get(service) as TargetOp[];
      if (buffer.length >= PIECE || (this.bufferBytes.get(service) ?? 0) >= PIECE_BYTES) await this.flush(service);
    }
  }

  private async flush(service: ServiceName): Promise<void> {
    const buffer = this.buffers.get(service) as TargetOp[];
    if (buffer.length === 0) return;
    this.buffers.set(service, []);
    this.bufferBytes.set(service, 0);
    await this.writers.get(service)?.push({ kind: 'ops', ops: buffer });
    this.live();
  }

  private async flushAll(): Promise<void> {
    for (const service of SERVICES) await this.flush(service);
  }

  private async broadcast(item: WriterItem): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const writer of this.writers.values()) {
      const wait = writer.push(item);
      if (wait) waits.push(wait);
    }
    if (waits.length > 0) await Promise.all(waits);
    this.live();
  }

  /** Every step after a wait goes through here: an ended round delivers nothing more. */
  private live(): void {
    if (this.round.aborted) throw new RoundEnded();
  }
}

const NO_TARGETS: ReadonlySet<ServiceName> = new Set();

/** Under REPLICA IDENTITY FULL the old row has every value: use it for the unchanged TOAST ones. */
function fillUnchanged(row: Record<string, SourceValue>, old: Record<string, SourceValue>): Record<string, SourceValue> {
  let filled: Record<string, SourceValue> | undefined;
  for (const column of Object.keys(row)) {
    if (row[column] === undefined && old[column] !== undefined) {
      filled ??= { ...row };
      filled[column] = old[column];
    }
  }
  return filled ?? row;
}
