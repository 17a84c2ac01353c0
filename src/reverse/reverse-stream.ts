import { getTableColumns, getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Logger } from '../log.js';
import { pause } from '../pause.js';
import { formatLsn, lsnDistance, maxLsn, ZERO_LSN, type Lsn } from '../lsn.js';
import type { SourceValue } from '../values.js';
import { type PgoutputEvent, pgTimeToMs, type RelationEvent, type Tuple } from '../source/pgoutput-events.js';
import type { ServiceName } from '../../mappings/services.js';
import { tupleToRecord } from '../source/pgoutput-decoder.js';
import { ReplicationStream } from '../source/replication-stream.js';
import type { ExclusiveTable, InverseMapping, ServiceRow } from '../../mappings/inverse-mapping.js';
import { applyLegacyWrite } from './legacy-applier.js';
import { keyChanged, putWrite, removeWrite, truncateWrite, type LegacyWrite } from './legacy-write.js';
import { readReverseCheckpoint, writeReverseCheckpoint } from '../state/reverse-checkpoint.js';
import type { ReverseNames } from './reverse-names.js';
import { connect } from '../pg/with-client.js';

/**
 * The state of one service's reverse stream:
 * - `starting`: connecting (set by the stream at every round);
 * - `streaming`: applying the service's changes to the legacy tables;
 * - `reconnecting`: a transient failure (connection lost, server restarting); retried with backoff
 *   from the legacy checkpoint;
 * - `stopped`: halted by an error that needs an operator (a legacy constraint rejected a change,
 *   a reference row is missing, a mapping threw); nothing after the failing transaction is
 *   applied until the cause is fixed and pgcarve restarted. Not persisted: the checkpoint is.
 */
export type ReverseState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'streaming' }
  | { readonly kind: 'reconnecting'; readonly error: PgcarveError }
  | { readonly kind: 'stopped'; readonly error: PgcarveError };

/** What the metrics count; named apart from WriterObserver's, so one object can be both. */
export interface ReverseObserver {
  reverseApplied(service: ServiceName, changes: number): void;
  reverseError(service: ServiceName, error: PgcarveError): void;
}

export interface ReverseStreamOptions {
  readonly service: ServiceName;
  readonly legacyUrl: string;
  readonly serviceUrl: string;
  readonly names: ReverseNames;
  /** The inverse mappings of this service's tables. */
  readonly inverses: readonly InverseMapping[];
  readonly log: Logger;
  readonly observer?: ReverseObserver;
  readonly backoffMs?: readonly [number, number];
}

export interface ReverseProgress {
  readonly service: ServiceName;
  readonly state: ReverseState;
  /** Everything the service database committed below it is applied to the legacy tables. */
  readonly appliedLsn: Lsn;
  /** The service server's WAL position, from its keepalives. */
  readonly sourceLsn: Lsn;
  readonly lagBytes: number;
}

interface KnownRelation {
  readonly event: RelationEvent;
  readonly inverse: InverseMapping;
}

/** A `set` on a legacy row that did not exist yet: retried at the commit (the row may come later in the transaction). */
interface Deferred {
  readonly write: LegacyWrite;
  readonly table: string;
}

/**
 * Carries one cut-over service's own writes back into the legacy tables: its reverse slot
 * (pgoutput, on the service database) is read with pgcarve's replication stream and decoder, every
 * service transaction is applied, in commit order, as one legacy transaction through the inverse
 * mappings, with the same guarantees as the forward path:
 * - exactly once: the legacy transaction also writes `pgcarve.reverse_checkpoint`; after any
 *   restart, every service transaction whose commit starts below it is skipped;
 * - exact values: text from the decoder straight to text parameters;
 * - bounded memory: changes are applied as they arrive inside the open legacy transaction (only
 *   `set`s on a row not there yet wait for the commit);
 * - halt on error: an operator error stops this stream with a message; the slot keeps the WAL;
 * - no loop: the legacy session is set up with the replication origin `names.origin`, so every
 *   legacy transaction it commits carries that origin, and the forward router skips them.
 * The slot is acknowledged (every 250 ms) only at positions the legacy checkpoint covers, or that a
 * keepalive says hold nothing unseen.
 */
export class ReverseStream {
  private stateValue: ReverseState = { kind: 'starting' };
  private applied: Lsn = ZERO_LSN;
  private sourceLsn: Lsn = ZERO_LSN;
  private readonly byTable: ReadonlyMap<string, InverseMapping>;

