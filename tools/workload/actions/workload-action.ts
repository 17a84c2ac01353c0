import type pg from 'pg';
import type { LegacyTableName } from '../../../mappings/legacy/schema.js';
import type { Prng } from '../prng.js';

export type WriteOp = 'insert' | 'update' | 'delete';

/**
 * What an action gets to work with: one connection inside an open transaction, a generator and
 * helpers that count what it writes. Ids travel as text, so bigints beyond 2^53 stay exact.
 */
export interface ActionContext {
  readonly rng: Prng;
  /** A string no other row written by any workload run holds (for unique columns). */
  readonly unique: () => string;
  /** Runs one writing statement on `table` and counts the rows it affected as `op`. */
  readonly write: (table: LegacyTableName, op: WriteOp, sql: string, params?: readonly unknown[]) => Promise<pg.QueryResult>;
  /** Runs a reading statement. */
  readonly read: <R extends pg.QueryResultRow>(sql: string, params?: readonly unknown[]) => Promise<R[]>;
  /**
   * The id of a random existing row of `table` (matching `where`, a constant SQL condition), locked
   * FOR KEY SHARE (a parent the action will reference: it cannot be deleted before the action
   * commits) or FOR UPDATE (a row the action changes or deletes). Undefined when none matches.
   */
  readonly pick: (table: LegacyTableName, lock: 'key share' | 'update', where?: string) => Promise<string | undefined>;
}

/**
 * One kind of write the application makes. `writes` lists every legacy table the action may
 * write (checked at run time), so the workload can stop writing some tables (a service being cut
 * over) while it keeps writing the others. An action respects the legacy foreign keys: it locks
 * the parents it references and deletes children before their parent.
 */
export interface WorkloadAction {
  readonly name: string;
  /** Relative frequency. */
  readonly weight: number;
  readonly writes: readonly LegacyTableName[];
  readonly run: (ctx: ActionContext) => Promise<void>;
}

/** The legacy timestamp of "now": UTC without time zone, with microseconds. */
export const NOW = `(clock_timestamp() AT TIME ZONE 'UTC')`;
