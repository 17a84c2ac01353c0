import type pg from 'pg';
import { formatLsn, parseLsn, type Lsn } from '../lsn.js';

/**
 * Where the backfill of one legacy table stands in one service database: a row of
 * `pgcarve.backfill` (slot, source_table) in every service database the table writes to, so each
 * database says on its own what it holds. Every mapped table has a row once the slot exists (a
 * missing row therefore means a table mapped since, or state that was lost: backfill-holes.ts).
 *
 *     pending ──► copying ──► copied ──► repairing ──► copied
 *                  │    ▲
 *                  └────┘  a process that dies while copying leaves `copying`; the next one
 *                          redoes the table from scratch on a fresh snapshot
 *
 * Every variant is persisted (in the service database) and read back on start.
 */
export type BackfillState =
  /**
   * Set by `Backfill.plan` in every service database for every mapped table, *before* the slot is
   * created: from then on, a slot without a finished copy is never mistaken for one that needs
   * none. Also set by `pgcarve backfill --resync`, so that the next `run` copies the table again.
   */
  | (BackfillCommon & { readonly kind: 'pending' })
  /**
   * Set by the copier when it starts the table, in the target transaction that empties the
   * table's owned target tables; `snapshotLsn` is the LSN of the snapshot it reads. Each batch adds
   * to `rowsCopied` in the batch's own transaction. Found after a restart, it means "unfinished".
   */
  | (BackfillCommon & { readonly kind: 'copying'; readonly snapshotLsn: Lsn; readonly startedAt: Date })
  /**
   * Set by the copier once every batch of the table has committed; never copied again by `run`.
   * `snapshotLsn` is the table's floor: the stream leaves the table alone in transactions that
   * committed before it, because the copy already holds them (see backfill-floors.ts). Undefined
   * for a table first copied by `pgcarve backfill`, and for a table that was empty when the slot
   * was created (`Backfill.plan` records it copied, with nothing to copy).
   */
  | (BackfillCommon & { readonly kind: 'copied'; readonly snapshotLsn: Lsn | undefined; readonly startedAt: Date | undefined; readonly finishedAt: Date | undefined })
  /**
   * Set by `pgcarve backfill` while it re-copies the table through the WAL (table-repair.ts) and
   * set back to `copied` (floor unchanged) when the sidecar has applied every chunk. The running
   * repair holds an advisory lock on the table (cutover/repair-liveness.ts); without it the state
   * reads as `repair-interrupted`: verify, status and cutover treat the table as not verified
   * until `pgcarve backfill` is run again and finishes it. The sidecar does not act on it.
   */
  | (BackfillCommon & { readonly kind: 'repairing'; readonly snapshotLsn: Lsn | undefined; readonly startedAt: Date });

interface BackfillCommon {
  /** The legacy table. */
  readonly table: string;
  /** Legacy rows copied into this database in the current (or last) attempt. */
  readonly rowsCopied: number;
  /** pg_class.reltuples (or an exact count) when the attempt started. */
  readonly rowsEstimated: number | undefined;
  /** How many times a copy of this table was started (`run` and `pgcarve backfill`). */
  readonly attempts: number;
  readonly updatedAt: Date;
}

export type BackfillStateKind = BackfillState['kind'];

/** Unfinished for `pgcarve run`: a restart copies these tables again. */
export function isUnfinished(state: BackfillState): boolean {
  return state.kind === 'pending' || state.kind === 'copying';
}

interface StateRow {
  readonly source_table: string;
  readonly state: string;
  readonly snapshot_lsn: string | null;
  readonly rows_copied: string | number;
  readonly rows_estimated: string | number | null;
  readonly attempts: string | number;
  readonly started_ms: string | number | null;
  readonly finished_ms: string | number | null;
  readonly updated_ms: string | number;
}

const READ_SQL = `
SELECT source_table, state, snapshot_lsn::text AS snapshot_lsn, rows_copied::text AS rows_copied, rows_estimated::text AS rows_estimated,
       attempts::text AS attempts, (extract(epoch FROM started_at) * 1000)::float8 AS started_ms,
       (extract(epoch FROM finished_at) * 1000)::float8 AS finished_ms, (extract(epoch FROM updated_at) * 1000)::float8 AS updated_ms
  FROM pgcarve.backfill WHERE slot = $1 ORDER BY source_table`;

const date = (ms: string | number | null): Date | undefined => (ms === null ? undefined : new Date(Number(ms)));
const lsn = (text: string | null): Lsn | undefined => (text === null ? undefined : parseLsn(text));

function toState(row: StateRow): BackfillState {
  const common: BackfillCommon = {
    table: row.source_table,
    rowsCopied: Number(row.rows_copied),
    rowsEstimated: row.rows_estimated === null ? undefined : Number(row.rows_estimated),
    attempts: Number(row.attempts),
    updatedAt: date(row.updated_ms) as Date,
  };
  const startedAt = date(row.started_ms) ?? common.updatedAt;
  switch (row.state) {
    case 'pending':
      return { ...common, kind: 'pending' };
    case 'copying':
      // A copying row always has its snapshot; a missing one cannot be resumed, only redone.
      return row.snapshot_lsn === null ? { ...common, kind: 'pending' } : { ...common, kind: 'copying', snapshotLsn: parseLsn(row.snapshot_lsn), startedAt };
    case 'repairing':
      return { ...common, kind: 'repairing', snapshotLsn: lsn(row.snapshot_lsn), startedAt };
    case 'copied':
      return { ...common, kind: 'copied', snapshotLsn: lsn(row.snapshot_lsn), startedAt: date(row.started_ms), finishedAt: date(row.finished_ms) };
    default:
      // Written by a newer pgcarve: treat as unfinished, so the table is copied rather than skipped.
      return { ...common, kind: 'pending' };
  }
}