  constructor(private readonly options: ReverseStreamOptions) {
    this.byTable = new Map(options.inverses.map((i) => [getTableName(i.table), i]));
  }

  get state(): ReverseState {
    return this.stateValue;
  }

  progress(): ReverseProgress {
    return { service: this.options.service, state: this.stateValue, appliedLsn: this.applied, sourceLsn: this.sourceLsn, lagBytes: lsnDistance(this.sourceLsn, this.applied) };
  }

  /** Runs until `signal` aborts (resolves) or an operator error halts the stream (resolves, state `stopped`). */
  async run(signal: AbortSignal): Promise<void> {
    const [initial, max] = this.options.backoffMs ?? [500, 30_000];
    let backoff = initial;
    while (!signal.aborted) {
      try {
        this.stateValue = { kind: 'starting' };
        await this.runOnce(signal);
        backoff = initial;
      } catch (error) {
        const failure = classify(error, `reverse replication of ${this.options.service}`);
        this.options.observer?.reverseError(this.options.service, failure);
        if (!failure.retryable) {
          this.stateValue = { kind: 'stopped', error: failure };
          this.options.log.error(`reverse replication of ${this.options.service} stopped: ${failure.message}; fix the cause, then restart pgcarve (it resumes from the legacy checkpoint)`, { service: this.options.service, kind: failure.kind });
          return;
        }
        this.stateValue = { kind: 'reconnecting', error: failure };
        this.options.log.warn(`reverse replication of ${this.options.service}: ${failure.message}; reconnecting in ${backoff} ms`, { service: this.options.service, kind: failure.kind });
        await pause(backoff, signal);
        backoff = Math.min(max, backoff * 2);
      }
    }
  }

  private async runOnce(signal: AbortSignal): Promise<void> {
    const { service, names } = this.options;
    const purpose = { doing: `reverse replication of ${service}`, application: `pgcarve-reverse-${service}` };
    let legacy: pg.Client | undefined;
    let lookups: pg.Client | undefined;
    let connectionError: unknown;
    const stream = new ReplicationStream({ connectionString: this.options.serviceUrl, slot: names.slot, publication: names.publication });
    const stop = (): void => void stream.stop();
    signal.addEventListener('abort', stop, { once: true });
    let ackTimer: NodeJS.Timeout | undefined;
    try {
      legacy = await connect(this.options.legacyUrl, purpose);
      legacy.on('error', (error) => (connectionError ??= error));
      lookups = await connect(this.options.serviceUrl, purpose);
      lookups.on('error', (error) => (connectionError ??= error));
      await legacy.query('SELECT pg_replication_origin_session_setup($1)', [names.origin]).catch((error: unknown) => {
        if ((error as { code?: string }).code === '42704') throw new PgcarveError('table_missing', `the replication origin ${names.origin} does not exist in the legacy database: run pgcarve cutover --service ${service} again (it creates it)`);
        throw error;
      });
      const checkpoint = await readReverseCheckpoint(legacy, names.slot);
      this.applied = maxLsn(this.applied, checkpoint.lsn);
      const apply = new TransactionApplier(legacy, lookups, this.byTable, service, names.slot, checkpoint.lsn);
      this.stateValue = { kind: 'streaming' };
      if (signal.aborted) return;
      // Acknowledged every 250 ms, not per transaction: a replay after a crash is skipped by the
      // legacy checkpoint, which is what makes it exactly once.
      ackTimer = setInterval(() => stream.acknowledge(this.applied), 250);
      await stream.run(checkpoint.lsn, {
        onEvent: async (event) => {
          if (connectionError) throw connectionError;
          const done = await apply.handle(event);
          if (done) {
            this.applied = maxLsn(this.applied, done.endLsn);
            if (done.changes > 0) this.options.observer?.reverseApplied(service, done.changes);
          }
        },
        onWalEnd: (walEnd, drained) => {
          this.sourceLsn = maxLsn(this.sourceLsn, walEnd);
          if (drained && !apply.midTransaction) this.applied = maxLsn(this.applied, walEnd);
        },
      });
    } finally {
      clearInterval(ackTimer);
      signal.removeEventListener('abort', stop);
      await legacy?.end().catch(() => undefined);
      await lookups?.end().catch(() => undefined);
    }
  }
}

/**
 * One stream round's decoding state: the relations it described and the service transaction in
 * progress, applied to the legacy connection as its changes arrive.
 */
class TransactionApplier {
  private readonly relations = new Map<number, KnownRelation>();
  private open = false;
  private skipping = false;
  private changes = 0;
  private deferred: Deferred[] = [];
  private commitTime = new Date(0);

