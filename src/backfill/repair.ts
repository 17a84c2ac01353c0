import type pg from 'pg';
import type { Config } from '../config/config.js';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { emitFence, waitForFence } from '../fence.js';
import type { Logger } from '../log.js';
import type { RoutingTable } from '../router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import { readSeal } from '../state/cutover-marker.js';
import { lockRepair } from '../state/repair-liveness.js';
import { ensureStateTables } from '../state/state-tables.js';
import type { BackfillObserver } from './backfill-observer.js';
import { isUnfinished, markCopied, markStarted, readBackfillStates } from '../state/backfill-state.js';
import { repairTable, type RepairTableResult } from './table-repair.js';
import { withBackfillState } from './with-backfill-state.js';
import { withClient } from '../pg/with-client.js';
import { connectService } from '../pg/with-service.js';
import { LEGACY_TARGET } from '../pg/legacy-target.js';

export interface RepairScope {
  readonly table: string;
  readonly services: readonly ServiceName[];
}

export interface RepairOptions {
  readonly config: Pick<Config, 'legacyUrl' | 'serviceUrls' | 'slot'>;
  readonly routing: RoutingTable;
  readonly scope: readonly RepairScope[];
  readonly chunkRows?: number;
  /** How long to wait for the sidecar to apply a table's chunks. */
  readonly timeoutMs: number;
  readonly observer: BackfillObserver;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

export interface RepairReport extends RepairTableResult {
  readonly services: readonly ServiceName[];
  /** Every chunk was applied by every service in scope before the timeout. */
  readonly applied: boolean;
  /**
   * SIGTERM/SIGINT stopped the repair of this table (the ones after it were not started). The
   * table stays `repairing` with no repair running: `repair-interrupted`, not verified, until the
   * next `pgcarve backfill` of it finishes it. (A repair not applied within the timeout ends in the
   * same state.)
   */
  readonly interrupted: boolean;
}

/**
 * `pgcarve backfill`: for each table in scope, marks it `repairing` in its services, sends it
 * through the WAL in chunks (table-repair.ts), then waits with a fence until the sidecar has
 * applied them all and marks it `copied` again (the floor it had is kept). Refuses a table whose
 * initial copy is unfinished: `pgcarve run` owns that one and resumes it itself.
 */
export async function repair(options: RepairOptions): Promise<readonly RepairReport[]> {
  const { config, log } = options;
  await checkSlot(config.legacyUrl, config.slot, log);
  const reports: RepairReport[] = [];
  for (const { table, services } of options.scope) {
    await withStates(config, services, async (client, service) => {
      const state = (await readBackfillStates(client, config.slot)).find((s) => s.table === table);
      if (state && isUnfinished(state)) {
        throw new PgcarveError('bad_input', `the initial backfill of ${table} in ${service} is not finished (state ${state.kind}); \`pgcarve run\` resumes it on its next start: let it finish, then run this again`);
      }
    });
    // Held while this process works on the table: without it, `repairing` reads as interrupted.
    const locks = await holdRepairLocks(config, services, config.slot, table);
    try {
      await withStates(config, services, async (client, service) => {
        await markStarted(client, config.slot, table, 'repairing', undefined, 0);
        options.observer.stateChanged(service, table, 'repairing');
      });
      log.info(`backfill: re-copying ${table} into ${services.join(', ')} through the WAL`, { table, services });
      const result = await repairTable({
        legacyUrl: config.legacyUrl,
        serviceUrls: config.serviceUrls,
        routing: options.routing,
        table,
        services,
        chunkRows: options.chunkRows ?? 1_000,
        maxChunkBytes: 8 * 1024 * 1024,
        lockTimeoutMs: 200,
        observer: options.observer,
        log,
        ...(options.signal ? { signal: options.signal } : {}),
      }).catch((error: unknown) => {
        if (options.signal?.aborted) return undefined;
        throw error;
      });
      if (!result || options.signal?.aborted) {
        reports.push({ table, rows: result?.rows ?? 0, chunks: result?.chunks ?? 0, extraRows: result?.extraRows ?? 0, rowsEstimated: result?.rowsEstimated ?? 0, services, applied: false, interrupted: true });
        break;
      }
      const fence = await emitFence(config.legacyUrl);
      const waited = await waitForFence(config.serviceUrls, config.slot, fence, options.timeoutMs, { services, ...(options.signal ? { signal: options.signal } : {}) });
      if (waited.reached) {
        await withStates(config, services, async (client, service) => {
          await markCopied(client, config.slot, table, result.rows);
          options.observer.stateChanged(service, table, 'copied');
        });
      } else {
        log.warn(`backfill: the chunks of ${table} are in the legacy WAL but not yet applied by ${services.join(', ')}; the sidecar applies them when it streams (\`pgcarve wait-sync\` says when)`, { table });
      }
      const interrupted = !waited.reached && options.signal?.aborted === true;
      reports.push({ ...result, services, applied: waited.reached, interrupted });
      if (interrupted) break;
    } finally {
      // Released before the connection ends: a backend exits a moment after its client goes, and
      // until then the lock would still say "repairing" to status, verify and cutover.
      await Promise.all(locks.map(async (client) => {
        await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
        await client.end().catch(() => undefined);
      }));
    }
  }
  options.observer.finished();
  return reports;
}

/**
 * The reason `pgcarve backfill` must not touch a service of the scope, or undefined: a cut-over
 * service's database is the source of truth, and a re-copy from legacy would delete and revert its
 * own writes.
 */
export async function cutOverRefusal(config: Pick<Config, 'serviceUrls' | 'slot'>, scope: readonly RepairScope[]): Promise<string | undefined> {
  const services = [...new Set(scope.flatMap((s) => s.services))];
  const sealed: string[] = [];
  await withStates(config, services, async (client, service) => {
    const seal = await readSeal(client, config.slot);
    if (seal) sealed.push(`${service} (cut over at ${seal.at})`);
  });
  if (sealed.length === 0) return undefined;
  return `refused: ${sealed.join(', ')} is cut over: its database is the source of truth, and re-copying legacy rows into it would delete or revert the service's own writes. Nothing was changed. To repair a service that is still on the legacy database, name it with --service; to go back to the legacy database, roll the cutover back first (pgcarve rollback)`;
}

/** One connection per service holding the table's repair lock (repair-liveness.ts). */
async function holdRepairLocks(config: Pick<Config, 'serviceUrls'>, services: readonly ServiceName[], slot: string, table: string): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  try {
    for (const service of services) {
      const client = await connectService(config, service, { doing: 'taking the repair lock in a service database', application: 'pgcarve-backfill' });
      clients.push(client);
      await lockRepair(client, slot, table);
    }
    return clients;
  } catch (error) {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    throw classify(error, 'taking the repair lock in a service database');
  }
}

async function checkSlot(legacyUrl: string, slot: string, log: Logger): Promise<void> {
  try {
    await withClient(legacyUrl, { doing: 'checking the replication slot', target: LEGACY_TARGET }, async (client) => {
      const result = await client.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      const row = result.rows[0];
      if (!row) throw new PgcarveError('bad_input', `replication slot ${slot} does not exist: start the sidecar (\`pgcarve run\`) first; pgcarve backfill sends its chunks through that slot`);
      if (!row.active) log.warn(`replication slot ${slot} has no consumer now: the chunks wait in the slot until the sidecar (\`pgcarve run\`) streams again`, { slot });
    });
  } catch (error) {
    throw classify(error, 'checking the replication slot');
  }
}

/** Runs `f` on a short-lived connection to each of `services`, with the state tables ensured. */
export async function withStates(config: Pick<Config, 'serviceUrls'>, services: readonly ServiceName[], f: (client: pg.Client, service: ServiceName) => Promise<void>): Promise<void> {
  for (const service of services) {
    await withBackfillState(config, service, async (client) => {
      await ensureStateTables(client);
      await f(client, service);
    });
  }
}
