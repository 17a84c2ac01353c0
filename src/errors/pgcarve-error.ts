/**
 * Every failure pgcarve reports has one of these kinds. The set is closed: a failure is classified
 * once, where it crosses the PostgreSQL boundary (see classify.ts), and what happens next is read
 * from ERROR_POLICY, never decided by ad-hoc conditions.
 */
export const ERROR_POLICY = {
  // Retried with backoff: the condition goes away by itself.
  connection_lost: 'transient',
  server_restarting: 'transient',
  too_many_connections: 'transient',
  serialization_failure: 'transient',
  deadlock: 'transient',
  /**
   * The slot is held by another consumer: one going away, or another pgcarve, in which case this
   * one stands by (phase `standby`) and takes over when the slot is released.
   */
  slot_in_use: 'transient',
  /** A target's checkpoint moved under a writer session: another session of the same writer applied (see checkpoint.ts). */
  target_fenced: 'transient',
  /** A target did not take changes for longer than PGCARVE_TARGET_STALL_SECONDS: it falls behind alone. */
  target_stalled: 'transient',
  // Stops the affected target (or command) with a message that says what to do.
  mapping_threw: 'operator',
  constraint_violation: 'operator',
  column_missing: 'operator',
  table_missing: 'operator',
  no_replica_identity: 'operator',
  needs_replica_identity_full: 'operator',
  privilege: 'operator',
  authentication: 'operator',
  database_missing: 'operator',
  /** A service database is not migrated, behind, or its tables differ from the migrations. */
  schema_mismatch: 'operator',
  server_misconfigured: 'operator',
  slot_invalid: 'operator',
  /** A target database lost pgcarve's checkpoint while pgcarve ran (recreated, schema dropped). */
  target_state_lost: 'operator',
  bad_input: 'operator',
  configuration: 'operator',
  /** The HTTP API's address is taken or not allowed (PGCARVE_HTTP_PORT, PGCARVE_HTTP_HOST). */
  port_unavailable: 'operator',
  // A bug or a state pgcarve cannot reason about: stop and report everything.
  internal: 'fatal',
} as const;

export type ErrorKind = keyof typeof ERROR_POLICY;
export type ErrorPolicy = (typeof ERROR_POLICY)[ErrorKind];

export const ERROR_KINDS = Object.keys(ERROR_POLICY) as readonly ErrorKind[];

/** The one error class of pgcarve. `message` is written for the operator: what is wrong and what to do. */
export class PgcarveError extends Error {
  override readonly name = 'PgcarveError';

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }

  get policy(): ErrorPolicy {
    return ERROR_POLICY[this.kind];
  }

  get retryable(): boolean {
    return this.policy === 'transient';
  }
}
