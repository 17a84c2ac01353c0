import { NO_FLOORS, servicesBelowFloor, type BackfillFloors } from '../backfill/backfill-floors.js';
import { CHUNK_PREFIX, decodeChunk, deriveChunk } from '../backfill/chunk-message.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Lsn } from '../lsn.js';
import type { Logger } from '../log.js';
import { REVERSE_ORIGIN_PREFIX } from '../reverse/reverse-names.js';
import { tupleToRecord } from '../source/pgoutput-decoder.js';
import type { PgoutputEvent, RelationEvent, Tuple } from '../source/pgoutput-events.js';
import type { TargetOp } from '../targets/target-op.js';
import type { WriterItem } from '../targets/writer-input.js';
import { deriveDelete, deriveTruncate, deriveUpsert, sourceKeyOf, type OpSink } from './derive-ops.js';
import type { SourceRow, SourceValue } from './mapping.js';
import type { RoutedTable, RoutingTable } from './routing-table.js';
import { SERVICES, type ServiceName } from './service.js';

/** The prefix of pgcarve's fence messages (pg_logical_emit_message). */
export const FENCE_PREFIX = 'pgcarve.fence';

/** Where the router delivers; a returned promise means "wait before sending more" (backpressure). */
export interface WriterPort {
  readonly service: ServiceName;
  readonly accepting: boolean;
  push(item: WriterItem): Promise<void> | undefined;
}

interface KnownRelation {
  readonly event: RelationEvent;
  readonly routed: RoutedTable | undefined;
  readonly columnSet: ReadonlySet<string>;
}

const PIECE = 500;

/** Epoch of pgoutput timestamps: 2000-01-01 00:00 UTC, in ms since the Unix epoch. */
const PG_EPOCH_MS = 946_684_800_000;

/**
 * Turns decoded pgoutput events into each service's writer items: source transactions in commit
 * order, each change routed through its legacy table's mapping. Every transaction reaches every
 * writer (begin … commit) so that all positions follow the source; ops go only where they belong.
 */
export class Router {
  private readonly relations = new Map<number, KnownRelation>();
  private readonly buffers = new Map<ServiceName, TargetOp[]>();
  private readonly writers: ReadonlyMap<ServiceName, WriterPort>;
  private inTransaction = false;
  private fence = false;
  /** The transaction in progress was written by a reverse stream (its origin): not applied again. */
  private fromReverse = false;
  /** The commit LSN of the transaction in progress, and the backfill floors it is compared with. */
  private finalLsn: Lsn | undefined;
  private floors: BackfillFloors = NO_FLOORS;
  /** Services that must not get the ops being derived (the table is below its floor there). */
  private held: ReadonlySet<ServiceName> = new Set();
  private readonly sink: OpSink = (service, op) => {
    if (this.held.has(service)) return;
    const buffer = this.buffers.get(service);
    if (buffer) buffer.push(op);
  };

  constructor(
    private readonly routing: RoutingTable,
    writers: readonly WriterPort[],
    private readonly log: Logger,
  ) {
    this.writers = new Map(writers.map((w) => [w.service, w]));
    for (const service of SERVICES) this.buffers.set(service, []);
  }

  /** True between a begin and its commit. */
  get midTransaction(): boolean {
    return this.inTransaction;
  }

  /** A fresh stream starts: relation messages will be sent again. */
  reset(): void {
    this.relations.clear();
    this.inTransaction = false;
    this.fence = false;
    this.fromReverse = false;
    for (const buffer of this.buffers.values()) buffer.length = 0;
  }

