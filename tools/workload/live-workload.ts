import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LEGACY_TABLES, type LegacyTableName } from '../../mappings/legacy/schema.js';
import { AI_RESEARCH_ACTIONS } from './actions/ai-research-actions.js';
import { DOCUMENT_ACTIONS } from './actions/document-actions.js';
import { FREEZONE_ACTIONS } from './actions/freezone-actions.js';
import { SCRAPER_ACTIONS } from './actions/scraper-actions.js';
import { USER_ACTIONS } from './actions/user-actions.js';
import type { ActionContext, WorkloadAction, WriteOp } from './actions/workload-action.js';
import { Prng } from './prng.js';
import { PgcarveError } from '../../src/errors/pgcarve-error.js';
import { connect as connectPg } from '../../src/pg/with-client.js';
import { pause } from '../../src/pause.js';

/** Every kind of write the application makes, grouped by the service that will own the tables. */
export const WORKLOAD_ACTIONS: readonly WorkloadAction[] = [...USER_ACTIONS, ...DOCUMENT_ACTIONS, ...FREEZONE_ACTIONS, ...AI_RESEARCH_ACTIONS, ...SCRAPER_ACTIONS];

export interface WorkloadOptions {
  /** Transactions per second over all connections. Default 20. */
  readonly ratePerSecond?: number;
  /** Concurrent connections to the legacy database. Default 2. */
  readonly connections?: number;
  /** Aborting it stops the workload, as stop() does. */
  readonly signal?: AbortSignal;
  /** Write only these legacy tables (an action runs only when every table it writes is allowed). Default: all. */
  readonly tables?: readonly string[];
  /** Seeds the choice of actions and values. Default: random. */
  readonly seed?: number;
  /** A transaction failed for a reason other than a deadlock or lock timeout (those are retried). */
  readonly onError?: (error: WorkloadError) => void;
}

/** A failed transaction, described without any row value (the server's DETAIL is left out). */
export interface WorkloadError {
  readonly action: string;
  /** SQLSTATE, when the server reported one. */
  readonly code: string | undefined;
  readonly message: string;
}

