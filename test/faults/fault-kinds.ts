import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbeddedCluster } from '../../tools/embedded/embedded-cluster.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import type { Sidecar } from '../../src/sidecar.js';
import type { Prng } from '../../tools/workload/prng.js';
import type { TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { commitBurst, type BurstTable } from './legacy-burst.js';
import { SUITE_APPLICATION, databaseOf, sql } from './suite-connection.js';
import { lockTables, lockWaiters, terminate, type TableLock } from './table-lock.js';
import type { TcpProxy } from './tcp-proxy.js';

/**
 * The failures a production database produces, as the fault-injection suite injects them into a
 * running sidecar. Each inject returns once the fault has been lifted (at once for a kill).
 */
export type FaultKind = 'walsender-terminate' | 'target-terminate' | 'lock-backpressure' | 'server-restart' | 'proxy-cut' | 'proxy-stall' | 'kills-during-recovery';

export const FAULT_KINDS: readonly FaultKind[] = ['walsender-terminate', 'target-terminate', 'lock-backpressure', 'server-restart', 'proxy-cut', 'proxy-stall', 'kills-during-recovery'];

/**
 * Proxies: one in front of the legacy database (the sidecar's DATABASE_URL_LEGACY: its setup
 * connections and the replication connection), and one per service database (each writer's
 * connection), so a cut or stall hits exactly one class of connections.
 */
export interface FaultContext {
  readonly cluster: EmbeddedCluster;
  readonly dbs: TestDatabases;
  readonly legacyProxy: TcpProxy;
  readonly targetProxies: Readonly<Record<ServiceName, TcpProxy>>;
  readonly sidecar: Sidecar;
  readonly rng: Prng;
  /** Locks held right now (released by afterAll if a fault fails half-way). */
  readonly locks: Set<TableLock>;
}

export interface FaultOutcome {
  /** What the fault did, without row values, for the report. */
  readonly detail: string;
  /** When the fault was lifted (the killed connection gone, the lock released, the server up). */
  readonly liftedAt: number;
}

/** `occurrence` counts the faults of this kind so far (0, 1, …): it picks the variant. */
export async function injectFault(ctx: FaultContext, kind: FaultKind, occurrence: number): Promise<FaultOutcome> {
  switch (kind) {
    case 'walsender-terminate':
      return await terminateWalsender(ctx);
    case 'target-terminate':
      return await terminateTargets(ctx);
    case 'lock-backpressure':
      return await lockUntilBackpressure(ctx, occurrence);
    case 'server-restart':
      return await restartServer(ctx);
    case 'proxy-cut':
      return await cutProxies(ctx, occurrence);
    case 'proxy-stall':
      return await stallProxy(ctx, occurrence);
    case 'kills-during-recovery':
      return await killsDuringRecovery(ctx);
  }
}

async function terminateWalsender(ctx: FaultContext): Promise<FaultOutcome> {
  const pid = await waitFor(
    'the slot to have an active walsender',
    async () => (await sql<{ pid: number | null }>(ctx.dbs.adminUrl, 'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [ctx.dbs.slot]))[0]?.pid ?? undefined,
    30_000,
  );
  const n = await terminate(ctx.dbs.adminUrl, [pid]);
  return { detail: `terminated the walsender (${n} backend)`, liftedAt: Date.now() };
}

async function terminateTargets(ctx: FaultContext): Promise<FaultOutcome> {
  const databases = SERVICES.map((s) => databaseOf(ctx.dbs.serviceUrls[s]));
  const [row] = await sql<{ n: number }>(
    ctx.dbs.adminUrl,
    `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
      WHERE datname = ANY($1) AND application_name <> $2 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    [databases, SUITE_APPLICATION],
  );
  return { detail: `terminated ${row?.n ?? 0} target backends of pgcarve`, liftedAt: Date.now() };
}

const BURSTS: readonly { readonly service: ServiceName; readonly table: BurstTable }[] = [
  { service: 'scraper_db', table: 'scraper_results' },
  { service: 'ai_research_db', table: 'ai_training_data' },
];
/** More than a writer queues before the router must wait (the suite sets PGCARVE_TARGET_QUEUE_BYTES to 1 MiB). */
const BURST_TRANSACTIONS = 250;
const BURST_ROWS = 100;

/**
 * Locks the target table (ACCESS EXCLUSIVE, held) and commits a burst of legacy transactions into
 * it, waits until its writer waits on the lock with a full queue (or has been set aside: any state
 * but running), terminates that writer's backend and releases the lock. This is the sequence that
 * lost committed changes on main (issue 12, finding 1).
 */
async function lockUntilBackpressure(ctx: FaultContext, occurrence: number): Promise<FaultOutcome> {
  const { service, table } = BURSTS[occurrence % BURSTS.length] as (typeof BURSTS)[number];
  const database = databaseOf(ctx.dbs.serviceUrls[service]);
  const lock = await lockTables(ctx.dbs.serviceUrls[service], [table]);
  ctx.locks.add(lock);
  try {
    const rows = await commitBurst(ctx.dbs.legacyUrl, table, BURST_TRANSACTIONS, BURST_ROWS);
    const waiters = await waitFor(
      `${service}'s writer to wait on the lock of ${table} with a full queue`,
      async () => {
        const pids = await lockWaiters(ctx.dbs.adminUrl, database);
        return pids.length > 0 && writerHeldUp(ctx.sidecar, service) ? pids : undefined;
      },
      60_000,
      100,
    );
    const waitedMs = Date.now() - lock.lockedAt;
    const n = await terminate(ctx.dbs.adminUrl, waiters);
    return { detail: `${service}.${table} locked, ${rows} rows committed into it; writer held up after ${waitedMs} ms (state ${writerState(ctx.sidecar, service)}), ${n} blocked backend terminated`, liftedAt: Date.now() };
  } finally {
    await lock.release();
    ctx.locks.delete(lock);
  }
}

/**
 * The writer's queue is full (the router waits on it), or the sidecar has set it aside (the writer
 * is no longer `running`). Reads the writer's private list of space waiters: from outside, this is
 * the only sign that the queue is full while its state still says running.
 */
function writerHeldUp(sidecar: Sidecar, service: ServiceName): boolean {
  const writer = sidecar.writers.find((w) => w.service === service);
  if (!writer) return false;
  if (writer.state.kind !== 'running') return true;
  const internals = writer as unknown as { readonly spaceWaiters?: readonly unknown[] };
  return (internals.spaceWaiters?.length ?? 0) > 0;
}

function writerState(sidecar: Sidecar, service: ServiceName): string {
  return sidecar.writers.find((w) => w.service === service)?.state.kind ?? 'missing';
}

async function restartServer(ctx: FaultContext): Promise<FaultOutcome> {
  const started = Date.now();
  await ctx.cluster.stop('fast');
  const stoppedAt = Date.now();
  await ctx.cluster.start();
  return { detail: `clean restart on port ${ctx.cluster.port}: fast shutdown ${stoppedAt - started} ms, start ${Date.now() - stoppedAt} ms`, liftedAt: Date.now() };
}

/** Cuts the legacy proxy's connections, every target proxy's, or both, once they are open. */
async function cutProxies(ctx: FaultContext, occurrence: number): Promise<FaultOutcome> {
  const variant = occurrence % 3;
  const proxies = [...(variant !== 1 ? [ctx.legacyProxy] : []), ...(variant !== 0 ? Object.values(ctx.targetProxies) : [])];
  await waitFor('the sidecar\'s connections to be open through the proxies', () => proxies.every((p) => p.connections > 0), 30_000);
  return cutNow(ctx, variant);
}

function cutNow(ctx: FaultContext, variant: number): FaultOutcome {
  const cutLegacy = variant !== 1 ? ctx.legacyProxy.cutAll() : 0;
  const cutTargets = variant !== 0 ? Object.values(ctx.targetProxies).reduce((n, p) => n + p.cutAll(), 0) : 0;
  const what = ['legacy', 'targets', 'legacy and targets'][variant];
  return { detail: `cut ${what} connections at the proxy: ${cutLegacy} legacy, ${cutTargets} target`, liftedAt: Date.now() };
}

async function stallProxy(ctx: FaultContext, occurrence: number): Promise<FaultOutcome> {
  const round = occurrence;
  const service = SERVICES[round % SERVICES.length] as ServiceName;
  const proxy = round % 2 === 0 ? ctx.legacyProxy : ctx.targetProxies[service];
  const ms = 1_000 + ctx.rng.int(0, 2_000);
  const open = proxy.connections;
  await proxy.stall(ms);
  return { detail: `stalled ${round % 2 === 0 ? 'legacy' : service} connections (${open} open) for ${ms} ms`, liftedAt: Date.now() };
}

/**
 * The walsender, then every target connection, then the legacy proxy's connections, each 0-400 ms
 * after the previous: the later ones land while the sidecar is still recovering from the first
 * (reconnecting, rebuilding writers, restarting the stream).
 */
async function killsDuringRecovery(ctx: FaultContext): Promise<FaultOutcome> {
  const first = await terminateWalsender(ctx);
  const gap1 = ctx.rng.int(0, 400);
  await sleep(gap1);
  const second = await terminateTargets(ctx);
  const gap2 = ctx.rng.int(0, 400);
  await sleep(gap2);
  const third = cutNow(ctx, 0);
  return { detail: `${first.detail}; ${gap1} ms later ${second.detail}; ${gap2} ms later ${third.detail}`, liftedAt: Date.now() };
}