  async handle(event: PgoutputEvent): Promise<void> {
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
        await this.derive(known.routed, () => deriveUpsert(this.routing, known.routed as RoutedTable, row, undefined, 'insert', this.sink));
        return;
      }
      case 'update': {
        const known = this.relation(event.relationId);
        if (!known.routed) return;
        const routed = known.routed;
        const oldTuple = event.oldTuple ?? event.keyTuple;
        const old = oldTuple ? tupleToRecord(oldTuple, known.event.columns) : undefined;
        const fresh = tupleToRecord(event.newTuple, known.event.columns);
        const row = this.guard(known, event.oldTuple && old ? fillUnchanged(fresh, old) : fresh);
        await this.derive(routed, () => deriveUpsert(this.routing, routed, row, sourceKeyOf(routed, old ?? fresh), 'update', this.sink));
        return;
      }
      case 'delete': {
        const known = this.relation(event.relationId);
        if (!known.routed) return;
        const routed = known.routed;
        const tuple = event.oldTuple ?? event.keyTuple;
        if (!tuple) throw new PgcarveError('no_replica_identity', `legacy table ${routed.mapping.source}: a delete arrived without its key; give the table a primary key or set REPLICA IDENTITY FULL`);
        const old = this.row(known, tuple);
        await this.derive(routed, () => deriveDelete(routed, sourceKeyOf(routed, old), this.sink));
        return;
      }
      case 'truncate':
        for (const id of event.relationIds) {
          const known = this.relation(id);
          if (known.routed) {
            const routed = known.routed;
            await this.derive(routed, () => deriveTruncate(routed, this.sink));
          }
        }
        return;
      case 'message':
        if (event.transactional && event.prefix === FENCE_PREFIX) this.fence = true;
        if (event.transactional && event.prefix === CHUNK_PREFIX) await this.chunk(event.content);
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
    const routed = event.schema === 'public' ? this.routing.bySource.get(event.name) : undefined;
    if (!routed) this.log.warn(`changes of ${event.schema}.${event.name} arrive but no mapping routes them; they are not applied`, { table: `${event.schema}.${event.name}` });
    this.relations.set(event.relationId, { event, routed, columnSet: new Set(event.columns.map((c) => c.name)) });
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
    return this.guard(known, tupleToRecord(tuple, known.event.columns));
  }

  private guard(known: KnownRelation, record: Record<string, SourceValue>): SourceRow {
    const table = `${known.event.schema}.${known.event.name}`;
    return new Proxy(record, {
      get(target, column) {
        if (typeof column === 'string' && !known.columnSet.has(column)) {
          throw new PgcarveError('column_missing', `legacy table ${table} has no column ${column}, which its mapping reads (was it dropped or renamed?): restore the column or change the mapping, then restart pgcarve`);
        }
        return target[column as string];
      },
    }) as SourceRow;
  }

  /**
   * Per legacy table and service, the LSN below which the stream leaves the table alone (a backfill
   * copied it on a snapshot that already holds those transactions: see backfill-floors.ts).
   */
  setFloors(floors: BackfillFloors): void {
    this.floors = floors;
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

  private async derive(routed: RoutedTable, derive: () => void): Promise<void> {
    this.held = servicesBelowFloor(this.floors, routed.mapping.source, this.finalLsn);
    const active = routed.services.filter((s) => this.writers.get(s)?.accepting && !this.held.has(s));
    if (active.length === 0) return;
    try {
      derive();
    } catch (error) {
      const failure = error instanceof PgcarveError ? error : new PgcarveError('mapping_threw', String(error), { cause: error });
      for (const service of routed.services.filter((s) => !this.held.has(s))) {
        this.buffers.set(service, []);
        await this.writers.get(service)?.push({ kind: 'fail', error: failure });
      }
      return;
    }
    for (const service of active) {
      const buffer = this.buffers.get(service) as TargetOp[];
      if (buffer.length >= PIECE) await this.flush(service);
    }
  }

  private async flush(service: ServiceName): Promise<void> {
    const buffer = this.buffers.get(service) as TargetOp[];
    if (buffer.length === 0) return;
    this.buffers.set(service, []);
    await this.writers.get(service)?.push({ kind: 'ops', ops: buffer });
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
  }
}

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

export function pgTimeToMs(micros: bigint): number {
  return Number(micros / 1000n) + PG_EPOCH_MS;
}
