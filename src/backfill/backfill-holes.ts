import type pg from 'pg';
import { readCutOver } from '../state/cutover-marker.js';
import { isUnfinished, readBackfillStates, type BackfillState } from '../state/backfill-state.js';

/**
 * Why one service database is owed a copy of one legacy table when the slot already exists:
 * - `unfinished`: its state is `pending` or `copying` (a process died during the copy, or
 *   `pgcarve backfill --resync` asked for it);
 * - `no_state`: the database has a checkpoint but no state row for the table, so the table was
 *   mapped after the slot was created and its rows from before are nowhere (the stream only
 *   carries changes from the slot's position on);
 * - `no_checkpoint`: the database has no checkpoint for the slot: it was recreated empty, or its
 *   `pgcarve` schema was dropped. `Backfill.plan` writes a checkpoint row (0/0) before the slot
 *   exists and the writers move it, so a slot with a position and no checkpoint row means the
 *   database lost what it knew. Its tables may be empty (recreated) or hold rows applied up to a
 *   position nobody knows any more (state dropped), so every table it is fed by is copied again:
 *   streaming from the slot without a copy would leave a hole (or apply again what it holds).
 */
export type OwedReason = 'unfinished' | 'no_state' | 'no_checkpoint';

export interface OwedCopy {
  readonly table: string;
  readonly reason: OwedReason;
}

/** What one service database records about the slot, as far as owed copies go. */
export interface ServiceRecord {
  /** Cut over: its database is the source of truth, and a copy would overwrite it. Owes nothing. */
  readonly cutOver: boolean;
  readonly hasCheckpoint: boolean;
  readonly states: ReadonlyMap<string, BackfillState>;
}

export async function readServiceRecord(client: pg.ClientBase, slot: string): Promise<ServiceRecord> {
  const cutOver = (await readCutOver(client, slot)) !== undefined;
  const checkpoint = await client.query('SELECT 1 FROM pgcarve.checkpoint WHERE slot = $1', [slot]);
  const states = new Map((await readBackfillStates(client, slot)).map((s) => [s.table, s]));
  return { cutOver, hasCheckpoint: (checkpoint.rowCount ?? 0) > 0, states };
}

/** `writeNothingToCopy`'s row: the table was empty when the slot was created. */
const nothingToCopy = (s: BackfillState): boolean => s.kind === 'copied' && s.attempts === 0 && s.snapshotLsn === undefined;

/**
 * Per service, in `records`' order: whether it is to be adopted as owing nothing rather than
 * checked. A slot no service database has any backfill state for was created by a pgcarve that did
 * not record a plan (one from before plans were written for empty legacy tables, or a sidecar
 * without a backfill), over legacy tables that were empty then: it owes nothing, and every service
 * is adopted (the caller writes a checkpoint row, then the nothing-to-copy rows). An adoption
 * stopped half way leaves services with a checkpoint row and no state while the others hold only
 * nothing-to-copy rows: those are adopted too. A service without a checkpoint row in a slot that
 * has state somewhere is never adopted: it lost its state. (If every service database lost its
 * state at once, that cannot be told from a slot without a plan: the caller says so in its log
 * line, with the command that copies a table again.)
 */
export function adoptable(records: readonly ServiceRecord[]): readonly boolean[] {
  const none = records.every((r) => r.states.size === 0);
  const onlyNothing = records.every((r) => [...r.states.values()].every(nothingToCopy));
  return records.map((r) => !r.cutOver && r.states.size === 0 && (none || (onlyNothing && r.hasCheckpoint)));
}

/** The copies `tables` (the legacy tables mapped into this service database) owe it, unless it is adoptable. */
export function owedCopies(record: ServiceRecord, tables: readonly string[]): readonly OwedCopy[] {
  if (record.cutOver) return [];
  if (!record.hasCheckpoint) return tables.map((table) => ({ table, reason: 'no_checkpoint' }));
  const owed: OwedCopy[] = [];
  for (const table of tables) {
    const state = record.states.get(table);
    if (!state) owed.push({ table, reason: 'no_state' });
    else if (isUnfinished(state)) owed.push({ table, reason: 'unfinished' });
  }
  return owed;
}
