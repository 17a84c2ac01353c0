import { PgcarveError, type ErrorKind } from './pgcarve-error.js';
import { DRIVER_REMEDY, REMEDIES } from './remedy.js';
import { describeTlsFailure } from './tls-failure.js';
import { withoutValues } from './without-values.js';

/**
 * SQLSTATE (exact code, or class by its first two characters) → kind. Data, not conditions, in
 * the manner of graphile-worker's retryable-error table.
 */
const SQLSTATE_KINDS: readonly (readonly [string, ErrorKind])[] = [
  ['40001', 'serialization_failure'],
  ['40P01', 'deadlock'],
  ['53300', 'too_many_connections'],
  ['57P01', 'server_restarting'], // admin_shutdown
  ['57P02', 'server_restarting'], // crash_shutdown
  ['57P03', 'server_restarting'], // cannot_connect_now
  ['42703', 'column_missing'], // undefined_column
  ['42P01', 'table_missing'], // undefined_table
  ['42501', 'privilege'], // insufficient_privilege
  ['28P01', 'authentication'],
  ['28000', 'authentication'],
  ['3D000', 'database_missing'],
  ['55006', 'slot_in_use'], // object_in_use: "replication slot ... is active for PID ..."
  ['55000', 'server_misconfigured'], // object_not_in_prerequisite_state (e.g. wal_level)
  ['08', 'connection_lost'], // connection exception class
  ['23', 'constraint_violation'], // integrity constraint violation class
  ['22', 'bad_input'], // data exception class (a value the target type rejects)
];

const ERRNO_KINDS: Readonly<Record<string, ErrorKind>> = {
  ECONNREFUSED: 'connection_lost',
  ECONNRESET: 'connection_lost',
  ETIMEDOUT: 'connection_lost',
  EPIPE: 'connection_lost',
  EHOSTUNREACH: 'connection_lost',
  ENETUNREACH: 'connection_lost',
  EAI_AGAIN: 'connection_lost',
  ENOTFOUND: 'connection_lost',
};

const CONNECTION_MESSAGES = /Connection terminated|connection is closed|Client has encountered a connection error|terminating connection|Client was closed|timeout expired|Connection ended/i;

interface DriverError {
  readonly code?: unknown;
  readonly message?: unknown;
}

/** The kind of any error thrown by pg or the network; PgcarveErrors keep theirs. */
export function classifyKind(error: unknown): ErrorKind {
  if (error instanceof PgcarveError) return error.kind;
  // A certificate that does not verify is not retried: the URL or the server must change.
  if (describeTlsFailure(error) !== undefined) return 'authentication';
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  if (typeof code === 'string') {
    const errnoKind = ERRNO_KINDS[code];
    if (errnoKind) return errnoKind;
    if (/^[0-9A-Z]{5}$/.test(code)) {
      for (const [prefix, kind] of SQLSTATE_KINDS) if (code.startsWith(prefix)) return kind;
    }
  }
  if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return 'connection_lost';
  return 'internal';
}

/**
 * Wraps any error as a PgcarveError, keeping it as `cause`. `context` says what pgcarve was doing
 * ("applying to document_db"); the driver's message follows it, and for the kinds whose server
 * text says nothing of what to do (a table missing, a privilege), the remedy.
 */
export function classify(error: unknown, context: string): PgcarveError {
  if (error instanceof PgcarveError) return error;
  const tls = describeTlsFailure(error);
  if (tls !== undefined) return new PgcarveError('authentication', `${context}: ${tls}`, { cause: error });
  const kind = classifyKind(error);
  const detail = withoutValues(error instanceof Error ? error.message : String(error));
  const remedy = DRIVER_REMEDY.has(kind) ? `: ${REMEDIES[kind]}` : '';
  return new PgcarveError(kind, `${context}: ${detail}${remedy}`, { cause: error });
}
