import type { Lsn } from '../lsn.js';

/**
 * One column of a tuple as pgoutput sent it:
 * - a string: the value's text form, byte for byte as the server printed it (never parsed);
 * - `null`: SQL NULL;
 * - `undefined`: an unchanged TOASTed value the server did not send. It means "whatever the row
 *   already holds", never NULL.
 */
export type TupleValue = string | null | undefined;

/** A row in the column order of its relation message. */
export type Tuple = readonly TupleValue[];

export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

/** Set in `RelationColumn.flags` when the column is part of the replica identity key. */
export const COLUMN_FLAG_KEY = 1;

export interface RelationColumn {
  readonly name: string;
  /** Bit flags; `COLUMN_FLAG_KEY` (1) marks a replica identity key column. */
  readonly flags: number;
  readonly typeOid: number;
  /** Type modifier (atttypmod), -1 when the type has none. */
  readonly typeMod: number;
}

/**
 * Commit timestamps are kept as sent: microseconds since 2000-01-01 00:00 UTC (the PostgreSQL
 * epoch), as a bigint, so that nothing is lost before a caller decides how to present them.
 */
export type PgTimestamp = bigint;

export interface BeginEvent {
  readonly kind: 'begin';
  /** The LSN of the commit record; the matching commit event has the same `commitLsn`. */
  readonly finalLsn: Lsn;
  readonly commitTime: PgTimestamp;
  readonly xid: number;
}

export interface CommitEvent {
  readonly kind: 'commit';
  /** Unused by the server so far; always 0. */
  readonly flags: number;
  readonly commitLsn: Lsn;
  /** The LSN just past the commit record: the position to acknowledge once this is applied. */
  readonly endLsn: Lsn;
  readonly commitTime: PgTimestamp;
}

/**
 * Describes a relation before its first change in a session and again after each schema change.
 * Later changes refer to it by `relationId` only.
 */
export interface RelationEvent {
  readonly kind: 'relation';
  /** Set inside a stream (protocol v2), undefined otherwise. */
  readonly xid?: number | undefined;
  readonly relationId: number;
  /** Empty string for pg_catalog, as the server sends it. */
  readonly schema: string;
  readonly name: string;
  readonly replicaIdentity: ReplicaIdentity;
  readonly columns: readonly RelationColumn[];
  /** The names of the columns flagged as key, in column order. */
  readonly keyColumns: readonly string[];
}

/** Describes a non-built-in type (enum, domain, composite...) used by a published column. */
export interface TypeEvent {
  readonly kind: 'type';
  readonly xid?: number | undefined;
  readonly typeOid: number;
  /** Empty string for pg_catalog. */
  readonly schema: string;
  readonly name: string;
}

/** The replication origin a transaction came from (sent after begin when it has one). */
export interface OriginEvent {
  readonly kind: 'origin';
  /** The commit LSN on the origin server. */
  readonly originLsn: Lsn;
  readonly name: string;
}

export interface InsertEvent {
  readonly kind: 'insert';
  readonly xid?: number | undefined;
  readonly relationId: number;
  readonly newTuple: Tuple;
}

/**
 * At most one of `keyTuple` and `oldTuple` is set:
 * - `keyTuple` ('K'): the old key, sent when the key changed or is stored out of line (REPLICA
 *   IDENTITY DEFAULT or INDEX); every column is present, the non-key ones as null.
 * - `oldTuple` ('O'): the whole old row, under REPLICA IDENTITY FULL.
 * - neither: the key did not change; it is in `newTuple`.
 */
export interface UpdateEvent {
  readonly kind: 'update';
  readonly xid?: number | undefined;
  readonly relationId: number;
  readonly keyTuple?: Tuple | undefined;
  readonly oldTuple?: Tuple | undefined;
  readonly newTuple: Tuple;
}

/** Exactly one of `keyTuple` ('K', key columns only) and `oldTuple` ('O', REPLICA IDENTITY FULL) is set. */
export interface DeleteEvent {
  readonly kind: 'delete';
  readonly xid?: number | undefined;
  readonly relationId: number;
  readonly keyTuple?: Tuple | undefined;
  readonly oldTuple?: Tuple | undefined;
}

export interface TruncateEvent {
  readonly kind: 'truncate';
  readonly xid?: number | undefined;
  readonly relationIds: readonly number[];
  readonly cascade: boolean;
  readonly restartIdentity: boolean;
}

/** A `pg_logical_emit_message` record (sent only with the `messages` option). */
export interface MessageEvent {
  readonly kind: 'message';
  readonly xid?: number | undefined;
  /** Transactional messages arrive inside their transaction; others arrive on their own, at once. */
  readonly transactional: boolean;
  readonly messageLsn: Lsn;
  readonly prefix: string;
  readonly content: Buffer;
}

/**
 * Protocol v2: a chunk of a large in-progress transaction begins. Changes up to the matching
 * `stream_stop` belong to `xid` (or one of its subtransactions, which the changes' `xid` names).
 */
export interface StreamStartEvent {
  readonly kind: 'stream_start';
  readonly xid: number;
  /** True for the first chunk of this transaction. */
  readonly firstSegment: boolean;
}

export interface StreamStopEvent {
  readonly kind: 'stream_stop';
}

/** A streamed transaction committed; it replaces begin/commit for streamed transactions. */
export interface StreamCommitEvent {
  readonly kind: 'stream_commit';
  readonly xid: number;
  readonly flags: number;
  readonly commitLsn: Lsn;
  readonly endLsn: Lsn;
  readonly commitTime: PgTimestamp;
}

/**
 * A streamed transaction (`subXid === xid`) or one of its subtransactions aborted: its streamed
 * changes (or the subtransaction's) must be discarded.
 */
export interface StreamAbortEvent {
  readonly kind: 'stream_abort';
  readonly xid: number;
  readonly subXid: number;
  /** Protocol v4 with streaming = parallel only. */
  readonly abortLsn?: Lsn | undefined;
  /** Protocol v4 with streaming = parallel only. */
  readonly abortTime?: PgTimestamp | undefined;
}

export type PgoutputEvent =
  | BeginEvent
  | CommitEvent
  | RelationEvent
  | TypeEvent
  | OriginEvent
  | InsertEvent
  | UpdateEvent
  | DeleteEvent
  | TruncateEvent
  | MessageEvent
  | StreamStartEvent
  | StreamStopEvent
  | StreamCommitEvent
  | StreamAbortEvent;

export type PgoutputEventKind = PgoutputEvent['kind'];

/** Epoch of pgoutput timestamps: 2000-01-01 00:00 UTC, in ms since the Unix epoch. */
const PG_EPOCH_MS = 946_684_800_000;

/** A pgoutput timestamp (microseconds since 2000-01-01 UTC) in ms since the Unix epoch. */
export function pgTimeToMs(micros: bigint): number {
  return Number(micros / 1000n) + PG_EPOCH_MS;
}
