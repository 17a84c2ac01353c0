/**
 * Every failure pgcarve reports has one of these kinds. The set is closed: a failure is classified
 * once, where it crosses the PostgreSQL boundary (see classify.ts), and what happens next is read
 * from ERROR_POLICY, never decided by ad-hoc conditions: whether it is retried, and what the
 * operator does about it (the remedy, a sentence; the README's Troubleshooting table has a row for
 * each kind, test/docs.test.ts keeps them in step).
 */
export const ERROR_POLICY = {
  // Retried with backoff: the condition goes away by itself.
  connection_lost: { retry: 'transient', remedy: 'pgcarve reconnects by itself with backoff; if it lasts, check the server and the network' },
  server_restarting: { retry: 'transient', remedy: 'pgcarve reconnects by itself once the server is back' },
  too_many_connections: { retry: 'transient', remedy: 'pgcarve retries; raise max_connections or lower PGCARVE_BACKFILL_CONCURRENCY' },
  serialization_failure: { retry: 'transient', remedy: 'retried by itself' },
  deadlock: { retry: 'transient', remedy: 'retried by itself; if it repeats, look for another writer on the service database' },
  /**
   * The slot is held by another consumer: one going away, or another pgcarve, in which case this
   * one stands by (phase `standby`) and takes over when the slot is released.
   */
  slot_in_use: { retry: 'transient', remedy: 'another pgcarve (or consumer) holds the slot: this one stands by and takes over when it is released; stop the other, or give this one its own PGCARVE_SLOT' },
  /** A target's checkpoint moved under a writer session: another session of the same writer applied (see checkpoint.ts). */
  target_fenced: { retry: 'transient', remedy: 'nothing: another session of the same writer applied first; pgcarve reopens the session and skips what is applied' },
  /** A target did not take changes for longer than PGCARVE_TARGET_STALL_SECONDS: it falls behind alone. */
  target_stalled: { retry: 'transient', remedy: 'the service database is slow or locked: pgcarve lets it fall behind alone and catches it up from its checkpoint; look for locks or load there (PGCARVE_TARGET_STALL_SECONDS)' },
  // Stops the affected target (or command) with a message that says what to do.
  mapping_threw: { retry: 'operator', remedy: 'fix the mapping or the legacy row named in the message, then restart pgcarve' },
  constraint_violation: { retry: 'operator', remedy: 'the service database refused a row (a constraint pgcarve does not know): fix the constraint or the legacy row, then restart pgcarve' },
  column_missing: { retry: 'operator', remedy: 'run `pgcarve migrate` (it checks the schema and says what is missing), then restart pgcarve' },
  table_missing: { retry: 'operator', remedy: 'run `pgcarve migrate` (it recreates a dropped table from the migrations), restart pgcarve, then `pgcarve backfill --service NAME`' },
  no_replica_identity: { retry: 'operator', remedy: 'give the legacy table a primary key, or ALTER TABLE … REPLICA IDENTITY FULL' },
  needs_replica_identity_full: { retry: 'operator', remedy: 'ALTER TABLE … REPLICA IDENTITY FULL on the legacy table, then restart pgcarve' },
  privilege: { retry: 'operator', remedy: 'grant what the message names (the statement is in it), then run the command again' },
  authentication: { retry: 'operator', remedy: 'check the user and password in the DATABASE_URL_… key the message names, and pg_hba.conf' },
  database_missing: { retry: 'operator', remedy: 'for a service database run `pgcarve migrate`; for the legacy one check the database name in DATABASE_URL_LEGACY' },
  /** A service database is not migrated, behind, or its tables differ from the migrations. */
  schema_mismatch: { retry: 'operator', remedy: 'run `pgcarve migrate`, then start pgcarve again' },
  server_misconfigured: { retry: 'operator', remedy: 'change the server setting the message names (the statement is in it) and restart PostgreSQL' },
  slot_invalid: { retry: 'operator', remedy: 'choose another PGCARVE_SLOT, or drop the slot and run pgcarve again (it backfills)' },
  /** A target database lost pgcarve's checkpoint while pgcarve ran (recreated, schema dropped). */
  target_state_lost: { retry: 'operator', remedy: 'restart pgcarve: on start it copies what a service database without its checkpoint is owed, then streams' },
  bad_input: { retry: 'operator', remedy: 'correct the option or input the message names (`pgcarve <command> --help`); for a value a service database refused, fix the mapping or the legacy row, then restart pgcarve' },
  configuration: { retry: 'operator', remedy: 'correct each KEY listed (`pgcarve --help` lists the keys)' },
  /** The HTTP API's address is taken or not allowed (PGCARVE_HTTP_PORT, PGCARVE_HTTP_HOST). */
  port_unavailable: { retry: 'operator', remedy: 'stop what holds the port, or set PGCARVE_HTTP_PORT (or PGCARVE_HTTP_HOST)' },
  // A bug or a state pgcarve cannot reason about: stop and report everything.
  internal: { retry: 'fatal', remedy: 'a bug: report it with the message and the log' },
} as const satisfies Readonly<Record<string, { readonly retry: 'transient' | 'operator' | 'fatal'; readonly remedy: string }>>;

export type ErrorKind = keyof typeof ERROR_POLICY;
export type ErrorPolicy = (typeof ERROR_POLICY)[ErrorKind]['retry'];

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
    return ERROR_POLICY[this.kind].retry;
  }

  /** What the operator does about this kind of failure, in a sentence. */
  get remedy(): string {
    return ERROR_POLICY[this.kind].remedy;
  }

  get retryable(): boolean {
    return this.policy === 'transient';
  }
}
