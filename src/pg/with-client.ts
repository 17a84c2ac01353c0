import pg from 'pg';
import { classify } from '../errors/classify.js';
import { connectionFailure, type ConnectionTarget } from '../errors/connection-failure.js';

/**
 * Why pgcarve opens a connection: what it is doing (the context of a failed connect), the database
 * it means (for the operator's message: configuration key, label), and the few options that differ
 * between connections. TLS comes from the URL (sslmode, sslrootcert), which node-postgres reads.
 */
export interface Purpose {
  /** What pgcarve connects for, the context of a failed connect ("reading the cutover seal of user_db"). */
  readonly doing: string;
  /** The database as the operator configured it; a failed connect then names the key, host, database and user. */
  readonly target?: Omit<ConnectionTarget, 'url'>;
  /** application_name, shown in pg_stat_activity (and matched by the fault tests and the slot holder). */
  readonly application?: string;
  /** Connect timeout; 10 s unless given. */
  readonly connectTimeoutMs?: number;
  readonly keepAlive?: boolean;
  /** A walsender connection (`replication=database`), for the replication protocol's commands. */
  readonly replication?: boolean;
  /** Server settings for the session (`-c lock_timeout=5s`). */
  readonly options?: string;
  readonly types?: pg.CustomTypesConfig;
}

/**
 * Opens a connection for `purpose`. A failed connect throws a PgcarveError: with `target`, the
 * operator's connection message (connectionFailure), else classified with `purpose.doing`. The
 * client ignores 'error' events while idle (the next query reports a lost connection); the caller
 * ends it.
 */
export async function connect(url: string, purpose: Purpose): Promise<pg.Client> {
  const config: pg.ClientConfig & { replication?: string } = {
    connectionString: url,
    connectionTimeoutMillis: purpose.connectTimeoutMs ?? 10_000,
    ...(purpose.application !== undefined ? { application_name: purpose.application } : {}),
    ...(purpose.keepAlive !== undefined ? { keepAlive: purpose.keepAlive } : {}),
    ...(purpose.replication ? { replication: 'database' } : {}),
    ...(purpose.options !== undefined ? { options: purpose.options } : {}),
    ...(purpose.types !== undefined ? { types: purpose.types } : {}),
  };
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw purpose.target ? connectionFailure(error, { ...purpose.target, url }) : classify(error, purpose.doing);
  }
  return client;
}

/**
 * Runs `f` on a connection opened for `purpose` and always ends it, also when `f` throws; an error
 * of `end()` never masks `f`'s result or error. `f`'s errors pass as thrown (the caller classifies
 * them in its own words, or reads their SQLSTATE).
 */
export async function withClient<T>(url: string, purpose: Purpose, f: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(url, purpose);
  try {
    return await f(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
