import type { ErrorKind } from './pgcarve-error.js';

/**
 * What to do about each kind of failure, in a sentence. The README's Troubleshooting table has a
 * row for each kind (test/docs.test.ts keeps them in step). `classify` appends the remedy to a
 * driver error of the kinds in DRIVER_REMEDY, whose server text says what is wrong but not what
 * to do; pgcarve's own messages carry a remedy written for their case.
 */
export const REMEDIES: Readonly<Record<ErrorKind, string>> = {
  connection_lost: 'pgcarve reconnects by itself with backoff; if it lasts, check the server and the network',
  server_restarting: 'pgcarve reconnects by itself once the server is back',
  too_many_connections: 'pgcarve retries; raise max_connections or lower PGCARVE_BACKFILL_CONCURRENCY',
  serialization_failure: 'retried by itself',
  deadlock: 'retried by itself; if it repeats, look for another writer on the service database',
  slot_in_use: 'another pgcarve (or consumer) holds the slot: this one stands by and takes over when it is released; stop the other, or give this one its own PGCARVE_SLOT',
  target_fenced: 'nothing: another session of the same writer applied first; pgcarve reopens the session and skips what is applied',
  target_stalled: 'the service database is slow or locked: pgcarve lets it fall behind alone and catches it up from its checkpoint; look for locks or load there (PGCARVE_TARGET_STALL_SECONDS)',
  mapping_threw: 'fix the mapping or the legacy row named in the message, then restart pgcarve',
  constraint_violation: 'the service database refused a row (a constraint pgcarve does not know): fix the constraint or the legacy row, then restart pgcarve',
  column_missing: 'run `pgcarve migrate` (it checks the schema and says what is missing), then restart pgcarve',
  table_missing: 'run `pgcarve migrate` (it recreates a dropped table from the migrations), restart pgcarve, then `pgcarve backfill --service NAME`',
  no_replica_identity: 'give the legacy table a primary key, or ALTER TABLE … REPLICA IDENTITY FULL',
  needs_replica_identity_full: 'ALTER TABLE … REPLICA IDENTITY FULL on the legacy table, then restart pgcarve',
  privilege: 'grant what the message names (the statement is in it), then run the command again',
  authentication: 'check the user and password in the DATABASE_URL_… key the message names, and pg_hba.conf',
  database_missing: 'for a service database run `pgcarve migrate`; for the legacy one check the database name in DATABASE_URL_LEGACY',
  schema_mismatch: 'run `pgcarve migrate`, then start pgcarve again',
  server_misconfigured: 'change the server setting the message names (the statement is in it) and restart PostgreSQL',
  slot_invalid: 'choose another PGCARVE_SLOT, or drop the slot and run pgcarve again (it backfills)',
  target_state_lost: 'restart pgcarve: on start it copies what a service database without its checkpoint is owed, then streams',
  bad_input: 'correct the option or input the message names (`pgcarve <command> --help`)',
  configuration: 'correct each KEY listed (`pgcarve --help` lists the keys)',
  port_unavailable: 'stop what holds the port, or set PGCARVE_HTTP_PORT (or PGCARVE_HTTP_HOST)',
  internal: 'a bug: report it with the message and the log',
};

/** Kinds whose driver message (server text) gets REMEDIES appended. */
export const DRIVER_REMEDY: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['table_missing', 'column_missing', 'privilege', 'authentication', 'database_missing']);