export interface TableWrites {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

export interface WorkloadStats {
  /** Committed transactions. */
  readonly transactions: number;
  /** Transactions retried after a deadlock, serialization failure or lock timeout. */
  readonly retries: number;
  /** Transactions that failed otherwise (rolled back, not retried). */
  readonly errors: number;
  /** Failed transactions by SQLSTATE ('none' when there was none). */
  readonly errorCodes: Readonly<Record<string, number>>;
  /** Committed runs per action name. */
  readonly actions: Readonly<Record<string, number>>;
  /** Committed row changes per legacy table. */
  readonly tables: Readonly<Partial<Record<LegacyTableName, TableWrites>>>;
  readonly elapsedMs: number;
}

export interface Workload {
  /** The counters so far. */
  readonly stats: () => WorkloadStats;
  /**
   * Changes which tables may be written (undefined: all). Resolves once no transaction that
   * writes a table now excluded is still running (from then on those tables are not written),
   * and every workload connection has published its table statistics, so that the write counters
   * of pg_stat_user_tables include every write made before (PostgreSQL 15 and later; older
   * servers publish them within about a second).
   */
  readonly restrict: (tables: readonly string[] | undefined) => Promise<void>;
  /** Stops starting transactions, waits for the running ones, closes the connections. Idempotent. */
  readonly stop: () => Promise<WorkloadStats>;
}

const RETRIED = new Set(['40P01', '40001', '55P03']);
const MAX_ATTEMPTS = 4;

function tableSet(tables: readonly string[] | undefined): ReadonlySet<LegacyTableName> {
  if (tables === undefined) return new Set(LEGACY_TABLES);
  const unknown = tables.filter((t) => !(LEGACY_TABLES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new RangeError(`not legacy tables: ${unknown.join(', ')}`);
  return new Set(tables as readonly LegacyTableName[]);
}

/**
 * Starts a live workload on the legacy database: the application's kinds of writes (see
 * WORKLOAD_ACTIONS), each transaction one action or a few, paced at `ratePerSecond`, on
 * `connections` connections, until stop() or the signal. Deadlocks and lock timeouts are retried;
 * other failures are counted and reported to onError, and the workload goes on.
 */
export function startWorkload(legacyUrl: string, options: WorkloadOptions = {}): Workload {
  const rate = options.ratePerSecond ?? 20;
  const connections = options.connections ?? 2;
  if (!(rate > 0)) throw new RangeError(`ratePerSecond must be positive, got ${rate}`);
  if (!(connections >= 1)) throw new RangeError(`connections must be at least 1, got ${connections}`);
  let allowed = tableSet(options.tables);
  const runId = randomBytes(4).toString('hex');
  let counter = 0;
  const unique = (): string => `${runId}-${(counter += 1)}`;
  const baseSeed = options.seed ?? randomBytes(4).readUInt32LE(0);
  // One connection per worker, used only under the worker's lock: a transaction, or the
  // statistics flush of restrict(), never both at once.
  const workers: WorkerConnection[] = Array.from({ length: connections }, () => ({ client: undefined, lock: Promise.resolve() }));
  const connect = async (worker: WorkerConnection): Promise<pg.Client> => {
    if (worker.client) return worker.client;
    // A lost connection: the next query fails and drops it. The driver's error is reported (its SQLSTATE counted).
    const client = await connectPg(legacyUrl, { doing: 'the workload', application: 'pgcarve-workload', options: '-c lock_timeout=5s -c statement_timeout=30s' }).catch((error: unknown) => {
      throw error instanceof PgcarveError && error.cause !== undefined ? error.cause : error;
    });
    worker.client = client;
    return client;
  };
  const drop = async (worker: WorkerConnection): Promise<void> => {
    const client = worker.client;
    worker.client = undefined;
    await client?.end().catch(() => undefined);
  };

  const started = Date.now();
  const counts = { transactions: 0, retries: 0, errors: 0 };
  const errorCodes: Record<string, number> = {};
  const actionCounts: Record<string, number> = {};
  const tableCounts: Partial<Record<LegacyTableName, { inserted: number; updated: number; deleted: number }>> = {};

  const stopper = new AbortController();
  const onAbort = (): void => stopper.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stopper.abort();

  const interval = 1000 / rate;
  let nextAt = Date.now();
  const pace = async (): Promise<void> => {
    const at = Math.max(nextAt, Date.now());
    nextAt = at + interval;
    await pause(at - Date.now(), stopper.signal);
  };

  const choose = (rng: Prng): WorkloadAction[] => {
    const candidates = WORKLOAD_ACTIONS.filter((a) => a.writes.every((t) => allowed.has(t)));
    if (candidates.length === 0) return [];
    const size = rng.chance(0.15) ? rng.int(2, 4) : 1;
    return Array.from({ length: size }, () => rng.weighted(candidates.map((a) => [a.weight, a] as const)));
  };

  const runTransaction = async (worker: WorkerConnection, plan: readonly WorkloadAction[], rng: Prng): Promise<void> => {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const staged: { table: LegacyTableName; op: WriteOp; rows: number }[] = [];
      let client: pg.Client;
      try {
        client = await connect(worker);
      } catch (error) {
        report(plan, error);
        await pause(500, stopper.signal);
        return;
      }
      let current = plan[0] as WorkloadAction;
      try {
        await client.query('BEGIN');
        for (const action of plan) {
          current = action;
          await action.run(contextFor(client, action, rng, staged));
        }
        await client.query('COMMIT');
        counts.transactions += 1;
        for (const action of plan) actionCounts[action.name] = (actionCounts[action.name] ?? 0) + 1;
        for (const { table, op, rows } of staged) {
          const t = (tableCounts[table] ??= { inserted: 0, updated: 0, deleted: 0 });
          if (op === 'insert') t.inserted += rows;
          else if (op === 'update') t.updated += rows;
          else t.deleted += rows;
        }
        return;
      } catch (error) {
        const broken = await client.query('ROLLBACK').then(() => false, () => true);
        if (broken) await drop(worker);
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RETRIED.has(code) && attempt < MAX_ATTEMPTS && !stopper.signal.aborted) {
          counts.retries += 1;
          continue;
        }
        report([current], error);
        return;
      }
    }
  };

  const report = (plan: readonly WorkloadAction[], error: unknown): void => {
    const code = (error as { code?: unknown }).code;
    const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
    counts.errors += 1;
    errorCodes[sqlstate ?? 'none'] = (errorCodes[sqlstate ?? 'none'] ?? 0) + 1;
    options.onError?.({ action: plan.map((a) => a.name).join(' + '), code: sqlstate, message: describeFailure(error) });
  };

  const contextFor = (client: pg.Client, action: WorkloadAction, rng: Prng, staged: { table: LegacyTableName; op: WriteOp; rows: number }[]): ActionContext => ({
    rng,
    unique,
    read: async <R extends pg.QueryResultRow>(sql: string, params: readonly unknown[] = []) => (await client.query<R>(sql, [...params])).rows,
    write: async (table, op, sql, params = []) => {
      if (!action.writes.includes(table)) throw new Error(`workload action "${action.name}" writes ${table}, which its writes list lacks`);
      const result = await client.query(sql, [...params]);
      staged.push({ table, op, rows: result.rowCount ?? 0 });
      return result;
    },
    pick: async (table, lock, where) => {
      const qualified = `public.${client.escapeIdentifier(table)}`;
      const condition = where === undefined ? '' : ` AND (${where})`;
      const locking = lock === 'update' ? 'FOR UPDATE' : 'FOR KEY SHARE';
      const uuidKey = table === 'conversations' || table === 'sessions';
      const from = uuidKey ? '$1::uuid' : `(SELECT min(id) + floor($1::float8 * (max(id) - min(id) + 1))::bigint FROM ${qualified})`;
      const first = await client.query<{ id: string }>(`SELECT id::text AS id FROM ${qualified} WHERE id >= ${from}${condition} ORDER BY id LIMIT 1 ${locking}`, [uuidKey ? rng.uuid() : rng.next()]);
      if (first.rows[0]) return first.rows[0].id;
      const wrapped = await client.query<{ id: string }>(`SELECT id::text AS id FROM ${qualified} WHERE true${condition} ORDER BY id LIMIT 1 ${locking}`);
      return wrapped.rows[0]?.id;
    },
  });

  const work = async (worker: WorkerConnection, index: number): Promise<void> => {
    const rng = new Prng(baseSeed + index * 104_729);
    while (!stopper.signal.aborted) {
      await pace();
      if (stopper.signal.aborted) break;
      const plan = choose(rng);
      // Chosen and queued on the worker's lock in one synchronous step, so that restrict() (which
      // queues behind it) waits for every transaction chosen under the old set of tables.
      if (plan.length > 0) await exclusive(worker, () => runTransaction(worker, plan, rng));
    }
  };
  const running = workers.map((worker, i) => work(worker, i));

  const stats = (): WorkloadStats => ({
    ...counts,
    errorCodes: { ...errorCodes },
    actions: { ...actionCounts },
    tables: Object.fromEntries(Object.entries(tableCounts).map(([t, c]) => [t, { ...c }])),
    elapsedMs: Date.now() - started,
  });

  let stopping: Promise<WorkloadStats> | undefined;
  return {
    stats,
    restrict: async (tables) => {
      allowed = tableSet(tables);
      await Promise.all(workers.map((worker) => exclusive(worker, () => publishStatistics(worker.client))));
    },
    stop: () =>
      (stopping ??= (async () => {
        stopper.abort();
        options.signal?.removeEventListener('abort', onAbort);
        await Promise.all(running);
        await Promise.all(workers.map(drop));
        return stats();
      })()),
  };
}

interface WorkerConnection {
  client: pg.Client | undefined;
  /** The tail of the worker's queue of exclusive uses of its connection. */
  lock: Promise<void>;
}

/** Runs `body` once every earlier use of the worker's connection has finished. */
function exclusive<T>(worker: WorkerConnection, body: () => Promise<T>): Promise<T> {
  const result = worker.lock.then(body);
  worker.lock = result.then(() => undefined, () => undefined);
  return result;
}

/**
 * Makes the server publish this connection's pending table statistics now: a backend publishes
 * them at most once a second, and an idle one only after several seconds, so the counters of
 * pg_stat_user_tables may lag the writes. pg_stat_force_next_flush() exists from PostgreSQL 15.
 */
async function publishStatistics(client: pg.Client | undefined): Promise<void> {
  await client?.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
}

/**
 * The failure without row values: for a constraint violation the server's message names the
 * constraint and table (its DETAIL, which holds the values, is left out); a data exception's
 * message quotes the offending value, so only its class is kept.
 */
function describeFailure(error: unknown): string {
  const e = error as { code?: unknown; constraint?: unknown; table?: unknown; message?: unknown };
  if (typeof e.code === 'string' && e.code.startsWith('22')) return `data exception (SQLSTATE ${e.code})${typeof e.table === 'string' ? ` on ${e.table}` : ''}`;
  if (typeof e.constraint === 'string') return `constraint ${e.constraint}${typeof e.table === 'string' ? ` on ${e.table}` : ''} violated`;
  return typeof e.message === 'string' ? e.message : String(error);
}