  constructor(
    private readonly legacy: pg.Client,
    private readonly lookups: pg.Client,
    private readonly byTable: ReadonlyMap<string, InverseMapping>,
    private readonly service: ServiceName,
    private readonly slot: string,
    private readonly checkpoint: Lsn,
  ) {}

  get midTransaction(): boolean {
    return this.open || this.skipping;
  }

  /** Handles one event; returns the transaction's end when a commit was applied. */
  async handle(event: PgoutputEvent): Promise<{ readonly endLsn: Lsn; readonly changes: number } | undefined> {
    switch (event.kind) {
      case 'begin':
        // A transaction whose commit record starts below the checkpoint was applied before.
        this.skipping = event.finalLsn < this.checkpoint;
        if (this.skipping) return undefined;
        this.commitTime = new Date(pgTimeToMs(event.commitTime));
        await this.legacy.query('BEGIN');
        await this.legacy.query('SELECT pg_replication_origin_xact_setup($1::pg_lsn, $2::timestamptz)', [formatLsn(event.finalLsn), this.commitTime]);
        this.open = true;
        this.changes = 0;
        this.deferred = [];
        return undefined;
      case 'commit': {
        if (this.skipping) {
          this.skipping = false;
          return undefined;
        }
        if (!this.open) return undefined;
        for (const { write, table } of this.deferred) {
          if ((await this.run(write, table)) === 0) {
            const key = write.kind === 'set' ? Object.keys(write.key).join(', ') : '';
            throw new PgcarveError('constraint_violation', `${this.service}.${table} has a row whose legacy ${write.table} row (by ${key}) does not exist, so the legacy database cannot hold it: fix the row in ${this.service} (or insert its legacy row), then restart pgcarve`);
          }
        }
        await writeReverseCheckpoint(this.legacy, this.slot, this.service, event.endLsn, this.changes > 0, this.commitTime);
        await this.legacy.query('COMMIT');
        this.open = false;
        return { endLsn: event.endLsn, changes: this.changes };
      }
      case 'relation': {
        const inverse = event.schema === 'public' ? this.byTable.get(event.name) : undefined;
        if (!inverse) throw new PgcarveError('internal', `the reverse publication of ${this.service} sends ${event.schema}.${event.name}, which has no inverse mapping`);
        this.relations.set(event.relationId, { event, inverse });
        return undefined;
      }
      case 'insert': {
        if (this.skipping) return undefined;
        const known = this.relation(event.relationId);
        const row = this.record(known, event.newTuple);
        await this.put(known, row);
        return undefined;
      }
      case 'update': {
        if (this.skipping) return undefined;
        const known = this.relation(event.relationId);
        const oldTuple = event.oldTuple ?? event.keyTuple;
        const old = oldTuple ? this.record(known, oldTuple) : undefined;
        let row = this.record(known, event.newTuple);
        if (event.oldTuple && old) row = fillUnchanged(row, old);
        if (old && keyChanged(known.inverse, old, row)) await this.write(removeWrite(known.inverse, old), known);
        await this.put(known, row);
        return undefined;
      }
      case 'delete': {
        if (this.skipping) return undefined;
        const known = this.relation(event.relationId);
        const tuple = event.oldTuple ?? event.keyTuple;
        if (!tuple) throw new PgcarveError('no_replica_identity', `${this.service}.${known.event.name}: a delete arrived without its key; give the table a primary key`);
        await this.write(removeWrite(known.inverse, this.record(known, tuple)), known);
        return undefined;
      }
      case 'truncate':
        if (this.skipping) return undefined;
        for (const id of event.relationIds) {
          const known = this.relation(id);
          await this.write(truncateWrite(known.inverse), known);
        }
        return undefined;
      case 'message':
      case 'origin':
      case 'type':
        // Fences (messages) only need their transaction's checkpoint, written at the commit.
        return undefined;
      case 'stream_start':
      case 'stream_stop':
      case 'stream_commit':
      case 'stream_abort':
        throw new PgcarveError('internal', `unexpected ${event.kind}: pgcarve does not request the streaming protocol`);
    }
  }

  private relation(id: number): KnownRelation {
    const known = this.relations.get(id);
    if (!known) throw new PgcarveError('internal', `a change refers to relation ${id}, which the reverse stream of ${this.service} did not describe`);
    return known;
  }

