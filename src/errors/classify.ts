import { ERROR_POLICY, PgcarveError, type ErrorKind } from './pgcarve-error.js';
import { describeTlsFailure } from './tls-failure.js';

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
  readonly table?: unknown;
  readonly column?: unknown;
  readonly constraint?: unknown;
}

/**
 * SQLSTATE classes whose server texts name objects, roles and settings, never data: connection
 * (08), authorization (28), catalog (3D), transaction rollback (40), syntax or access rule (42),
 * resources (53), prerequisite state (55), operator intervention (57). Their text stays in the
 * message. Any other class (22 data exception, 23 constraint, a trigger's P0001, …) can quote a
 * row value: its text stays in `cause` only.
 */
const TEXT_NAMES_OBJECTS = new Set(['08', '28', '3D', '40', '42', '53', '55', '57']);

/** What a SQLSTATE whose text stays in `cause` reports, written without its values. */
const CONDITIONS: Readonly<Record<string, string>> = {
  '22001': 'a value is too long for its column type',
  '22003': 'a number is out of range for its column type',
  '22007': 'a value is not a valid date or time',
  '22008': 'a date or time is out of range',
  '22021': 'a value is not valid in the database encoding',
  '22P02': 'a value does not have the syntax of its column type',
  '22P05': 'a character cannot be stored in the database encoding',
  '23502': 'a row has a null in a NOT NULL column',
  '23503': 'a row violates a foreign key constraint',
  '23505': 'a row repeats a key of a unique constraint (duplicate key)',
  '23514': 'a row violates a check constraint',
  '23P01': 'a row violates an exclusion constraint',
};

const KIND_CONDITIONS: Partial<Readonly<Record<ErrorKind, string>>> = {
  bad_input: 'the server refused a value (a data exception)',
  constraint_violation: 'the server refused a row (an integrity constraint)',
};

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
 * The SQLSTATE (its condition), and the table, column and constraint the server names, for an
 * error whose driver text may quote a row value; the text itself when it cannot.
 */
function describeDriverError(error: unknown, kind: ErrorKind): string {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as DriverError;
  const code = typeof fields.code === 'string' && ERRNO_KINDS[fields.code] === undefined && /^[0-9A-Z]{5}$/.test(fields.code) ? fields.code : undefined;
  if (code === undefined || TEXT_NAMES_OBJECTS.has(code.slice(0, 2))) return error instanceof Error ? error.message : String(error);
  const named = (['table', 'column', 'constraint'] as const).flatMap((field) => (typeof fields[field] === 'string' && fields[field] !== '' ? [`${field} ${String(fields[field])}`] : []));
  const condition = CONDITIONS[code] ?? KIND_CONDITIONS[kind] ?? 'the server reported an error';
  return `${condition} (SQLSTATE ${[code, ...named].join(', ')})`;
}

/**
 * Wraps any error as a PgcarveError, keeping it as `cause`. The message is `context` (what pgcarve
 * was doing: "applying to document_db"), then what went wrong (the server's text only where it
 * cannot carry a row value, see TEXT_NAMES_OBJECTS), then, for a kind the operator must act on,
 * the kind's remedy from ERROR_POLICY.
 */
export function classify(error: unknown, context: string): PgcarveError {
  if (error instanceof PgcarveError) return error;
  const tls = describeTlsFailure(error);
  if (tls !== undefined) return new PgcarveError('authentication', `${context}: ${tls}`, { cause: error });
  const kind = classifyKind(error);
  const { retry, remedy } = ERROR_POLICY[kind];
  return new PgcarveError(kind, `${context}: ${describeDriverError(error, kind)}${retry === 'operator' ? `: ${remedy}` : ''}`, { cause: error });
}
