import { PgcarveError } from './pgcarve-error.js';
import { classify } from './classify.js';

/** host:port, database and user of a connection URL, for messages (never the password). */
export function describeTarget(url: string): { readonly where: string; readonly database: string; readonly user: string } {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(none)';
    const user = decodeURIComponent(parsed.username) || '(the default user)';
    return { where: `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`, database, user };
  } catch {
    return { where: '(unparseable URL)', database: '(unknown)', user: '(unknown)' };
  }
}

export interface ConnectionTarget {
  /** The configuration key holding the URL (DATABASE_URL_…). */
  readonly key: string;
  readonly url: string;
  /** What the database is, for the message ("the legacy database", "user_db"). */
  readonly label: string;
  /** What to do when the database does not exist (for a service database: run `pgcarve migrate`). */
  readonly missingDatabase?: string;
}

/**
 * A failed connect, written for the operator: which configuration key, which host, database and
 * user, and what to check. Never the password.
 */
export function connectionFailure(error: unknown, target: ConnectionTarget): PgcarveError {
  if (error instanceof PgcarveError) return error;
  const { key, url } = target;
  const { where, database, user } = describeTarget(url);
  const code = (error as { code?: unknown }).code;
  const head = `cannot connect to ${target.label} (${key}) at ${where}, database ${database}, user ${user}`;
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case '28P01':
      return new PgcarveError('authentication', `${head}: the password was rejected; check the user and password in ${key} (percent-encode special characters)`, { cause: error });
    case '28000':
      return new PgcarveError('authentication', `${head}: ${detail}; check that role ${user} exists and may log in, and that pg_hba.conf allows this client for that user and database`, { cause: error });
    case '3D000':
      return new PgcarveError('database_missing', `${head}: database ${database} does not exist there; ${target.missingDatabase ?? `check the database name at the end of ${key}`}`, { cause: error });
    case '42501':
      return new PgcarveError('privilege', `${head}: ${detail}; GRANT CONNECT ON DATABASE ${database} TO ${user}`, { cause: error });
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new PgcarveError('connection_lost', `${head}: ${code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host name does not resolve' : 'nothing answers there'} (${String(code)}); check the host and port in ${key}, and that PostgreSQL runs there and accepts TCP connections from this machine (listen_addresses, firewall)`, { cause: error });
    default:
      if (/timeout expired/i.test(detail)) {
        return new PgcarveError('connection_lost', `${head}: no answer within the connect timeout; check the host and port in ${key} and the network between this machine and the server`, { cause: error });
      }
      return classify(error, head);
  }
}