  private record(known: KnownRelation, tuple: Tuple): Record<string, SourceValue> {
    const record = tupleToRecord(tuple, known.event.columns);
    for (const column of Object.keys(getTableColumns(known.inverse.table))) {
      if (!(column in record)) throw new PgcarveError('column_missing', `${this.service}.${known.event.name} has no column ${column}, which its inverse mapping reads: restore the column or change the mapping, then restart pgcarve`);
    }
    return record;
  }

  private async put(known: KnownRelation, row: Record<string, SourceValue>): Promise<void> {
    const reference = await this.reference(known, row);
    const write = putWrite(known.inverse, row as ServiceRow<PgTable>, reference);
    const shape = known.inverse.shape;
    if (shape.kind === 'row' && shape.exclusiveWith && write.kind === 'upsert' && !(await this.ownsLegacyRow(known, shape.exclusiveWith, write))) return;
    await this.write(write, known);
  }

  /**
   * Whether this table may write the legacy row when another one shares its ids (ExclusiveTable),
   * judged on the service's current rows: yes when the other table does not hold the key; no
   * when only the other one holds it now (this row has left since: its later changes follow in
   * the stream, and the legacy row is the other table's); and when both hold it, the legacy
   * database cannot, so the stream stops.
   */
  private async ownsLegacyRow(known: KnownRelation, other: ExclusiveTable, write: LegacyWrite & { readonly kind: 'upsert' }): Promise<boolean> {
    const [key] = Object.values(write.key);
    const q = (name: string): string => this.lookups.escapeIdentifier(name);
    const name = getTableName(other.table);
    const holds = async (table: string, column: string): Promise<boolean> => ((await this.lookups.query(`SELECT 1 FROM public.${q(table)} WHERE ${q(column)} = $1`, [key])).rowCount ?? 0) > 0;
    if (!(await holds(name, other.column))) return true;
    const own = Object.entries(known.inverse.key)[0]?.[1] ?? 'id';
    if (!(await holds(known.event.name, own))) return false;
    throw new PgcarveError('constraint_violation', `${this.service}.${known.event.name} and ${this.service}.${name} both hold id ${key ?? 'null'}, but they share the ids of legacy ${write.table}: one legacy row cannot be both. Give the two tables one sequence in ${this.service}, move one of the rows to a free id, then restart pgcarve`);
  }

  private async write(write: LegacyWrite, known: KnownRelation): Promise<void> {
    this.changes++;
    const affected = await this.run(write, known.event.name);
    if (affected === 0 && write.kind === 'set' && write.mustExist) this.deferred.push({ write, table: known.event.name });
  }

  private async run(write: LegacyWrite, table: string): Promise<number> {
    try {
      return await applyLegacyWrite(this.legacy, write);
    } catch (error) {
      throw classify(error, `applying a change of ${this.service}.${table} to legacy table ${write.table}`);
    }
  }

  /** The reference row the inverse mapping reads, from the service database (its committed state). */
  private async reference(known: KnownRelation, row: Record<string, SourceValue>): Promise<ServiceRow<PgTable> | undefined> {
    const lookup = known.inverse.reference;
    const key = lookup?.key(row as ServiceRow<PgTable>);
    if (!lookup || key === undefined) return undefined;
    const q = (name: string): string => this.lookups.escapeIdentifier(name);
    const columns = Object.keys(getTableColumns(lookup.table));
    const entries = Object.entries(key);
    const result = await this.lookups.query<Record<string, string | null>>(
      `SELECT ${columns.map((c) => `${q(c)}::text AS ${q(c)}`).join(', ')} FROM public.${q(getTableName(lookup.table))} WHERE ${entries.map(([c], i) => `${q(c)} = $${i + 1}`).join(' AND ')}`,
      entries.map(([, v]) => v),
    );
    const found = result.rows[0];
    if (!found) {
      throw new PgcarveError('constraint_violation', `${this.service}.${known.event.name} refers to a ${getTableName(lookup.table)} row (by ${entries.map(([c]) => c).join(', ')}) that ${this.service} does not have, so its legacy values cannot be derived: insert that row in ${this.service}, then restart pgcarve`);
    }
    return found as ServiceRow<PgTable>;
  }
}

/** Under REPLICA IDENTITY FULL the old row has every value: use it for the unchanged TOAST ones. */
function fillUnchanged(row: Record<string, SourceValue>, old: Record<string, SourceValue>): Record<string, SourceValue> {
  const filled = { ...row };
  for (const column of Object.keys(row)) if (filled[column] === undefined && old[column] !== undefined) filled[column] = old[column];
  return filled;
}