/**
 * The backfill state of every legacy table this service database has a row for, for `slot`
 * (`pgcarve status`, the sidecar on start, `pgcarve backfill`). Works with any client, whatever
 * its type parsers. The pgcarve schema must exist (`pgcarve migrate` or a sidecar start creates it).
 */
export async function readBackfillStates(client: pg.ClientBase, slot: string): Promise<readonly BackfillState[]> {
  const result = await client.query<StateRow>(READ_SQL, [slot]);
  return result.rows.map(toState);
}

/** Every table in `tables` owes a copy (`pending`); rows of other tables of this slot go. */
export async function writePlan(client: pg.ClientBase, slot: string, tables: readonly string[]): Promise<void> {
  await client.query('DELETE FROM pgcarve.backfill WHERE slot = $1 AND NOT (source_table = ANY($2::text[]))', [slot, tables]);
  await client.query(
    `INSERT INTO pgcarve.backfill AS b (slot, source_table, state) SELECT $1, t, 'pending' FROM unnest($2::text[]) AS t
     ON CONFLICT (slot, source_table) DO UPDATE SET state = 'pending', snapshot_lsn = NULL, rows_copied = 0, rows_estimated = NULL,
       started_at = NULL, finished_at = NULL, updated_at = now()`,
    [slot, tables],
  );
}

/**
 * No copy is owed for `tables` (the legacy tables were empty when the slot was created): each is
 * `copied` with no rows, no floor and no attempt (how backfill-holes.ts tells it from a copy), so
 * that a table without a row is known to be owed one.
 */
export async function writeNothingToCopy(client: pg.ClientBase, slot: string, tables: readonly string[]): Promise<void> {
  await client.query('DELETE FROM pgcarve.backfill WHERE slot = $1 AND NOT (source_table = ANY($2::text[]))', [slot, tables]);
  await client.query(
    `INSERT INTO pgcarve.backfill AS b (slot, source_table, state, finished_at) SELECT $1, t, 'copied', now() FROM unnest($2::text[]) AS t
     ON CONFLICT (slot, source_table) DO UPDATE SET state = 'copied', snapshot_lsn = NULL, rows_copied = 0, rows_estimated = NULL, attempts = 0,
       started_at = NULL, finished_at = now(), updated_at = now()`,
    [slot, tables],
  );
}

/** `pending` again (`pgcarve backfill --resync`): the next start copies the table on a fresh snapshot. */
export async function markPending(client: pg.ClientBase, slot: string, table: string): Promise<void> {
  await client.query(
    `INSERT INTO pgcarve.backfill AS b (slot, source_table, state) VALUES ($1, $2, 'pending')
     ON CONFLICT (slot, source_table) DO UPDATE SET state = 'pending', snapshot_lsn = NULL, rows_copied = 0, rows_estimated = NULL,
       started_at = NULL, finished_at = NULL, updated_at = now()`,
    [slot, table],
  );
}

/** `copying` (or `repairing`) from now, on the snapshot at `snapshotLsn`; counts the attempt. */
export async function markStarted(client: pg.ClientBase, slot: string, table: string, kind: 'copying' | 'repairing', snapshotLsn: Lsn | undefined, rowsEstimated: number): Promise<void> {
  await client.query(
    `INSERT INTO pgcarve.backfill AS b (slot, source_table, state, snapshot_lsn, rows_copied, rows_estimated, attempts, started_at, finished_at, updated_at)
     VALUES ($1, $2, $3, $4::pg_lsn, 0, $5, 1, now(), NULL, now())
     ON CONFLICT (slot, source_table) DO UPDATE SET state = EXCLUDED.state,
       snapshot_lsn = CASE WHEN EXCLUDED.state = 'repairing' THEN b.snapshot_lsn ELSE EXCLUDED.snapshot_lsn END,
       rows_copied = 0, rows_estimated = EXCLUDED.rows_estimated, attempts = b.attempts + 1, started_at = now(), finished_at = NULL, updated_at = now()`,
    [slot, table, kind, snapshotLsn === undefined ? null : formatLsn(snapshotLsn), Math.round(rowsEstimated)],
  );
}

/** Adds `rows` to the current attempt; call it in the transaction that wrote them. */
export async function addRowsCopied(client: pg.ClientBase, slot: string, table: string, rows: number): Promise<void> {
  await client.query({
    name: 'pgcarve_backfill_rows',
    text: 'UPDATE pgcarve.backfill SET rows_copied = rows_copied + $3, updated_at = now() WHERE slot = $1 AND source_table = $2',
    values: [slot, table, rows],
  });
}

/** `copied`: the attempt is complete. `rowsCopied`, when given, replaces the running count. */
export async function markCopied(client: pg.ClientBase, slot: string, table: string, rowsCopied?: number): Promise<void> {
  await client.query(
    `UPDATE pgcarve.backfill SET state = 'copied', rows_copied = coalesce($3, rows_copied), finished_at = now(), updated_at = now()
      WHERE slot = $1 AND source_table = $2`,
    [slot, table, rowsCopied ?? null],
  );
}
